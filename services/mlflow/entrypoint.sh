#!/bin/sh
# mlflow-entrypoint: choose where the proxied artifacts go, check the inputs, exec the server.
#
#   GOOGLE_APPLICATION_CREDENTIALS set  -> real GCS with that key; STORAGE_EMULATOR_HOST is dropped
#   else STORAGE_EMULATOR_HOST set       -> the GCS emulator (local compose: fake-gcs-server)
#   else                                 -> real GCS with ambient credentials (GKE workload identity)
#
# The backend store is read by `mlflow server` itself from MLFLOW_BACKEND_STORE_URI, so the
# database password never appears on a command line. The Host-header allow-list defaults to
# the compose / Kubernetes service name; set MLFLOW_SERVER_ALLOWED_HOSTS to widen it.
set -eu

fail() {
    echo "mlflow-entrypoint: $*" >&2
    exit 2
}

[ "$#" -gt 0 ] || fail "no command given (expected: mlflow server ...)"
[ -n "${MLFLOW_BACKEND_STORE_URI:-}" ] ||
    fail "set MLFLOW_BACKEND_STORE_URI (postgresql+psycopg2://USER:PASSWORD@HOST:5432/mlflow)"

# The artifact destination: --artifacts-destination in the command, else the environment.
destination="${MLFLOW_ARTIFACTS_DESTINATION:-}"
previous=""
for arg in "$@"; do
    case "$arg" in
        --artifacts-destination=*) destination="${arg#--artifacts-destination=}" ;;
    esac
    [ "$previous" = "--artifacts-destination" ] && destination="$arg"
    previous="$arg"
done
[ -n "$destination" ] || fail "set --artifacts-destination or MLFLOW_ARTIFACTS_DESTINATION (gs://BUCKET/mlartifacts)"

case "$destination" in
    gs://*)
        if [ -n "${GOOGLE_APPLICATION_CREDENTIALS:-}" ]; then
            [ -r "$GOOGLE_APPLICATION_CREDENTIALS" ] ||
                fail "GOOGLE_APPLICATION_CREDENTIALS=$GOOGLE_APPLICATION_CREDENTIALS is not a readable file"
            unset STORAGE_EMULATOR_HOST
            echo "mlflow-entrypoint: artifacts -> $destination on Google Cloud Storage (key file $GOOGLE_APPLICATION_CREDENTIALS)"
        elif [ -n "${STORAGE_EMULATOR_HOST:-}" ]; then
            echo "mlflow-entrypoint: artifacts -> $destination on the GCS emulator at $STORAGE_EMULATOR_HOST"
        else
            unset STORAGE_EMULATOR_HOST || true
            echo "mlflow-entrypoint: artifacts -> $destination on Google Cloud Storage (ambient credentials)"
        fi
        ;;
    *)
        echo "mlflow-entrypoint: artifacts -> $destination"
        ;;
esac

if [ -z "${MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY:-}" ]; then
    echo "mlflow-entrypoint: warning: MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY is not set; each server process" \
        "makes up its own key, so stored webhook secrets cannot be read after a restart" >&2
fi

: "${MLFLOW_SERVER_ALLOWED_HOSTS:=mlflow,mlflow:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*}"
export MLFLOW_SERVER_ALLOWED_HOSTS
exec "$@"
