#!/usr/bin/env bash
# Checks of the deploy files that `make lint` (and so CI) runs: shellcheck, cfn-lint and checkov on every
# CloudFormation template, docker-compose's own validation, and nginx -t on the real config rendered as on
# an instance.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"

templates=(lambdas/template.yaml deploy/pipeline.yaml deploy/estate/*.yaml)

shellcheck -x deploy/*.sh .ci/run
"${venv}/bin/cfn-lint" "${templates[@]}"

# checkov (policy scanner) lives in its own virtualenv inside the project's: its dependencies would clash
# with the project's pins. Every skipped check is a `# checkov:skip=CKV_...:<reason>` comment in the
# resource it concerns, and a skip without a reason fails here.
checkov_version=3.3.30
checkov_venv="${venv}/checkov"
if [[ ! -f "${checkov_venv}/.installed-${checkov_version}" ]]; then
  "${venv}/bin/python" -m venv "${checkov_venv}"
  "${checkov_venv}/bin/pip" install --quiet "checkov==${checkov_version}"
  touch "${checkov_venv}/.installed-${checkov_version}"
fi
if grep -nE 'checkov:skip=[A-Z0-9_]+[[:space:]]*(:[[:space:]]*)?$' "${templates[@]}"; then
  echo "checkov skips above give no reason (checkov:skip=ID:reason)" >&2
  exit 1
fi
checkov_files=()
for template in "${templates[@]}"; do checkov_files+=(--file "${template}"); done
# Offline: no guideline download from the vendor, no external modules.
BC_SKIP_MAPPING=TRUE "${checkov_venv}/bin/checkov" --framework cloudformation --quiet --compact \
  --skip-download "${checkov_files[@]}"

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
