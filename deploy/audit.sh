#!/usr/bin/env bash
# Known vulnerabilities in what we ship: the installed environment (requirements.txt and everything it
# pulls in) and the Lambdas' pinned requirements, checked by pip-audit against PyPI's advisory data.
# A vulnerable pin fails. Where the advisory data cannot be reached (a machine that sees only a package
# mirror) nothing can be judged: that is said plainly and, unless AUDIT_REQUIRED=1, does not fail.
set -euo pipefail
VENV=${VENV:-.venv}
report=$(mktemp)
trap 'rm -f "$report"' EXIT

audit() {
  local status=0
  "$VENV/bin/pip-audit" --progress-spinner off "$@" >>"$report" 2>&1 || status=$?
  return "$status"
}

status=0
audit || status=$?
audit --no-deps --disable-pip -r lambdas/requirements.txt || status=$?

if grep -qE "(PYSEC|GHSA|CVE)-[0-9A-Za-z-]+" "$report"; then
  grep -vE "^WARNING: Location" "$report"
  echo "audit: known vulnerabilities found (see above)"
  exit 1
fi
skipped=$(grep -c "could not be audited" "$report" || true)
if [ "$skipped" -gt 0 ]; then
  echo "audit: $skipped packages could not be checked: the advisory data is not reachable from here"
  if [ "${AUDIT_REQUIRED:-0}" = "1" ]; then
    exit 1
  fi
  exit 0
fi
if [ "$status" -ne 0 ]; then
  grep -vE "^WARNING: Location" "$report"
  exit "$status"
fi
echo "audit: no known vulnerabilities"
