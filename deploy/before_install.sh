#!/usr/bin/env bash
# Prepare an empty landing directory for the new artifact and the app user.
set -euo pipefail
# shellcheck source=deploy/common.sh
source "$(dirname "$0")/common.sh"

id -u "${APP_USER}" >/dev/null 2>&1 || useradd --system --home-dir "${APP_ROOT}" --shell /usr/sbin/nologin "${APP_USER}"
mkdir -p "${RELEASES}" "${APP_ROOT}/shared/media" "${APP_ROOT}/shared/var"
rm -rf "${INCOMING}"
mkdir -p "${INCOMING}"
