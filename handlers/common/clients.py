"""AWS clients created on first use (never at import) and reused across warm invocations.

Clients are cached per service *and* per the environment that shapes them (region, endpoint
overrides, credentials), so the same process can talk to real AWS, a local emulator or a test
mock without handing out a client built for another. ``AWS_ENDPOINT_URL*`` is honoured by boto3
itself.
"""

import os
import threading
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
_lock = threading.Lock()
_cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def _client_environment(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    relevant = (
        name
        for name in environ
        if name.startswith("AWS_ENDPOINT_URL")
        or name in {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"}
    )
    return tuple(sorted((name, environ[name]) for name in relevant))


def client(service: str) -> Any:
    """The cached boto3 client for ``service`` in the current environment (thread-safe)."""
    cache_key = (service, _client_environment(os.environ))
    with _lock:
        if cache_key not in _cache:
            # A fresh session per client: the default session is not safe to share across threads.
            _cache[cache_key] = boto3.session.Session().client(service, config=_CLIENT_CONFIG)
        return _cache[cache_key]


def clear_cache() -> None:
    """Forget every cached client (tests use this between mocked AWS environments)."""
    with _lock:
        _cache.clear()
