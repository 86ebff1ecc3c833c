#!/usr/bin/env bash
# Shared by the CodeDeploy hooks: where releases live and which units run on this instance.
# shellcheck disable=SC2034  # the variables are used by the hooks that source this file
set -euo pipefail

APP_ROOT=/opt/strikem
RELEASES="${APP_ROOT}/releases"
CURRENT="${APP_ROOT}/current"
INCOMING="${APP_ROOT}/incoming"
ENV_FILE=/etc/strikem/strikem.env
APP_USER=strikem

units() {
  local list=(strikem-web strikem-asgi strikem-worker)
  if [[ -f "${ENV_FILE}" ]] && grep -qx 'STRIKEM_BEAT=true' "${ENV_FILE}"; then
    list+=(strikem-beat)
  fi
  printf '%s\n' "${list[@]}"
}
