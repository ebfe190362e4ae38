variable "project_id" {
  description = "GCP project that hosts the platform (bucket, Cloud SQL, GKE, service accounts)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region for Cloud SQL, the GKE cluster, the Artifact Registry repository and the subnet."
  type        = string
  default     = "asia-northeast3"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must look like asia-northeast3 or europe-west1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several environments can share one project."
  type        = string
  default     = "newsmodel"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,18}$", var.name_prefix))
    error_message = "name_prefix must be 3-19 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment label (production, staging, ...); also the ENVIRONMENT setting of the services."
  type        = string
  default     = "production"

  validation {
    condition     = contains(["production", "staging", "development"], var.environment)
    error_message = "environment must be production, staging or development."
  }
}

variable "bucket_name" {
  description = "Globally unique name of the artifact bucket (MLflow artifacts under mlartifacts/). Empty: <project_id>-<name_prefix>-artifacts."
  type        = string
  default     = ""

  validation {
    condition     = var.bucket_name == "" || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots, hyphens or underscores."
  }
}

variable "bucket_location" {
  description = "Location of the artifact bucket: a region or a multi-region such as ASIA. Empty: the same region as var.region."
  type        = string
  default     = ""
}

variable "noncurrent_version_retention_days" {
  description = "Days a replaced or deleted artifact version is kept before lifecycle deletes it (versioning is always on)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && var.noncurrent_version_retention_days <= 3650
    error_message = "noncurrent_version_retention_days must be between 1 and 3650."
  }
}

variable "db_tier" {
  description = "Cloud SQL machine tier for Postgres (db-custom-CPUS-MEMORY_MB or a shared-core tier)."
  type        = string
  default     = "db-custom-2-7680"

  validation {
    condition     = can(regex("^db-", var.db_tier))
    error_message = "db_tier must be a Cloud SQL tier name starting with db-."
  }
}

variable "db_disk_size_gb" {
  description = "Initial Cloud SQL disk size in GB (it grows automatically)."
  type        = number
  default     = 20

  validation {
    condition     = var.db_disk_size_gb >= 10
    error_message = "db_disk_size_gb must be at least 10."
  }
}

variable "db_high_availability" {
  description = "Regional (HA) Cloud SQL instance with a standby in a second zone instead of a zonal one."
  type        = bool
  default     = false
}

variable "db_user" {
  description = "Cloud SQL user the services connect as; its generated password is stored in Secret Manager."
  type        = string
  default     = "newsmodel"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{2,30}$", var.db_user))
    error_message = "db_user must be 3-31 lowercase letters, digits or underscores, starting with a letter."
  }
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance and the GKE cluster from `terraform destroy`. Turn off only to tear down a test environment."
  type        = bool
  default     = true
}

variable "gke_release_channel" {
  description = "GKE Autopilot release channel."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.gke_release_channel)
    error_message = "gke_release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "subnet_cidr" {
  description = "Primary range of the cluster subnet (nodes)."
  type        = string
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0))
    error_message = "subnet_cidr must be a CIDR block."
  }
}

variable "pods_cidr" {
  description = "Secondary range for GKE pods."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be a CIDR block."
  }
}

variable "services_cidr" {
  description = "Secondary range for GKE services."
  type        = string
  default     = "10.30.0.0/20"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be a CIDR block."
  }
}

variable "master_authorized_cidrs" {
  description = "CIDR blocks allowed to reach the GKE control plane (your office or CI runners). Empty: no public access restriction list is set."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []
}

variable "k8s_namespace" {
  description = "Kubernetes namespace of infra/k8s; the workload identity bindings name service accounts in it."
  type        = string
  default     = "newsmodel"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.k8s_namespace))
    error_message = "k8s_namespace must be a DNS label."
  }
}

variable "labels" {
  description = "Extra labels put on every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "redis_tier" {
  description = "Memorystore tier: BASIC (one node) or STANDARD_HA (replica with automatic failover)."
  type        = string
  default     = "BASIC"

  validation {
    condition     = contains(["BASIC", "STANDARD_HA"], var.redis_tier)
    error_message = "redis_tier must be BASIC or STANDARD_HA."
  }
}

variable "redis_memory_gb" {
  description = "Memorystore capacity in GB (broker queues and the prediction cache)."
  type        = number
  default     = 1

  validation {
    condition     = var.redis_memory_gb >= 1 && var.redis_memory_gb <= 300
    error_message = "redis_memory_gb must be between 1 and 300."
  }
}
