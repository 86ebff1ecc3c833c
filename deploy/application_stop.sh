#!/usr/bin/env bash
# Stop the running release's services (a first deploy has none).
set -euo pipefail
# shellcheck source=deploy/common.sh
source "$(dirname "$0")/common.sh"

mapfile -t running < <(units)
for unit in "${running[@]}"; do
  systemctl stop "${unit}" 2>/dev/null || true
done
