#!/usr/bin/env bash
# Consistent, compressed dump of the app database, uploaded to S3. Prints the object's key.
#   DB_HOST DB_PORT DB_USER DB_NAME, MYSQL_PWD (read by the client, never on a command line),
#   BACKUP_BUCKET, optional BACKUP_PREFIX and AWS_ENDPOINT_URL.
set -euo pipefail

: "${DB_NAME:?}" "${DB_USER:?}" "${BACKUP_BUCKET:?}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
key="${BACKUP_PREFIX:-mysql}/${DB_NAME}-${stamp}.sql.gz"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

# --single-transaction: one consistent snapshot of InnoDB tables without locking the app out.
mysqldump --single-transaction --quick --routines --triggers --hex-blob --no-tablespaces \
  --host "${DB_HOST:-127.0.0.1}" --port "${DB_PORT:-3306}" --user "${DB_USER}" "${DB_NAME}" \
  | gzip -9 > "${work}/dump.sql.gz"
"${python}" "${here}/s3_object.py" put "${work}/dump.sql.gz" "s3://${BACKUP_BUCKET}/${key}"
echo "${key}"
