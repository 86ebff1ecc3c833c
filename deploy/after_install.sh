#!/usr/bin/env bash
# Turn the artifact into a release: virtualenv, static files, migrations (once across the fleet).
set -euo pipefail
# shellcheck source=deploy/common.sh
source "$(dirname "$0")/common.sh"

release="${RELEASES}/$(date -u +%Y%m%d%H%M%S)"
cp -a "${INCOMING}/." "${release}/"
python3.11 -m venv "${release}/.venv"
"${release}/.venv/bin/pip" install --quiet --no-compile -r "${release}/requirements.txt"

set -a
# shellcheck disable=SC1090
source "${ENV_FILE}"
set +a
export DJANGO_SETTINGS_MODULE=strikem.settings.prod
export STATIC_ROOT="${release}/static"
cd "${release}"
.venv/bin/python manage.py collectstatic --noinput
# Many instances deploy at once: migrate_locked takes a database lock, so they take turns and only the
# first one has work to do.
.venv/bin/python manage.py migrate_locked --noinput

ln -sfn "${APP_ROOT}/shared/media" "${release}/var-media"
chown -R "${APP_USER}:${APP_USER}" "${release}" "${APP_ROOT}/shared"
ln -sfn "${release}" "${CURRENT}"
install -m 0644 "${release}"/deploy/systemd/*.service /etc/systemd/system/
systemctl daemon-reload

# nginx in front of this instance's Gunicorn (8000) and Daphne (8001); the ALB sets X-Forwarded-Proto.
export LISTEN=80 WEB_SERVERS="server 127.0.0.1:8000;" ASGI_SERVERS="server 127.0.0.1:8001;"
# shellcheck disable=SC2016  # an nginx variable, written literally into the config
export TRUSTED_PROXY_CIDR="${TRUSTED_PROXY_CIDR:-10.0.0.0/8}" FORWARDED_PROTO='$http_x_forwarded_proto'
export MEDIA_ROOT="${APP_ROOT}/shared/media"
# shellcheck disable=SC2016  # the list names variables for envsubst, it is not to be expanded here
envsubst '${LISTEN} ${WEB_SERVERS} ${ASGI_SERVERS} ${TRUSTED_PROXY_CIDR} ${FORWARDED_PROTO} ${STATIC_ROOT} ${MEDIA_ROOT}' \
  < "${release}/nginx/strikem.conf.template" > /etc/nginx/conf.d/strikem.conf

# Keep the five newest releases for rollback.
find "${RELEASES}" -mindepth 1 -maxdepth 1 -type d | sort -r | tail -n +6 | xargs -r rm -rf
