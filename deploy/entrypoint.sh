#!/usr/bin/env bash
# Runs one role of Strikem in the container or on an instance: web | asgi | worker | beat | migrate.
set -euo pipefail

role="${1:-web}"
shift || true
port="${PORT:-8000}"
export STRIKEM_ROLE="$role"

case "$role" in
  web)
    exec gunicorn strikem.wsgi:application --config deploy/gunicorn.conf.py --bind "0.0.0.0:${port}" "$@"
    ;;
  asgi)
    # The options are deploy/servers.py's DAPHNE_OPTIONS (the benches start Daphne with those).
    exec daphne --bind 0.0.0.0 --port "${port}" --proxy-headers --ping-interval 60 --ping-timeout 30 \
      --websocket_connect_timeout 30 \
      strikem.asgi:application "$@"
    ;;
  worker)
    exec celery -A strikem worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
    ;;
  beat)
    # Exactly one beat in the fleet: start this role on one instance (or one container) only.
    exec celery -A strikem beat --loglevel "${LOG_LEVEL:-INFO}" --schedule /app/var/celerybeat-schedule "$@"
    ;;
  migrate)
    exec python manage.py migrate_locked --noinput "$@"
    ;;
  *)
    echo "unknown role: ${role} (web, asgi, worker, beat, migrate)" >&2
    exit 64
    ;;
esac
