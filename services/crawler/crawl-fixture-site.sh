#!/bin/sh
# crawl-fixture-site: crawl the fixture news site that ships with the crawler (crawler/testing)
# instead of the real sources: a smoke test of the crawler container that needs no internet.
#
#   docker compose run --rm crawler crawl-fixture-site [crawler run options, e.g. --limit 20]
#
# The site is served on loopback inside this container, so the SSRF guard is lifted for this run
# only (CRAWLER_ALLOW_PRIVATE_ADDRESSES=true). Articles land in DATABASE_URL like any crawl;
# exits with `crawler run`'s status.
set -eu

port="${FIXTURE_SITE_PORT:-8800}"
workdir="$(mktemp -d)"
sources="$workdir/fixture-sources.yaml"

python -m crawler.testing --host 127.0.0.1 --port "$port" --sources-out "$sources" &
site=$!
trap 'kill "$site" 2>/dev/null || true; rm -rf "$workdir"' EXIT INT TERM

# The site writes its sources file once it serves.
tries=0
until [ -s "$sources" ]; do
    kill -0 "$site" 2>/dev/null || { echo "crawl-fixture-site: the fixture site exited" >&2; exit 1; }
    tries=$((tries + 1))
    [ "$tries" -le 150 ] || { echo "crawl-fixture-site: the fixture site did not start in 15 s" >&2; exit 1; }
    sleep 0.1
done

export CRAWLER_ALLOW_PRIVATE_ADDRESSES=true
crawler run --sources-file "$sources" "$@"
