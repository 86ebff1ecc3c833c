"""deploy/backup.sh and deploy/restore.sh against the real MariaDB and moto's S3."""

import os
import subprocess

import MySQLdb
import pytest
from django.db import connection

from tests.factories import HallRatingFactory, PlayerFactory, TableFactory
from tests.lambdas.test_aws_flow import REGION, moto_url  # noqa: F401 - the moto server fixture
from tests.processes import ROOT

TABLES = ["accounts_user", "accounts_player", "halls_poolhouse", "halls_pooltable", "halls_hallrating"]


def _fingerprint(database: str) -> dict[str, tuple[int, int]]:
    server = MySQLdb.connect(host="127.0.0.1", user="root", port=3306, database=database)
    try:
        cursor = server.cursor()
        result = {}
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM `{table}`")
            count = cursor.fetchone()[0]
            cursor.execute(f"CHECKSUM TABLE `{table}`")
            result[table] = (count, cursor.fetchone()[1])
        return result
    finally:
        server.close()


@pytest.mark.django_db(transaction=True)
def test_backup_to_s3_then_restore_gives_the_same_rows(moto_url):  # noqa: F811
    import boto3

    PlayerFactory.create_batch(5)
    TableFactory.create_batch(3)
    HallRatingFactory.create_batch(2)
    source = connection.settings_dict["NAME"]
    target = f"{source}_restored"
    bucket = "strikem-backups-test"
    env = {
        **os.environ,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "3306",
        "DB_USER": "root",
        "DB_NAME": source,
        "BACKUP_BUCKET": bucket,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "PYTHON": str(ROOT / ".venv/bin/python"),
    }
    if not os.path.exists(env["PYTHON"]):
        env["PYTHON"] = "python3"
    boto3.client(
        "s3", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    backup = subprocess.run(["bash", "deploy/backup.sh"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert backup.returncode == 0, backup.stderr
    key = backup.stdout.strip().splitlines()[-1]
    assert key.startswith("mysql/") and key.endswith(".sql.gz")

    server = MySQLdb.connect(host="127.0.0.1", user="root", port=3306)
    server.cursor().execute(f"DROP DATABASE IF EXISTS `{target}`")
    try:
        restore = subprocess.run(
            ["bash", "deploy/restore.sh", key], cwd=ROOT, env={**env, "DB_NAME": target}, capture_output=True, text=True
        )
        assert restore.returncode == 0, restore.stderr
        original, restored = _fingerprint(source), _fingerprint(target)
        assert original == restored
        assert original["accounts_player"][0] == 7  # 5 players and the 2 reviewers
    finally:
        server.cursor().execute(f"DROP DATABASE IF EXISTS `{target}`")
        server.close()
