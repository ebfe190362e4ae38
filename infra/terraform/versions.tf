# Terraform and provider versions. State: configure a GCS backend in backend.tf (see
# docs/DEPLOY.md); the bucket holding state must exist before `terraform init`.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
