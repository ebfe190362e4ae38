# Least privilege: one service account per workload, each granted only what it calls, bound
# on the single resource it touches wherever GCP allows it (bucket, secret, repository), and
# never a basic role (owner / editor / viewer).
#
#   newsmodel-nodes  GKE node pools: write logs and metrics, pull images from our repository
#   newsmodel-mlflow the MLflow server: read/write objects in the artifact bucket (nothing else
#                    talks to GCS: artifacts are proxied), read the database password secret
#   newsmodel-app    api, worker, scheduler, crawler, migrate: read the database password and
#                    Redis AUTH secrets;
#                    the database is reached on its private IP with that password, so no
#                    Cloud SQL IAM role is needed

resource "google_service_account" "nodes" {
  account_id   = "${var.name_prefix}-nodes"
  display_name = "newsmodel GKE nodes"
}

resource "google_service_account" "mlflow" {
  account_id   = "${var.name_prefix}-mlflow"
  display_name = "newsmodel MLflow server"
}

resource "google_service_account" "app" {
  account_id   = "${var.name_prefix}-app"
  display_name = "newsmodel api, worker, scheduler, crawler, migrate"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
  ])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_artifact_registry_repository_iam_member" "nodes_pull" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.nodes.email}"
}

# Create, read, list, overwrite and delete objects in this bucket only (no bucket admin).
resource "google_storage_bucket_iam_member" "mlflow_objects" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.mlflow.email}"
}

# Each account reads only the secrets it uses (mounted by the Secret Manager add-on or copied
# into the Kubernetes Secrets of infra/k8s).
resource "google_secret_manager_secret_iam_member" "db_password" {
  for_each = {
    app    = google_service_account.app.email
    mlflow = google_service_account.mlflow.email
  }

  secret_id = google_secret_manager_secret.db_password.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${each.value}"
}

resource "google_secret_manager_secret_iam_member" "redis_auth" {
  secret_id = google_secret_manager_secret.redis_auth.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.app.email}"
}

# Workload identity: Kubernetes service accounts of infra/k8s act as these GCP accounts.
resource "google_service_account_iam_member" "workload_identity" {
  for_each = {
    mlflow    = google_service_account.mlflow.name
    newsmodel = google_service_account.app.name
  }

  service_account_id = each.value
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.k8s_namespace}/${each.key}]"

  depends_on = [google_container_cluster.autopilot]
}
