#!/usr/bin/env bash
# wrk, the compiled load generator bench/serve.py and the load test drive the server with.
# Without it they fall back to a Python httpx client that is slower than the server it measures
# (its own ceiling is printed beside the figures), so `make bench` and CI install it first.
# Prints one line: where wrk is, or why the httpx client will be used.
set -u
if command -v wrk >/dev/null; then
  echo "wrk: $(command -v wrk)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "wrk: missing and no apt-get here; the load runs use the httpx client (install wrk to fix)"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo -n); else
  echo "wrk: missing and not root; the load runs use the httpx client (apt-get install wrk to fix)"
  exit 0
fi
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq wrk >/dev/null 2>&1; then
  echo "wrk: installed ($(command -v wrk))"
else
  echo "wrk: install failed; the load runs use the httpx client (apt-get install wrk to fix)"
fi
