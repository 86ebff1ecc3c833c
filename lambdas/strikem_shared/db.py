"""The Lambdas' database connection: credentials from the environment or from Secrets Manager."""

import json
import os
from typing import Any
from urllib.parse import unquote, urlparse

import pymysql

_connection: Any = None


def _settings() -> dict[str, Any]:
    secret_arn = os.environ.get("DB_SECRET_ARN")
    if secret_arn:
        import boto3

        secret = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
        values = json.loads(secret["SecretString"])
        return {
            "host": values["host"],
            "port": int(values.get("port", 3306)),
            "user": values["username"],
            "password": values["password"],
            "database": values.get("dbname") or os.environ["DB_NAME"],
        }
    url = urlparse(os.environ["DATABASE_URL"])
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 3306,
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "database": url.path.lstrip("/"),
    }


def connection() -> Any:
    """One connection per Lambda container, reopened when the database dropped it."""
    global _connection
    if _connection is not None:
        try:
            _connection.ping()
            return _connection
        except pymysql.MySQLError:
            _connection = None
    _connection = pymysql.connect(charset="utf8mb4", autocommit=False, connect_timeout=5, **_settings())
    return _connection


def run_in_transaction(work: Any, *args: Any, **kwargs: Any) -> Any:
    """Run `work(cursor, ...)` and commit; roll back and re-raise on error."""
    conn = connection()
    try:
        with conn.cursor() as cursor:
            result = work(cursor, *args, **kwargs)
        conn.commit()
        return result
    except Exception:
        conn.rollback()
        raise
