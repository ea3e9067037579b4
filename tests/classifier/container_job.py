"""The container job the container tests run: its buckets, keys and environment (with the run's presigned URLs),
and the emulated S3's contents and the job's log lines as the tests read them."""

import json
from pathlib import Path

import boto3

from contracts.run_input import RunInput
from handlers.presign_run import presign_run

REGION = "eu-west-2"
UPLOAD_BUCKET = "eeg-uploads"
RESULTS_BUCKET = "eeg-results"
INPUT_KEY = "uploads/u1/s1/rec.zip"
PREFIX = "results/u1/s1/run-0123/"
EXECUTION_ARN = f"arn:aws:states:{REGION}:123456789012:execution:eeg-pipeline:run-0123"
URL_SECONDS = 600


def s3_client(endpoint):
    """The signer's client (fake keys the emulator accepts; the container itself has none)."""
    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="signer",
        aws_secret_access_key="signer",  # noqa: S106 - the emulator's fake keys
    )


def run_access(s3, version_id: str, results_bucket: str = RESULTS_BUCKET) -> str:
    """``RUN_ACCESS`` for the job, as the presign step signs it."""
    run = RunInput(
        bucket=UPLOAD_BUCKET,
        key=INPUT_KEY,
        upload_version=version_id,
        size=1,
        user_id="u1",
        session_id="s1",
        run_id="run-0123",
        results_prefix=PREFIX,
        execution_arn=EXECUTION_ARN,
    )
    return presign_run(s3, run, results_bucket=results_bucket, expires_in_seconds=URL_SECONDS).encode()


def job_environment(s3, version_id="no-such-version", results_bucket=RESULTS_BUCKET, **changes):
    environment = {
        "INPUT_BUCKET": UPLOAD_BUCKET,
        "INPUT_KEY": INPUT_KEY,
        "INPUT_VERSION_ID": version_id,
        "RESULTS_PREFIX": PREFIX,
        "USER_ID": "u1",
        "SESSION_ID": "s1",
        "RUN_ID": "run-0123",
        "EXECUTION_ARN": EXECUTION_ARN,
        "RUN_ACCESS": run_access(s3, version_id, results_bucket),
        "FBCSP_PERMUTATIONS": "5",
        "FBCSP_SEED": "0",
    }
    environment.update(changes)
    return {name: value for name, value in environment.items() if value is not None}


def make_buckets(s3, *names):
    for name in names:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def put_input(s3, path: Path) -> str:
    """Upload ``path`` as the job's input; return the new version's id."""
    return s3.put_object(Bucket=UPLOAD_BUCKET, Key=INPUT_KEY, Body=path.read_bytes())["VersionId"]


def stored_keys(s3, bucket=RESULTS_BUCKET):
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def read_json(s3, key, bucket=RESULTS_BUCKET):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def log_lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]

