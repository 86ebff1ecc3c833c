#!/usr/bin/env bash
# Restore a dump made by backup.sh into DB_NAME (created if missing).
#   usage: restore.sh <key>   with DB_HOST DB_PORT DB_USER DB_NAME MYSQL_PWD BACKUP_BUCKET as for backup.sh
set -euo pipefail

key="${1:?usage: restore.sh <s3 key printed by backup.sh>}"
: "${DB_NAME:?}" "${DB_USER:?}" "${BACKUP_BUCKET:?}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

"${python}" "${here}/s3_object.py" get "s3://${BACKUP_BUCKET}/${key}" "${work}/dump.sql.gz"
client=(mysql --host "${DB_HOST:-127.0.0.1}" --port "${DB_PORT:-3306}" --user "${DB_USER}")
"${client[@]}" -e "CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
gunzip -c "${work}/dump.sql.gz" | "${client[@]}" "${DB_NAME}"
echo "restored ${key} into ${DB_NAME}"
