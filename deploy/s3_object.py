"""Copy one file to or from S3 (boto3; AWS_ENDPOINT_URL points it at moto in tests). Used by the backup
scripts, so instances need no AWS CLI.

    python deploy/s3_object.py put FILE s3://bucket/key
    python deploy/s3_object.py get s3://bucket/key FILE
"""

import os
import sys

import boto3


def _split(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise SystemExit(f"not an s3://bucket/key URL: {url}")
    bucket, key = url[5:].split("/", 1)
    return bucket, key


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] not in ("put", "get"):
        raise SystemExit(__doc__)
    client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
    if argv[0] == "put":
        bucket, key = _split(argv[2])
        client.upload_file(argv[1], bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
    else:
        bucket, key = _split(argv[1])
        client.download_file(bucket, key, argv[2])


if __name__ == "__main__":
    main(sys.argv[1:])
