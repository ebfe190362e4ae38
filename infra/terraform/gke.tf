# GKE Autopilot: nodes sized by the pods of infra/k8s (HPA for the api, KEDA for the workers),
# private nodes, workload identity on, the node service account of iam.tf.

resource "google_container_cluster" "autopilot" {
  name                = "${var.name_prefix}-gke"
  location            = var.region
  enable_autopilot    = true
  deletion_protection = var.deletion_protection
  network             = google_compute_network.vpc.id
  subnetwork          = google_compute_subnetwork.gke.id
  resource_labels     = local.labels

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
  }

  dynamic "master_authorized_networks_config" {
    for_each = length(var.master_authorized_cidrs) > 0 ? [1] : []
    content {
      dynamic "cidr_blocks" {
        for_each = var.master_authorized_cidrs
        content {
          cidr_block   = cidr_blocks.value.cidr_block
          display_name = cidr_blocks.value.display_name
        }
      }
    }
  }

  release_channel {
    channel = var.gke_release_channel
  }

  cluster_autoscaling {
    auto_provisioning_defaults {
      service_account = google_service_account.nodes.email
      oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    }
  }

  depends_on = [google_project_service.apis]
}
