"""Containers that misbehave on purpose, run by the sandbox in place of the classifier image.

``python fake_containers.py MODE`` with the classifier's environment contract (architecture.md §6):

* ``crash``: exits 1 without writing anything, like an unexpected error before the manifest;
* ``hog-memory``: allocates until the task's memory limit kills it;
* ``no-manifest``: exits 0 without writing a manifest;
* ``bad-manifest``: writes a ``manifest.json`` that is not the contract's, then exits 0;
* ``hang``: never finishes, until the task is stopped.
"""

from __future__ import annotations

import os
import sys
import threading

import boto3


def crash() -> int:
    print("classifier: unexpected failure while loading", file=sys.stderr)
    return 1


def hog_memory() -> int:
    chunks = []
    while True:
        chunks.append(b"x" * 32 * 1024 * 1024)


def no_manifest() -> int:
    return 0


def bad_manifest() -> int:
    boto3.client("s3").put_object(
        Bucket=os.environ["RESULTS_BUCKET"],
        Key=os.environ["RESULTS_PREFIX"] + "manifest.json",
        Body=b'{"status": "succeeded", "outputs": "everything went fine"}',
    )
    return 0


def hang() -> int:
    threading.Event().wait()
    return 0


MODES = {
    "crash": crash,
    "hog-memory": hog_memory,
    "no-manifest": no_manifest,
    "bad-manifest": bad_manifest,
    "hang": hang,
}

if __name__ == "__main__":
    sys.exit(MODES[sys.argv[1]]())
