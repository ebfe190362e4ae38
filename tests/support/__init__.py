"""Test support: real servers (Postgres, Redis, GCS emulator, MLflow, uvicorn, Celery) as handles.

The pytest fixtures live in `tests.support.fixtures`; `tests/conftest.py` re-exports them.
Every handle stops exactly what it started.
"""
