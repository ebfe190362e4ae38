"""The serving service: FastAPI app (`app.main:create_app`), Celery worker (`app.celery_app:celery_app`).

Serves the model version the MLflow registry says is live (alias or stage), follows promotions
without a restart, caches predictions in Redis and scores stored sentences in bulk. Depends on
`newsmodel`'s light modules only (onnxruntime + tokenizers, never torch); never imports `crawler`.
"""
