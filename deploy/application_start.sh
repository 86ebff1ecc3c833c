#!/usr/bin/env bash
# Start this instance's services and reload nginx.
set -euo pipefail
# shellcheck source=deploy/common.sh
source "$(dirname "$0")/common.sh"

mapfile -t wanted < <(units)
for unit in "${wanted[@]}"; do
  systemctl enable --now "${unit}"
  systemctl restart "${unit}"
done
nginx -t
systemctl reload nginx
