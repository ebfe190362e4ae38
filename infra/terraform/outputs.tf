output "artifact_bucket" {
  description = "Name of the versioned artifact bucket."
  value       = google_storage_bucket.artifacts.name
}

output "mlflow_artifacts_destination" {
  description = "Value for mlflow server --artifacts-destination (and GCS_BUCKET in compose / the k8s ConfigMap)."
  value       = "gs://${google_storage_bucket.artifacts.name}/mlartifacts"
}

output "sql_instance_connection_name" {
  description = "Cloud SQL connection name (PROJECT:REGION:INSTANCE), for the Cloud SQL Auth Proxy if you use one."
  value       = google_sql_database_instance.postgres.connection_name
}

output "sql_private_ip" {
  description = "Private IP of the Postgres instance: the host in DATABASE_URL and MLFLOW_BACKEND_STORE_URI."
  value       = google_sql_database_instance.postgres.private_ip_address
}

output "database_names" {
  description = "Databases on the instance: the corpus (DATABASE_URL) and MLflow's backend store."
  value = {
    corpus = google_sql_database.newsmodel.name
    mlflow = google_sql_database.mlflow.name
  }
}

output "db_user" {
  description = "Database user of the services."
  value       = google_sql_user.app.name
}

output "db_password_secret" {
  description = "Secret Manager secret holding the database password (the password itself is never an output)."
  value       = google_secret_manager_secret.db_password.id
}

output "service_accounts" {
  description = "Service account emails per workload; annotate the Kubernetes service accounts with them (iam.gke.io/gcp-service-account)."
  value = {
    nodes  = google_service_account.nodes.email
    mlflow = google_service_account.mlflow.email
    app    = google_service_account.app.email
  }
}

output "gke_cluster_name" {
  description = "GKE Autopilot cluster name, for `gcloud container clusters get-credentials`."
  value       = google_container_cluster.autopilot.name
}

output "gke_cluster_location" {
  description = "Region of the GKE cluster."
  value       = google_container_cluster.autopilot.location
}

output "image_repository" {
  description = "Artifact Registry path to push the service images to (REGION-docker.pkg.dev/PROJECT/REPO)."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "redis_address" {
  description = "host:port of Memorystore (REDIS_URL = redis://:AUTH@HOST:PORT/0; the AUTH string is in redis_auth_secret)."
  value       = "${google_redis_instance.broker.host}:${google_redis_instance.broker.port}"
}

output "redis_auth_secret" {
  description = "Secret Manager secret holding the Redis AUTH string."
  value       = google_secret_manager_secret.redis_auth.id
}
