#!/usr/bin/env bash
# Wait until /health/ passes through nginx (database, Redis, channel layer, migrations), or fail the deploy.
set -euo pipefail

url="${HEALTH_URL:-http://127.0.0.1/health/}"
deadline=$((SECONDS + ${HEALTH_WAIT_SECONDS:-240}))
until curl --fail --silent --show-error --max-time 5 "${url}" >/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "health check at ${url} did not pass" >&2
    exit 1
  fi
  sleep 3
done
echo "healthy: ${url}"
