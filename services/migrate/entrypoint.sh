#!/bin/sh
# migrate-entrypoint: one-shot schema migration before any service starts.
#   1. the command given (default `newsmodel db upgrade`: Alembic to head on DATABASE_URL);
#   2. MLflow's database: created if missing, then `mlflow db upgrade` only when it already
#      holds MLflow's schema. On a fresh database `mlflow server` creates the schema itself
#      on first start (once, before its workers fork), so there is nothing to upgrade.
set -eu

here="$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)"
guard="${MLFLOW_DB_GUARD:-$here/mlflow_db.py}"

if [ "$#" -eq 0 ]; then
    set -- newsmodel db upgrade
fi

# Check (and create) MLflow's database first: a misconfiguration stops before anything changes.
state="$(python "$guard")"

echo "migrate: $*"
"$@"

case "$state" in
    existing)
        echo "migrate: MLflow schema found, upgrading it"
        mlflow db upgrade "$MLFLOW_BACKEND_STORE_URI"
        ;;
    fresh)
        echo "migrate: MLflow database is empty; mlflow server creates its schema on first start"
        ;;
    none)
        echo "migrate: MLFLOW_BACKEND_STORE_URI is not set; no MLflow database to migrate"
        ;;
    *)
        echo "migrate: unexpected answer from $guard: $state" >&2
        exit 2
        ;;
esac
echo "migrate: done"
