"""Relation index serving: the `/v1/relations` API and dashboard (`api.router`) and Celery tasks
(`tasks`) that build the index and backfill it after a promotion."""
