# Memorystore for Redis 7: the Celery broker and the prediction cache, on the VPC through
# private services access, with AUTH on. The AUTH string goes to Secret Manager, never to outputs.

resource "google_redis_instance" "broker" {
  name                    = "${var.name_prefix}-redis"
  region                  = var.region
  tier                    = var.redis_tier
  memory_size_gb          = var.redis_memory_gb
  redis_version           = "REDIS_7_2"
  authorized_network      = google_compute_network.vpc.id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "DISABLED"
  labels                  = local.labels

  depends_on = [google_service_networking_connection.private_services]
}

resource "google_secret_manager_secret" "redis_auth" {
  secret_id = "${var.name_prefix}-redis-auth"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "redis_auth" {
  secret      = google_secret_manager_secret.redis_auth.id
  secret_data = google_redis_instance.broker.auth_string
}
