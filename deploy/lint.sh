#!/usr/bin/env bash
# Checks of the deploy files that `make lint` (and so CI) runs: shellcheck, cfn-lint on both templates,
# docker-compose's own validation, and nginx -t on the real config rendered as on an instance.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"

shellcheck -x deploy/*.sh .ci/run
"${venv}/bin/cfn-lint" lambdas/template.yaml deploy/pipeline.yaml

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

# Compose reads .env (secrets live there, never in the repo): validate against an empty one.
mkdir -p "${work}/compose"
cp -r docker-compose.yml Dockerfile nginx "${work}/compose/"
touch "${work}/compose/.env"
(cd "${work}/compose" && MYSQL_PASSWORD=validation-only docker-compose config -q)

# nginx -t on the template rendered with an instance's values, inside a throwaway prefix.
"${venv}/bin/python" deploy/render_nginx.py --output "${work}/nginx" \
  --web 127.0.0.1:8000 --asgi 127.0.0.1:8001 --listen 127.0.0.1:8080 \
  --static "${work}/static" --media "${work}/media"
nginx -t -q -p "${work}/nginx" -c "${work}/nginx/nginx.conf"
echo "deploy files: ok"
