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
_sessions: dict[tuple[tuple[str, str], ...], boto3.session.Session] = {}
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
    environment = _client_environment(os.environ)
    cache_key = (service, environment)
    with _lock:
        if cache_key not in _cache:
            # One session per environment, used only under the lock: sessions are not thread-safe,
            # and sharing one keeps its loaded service models for the next client.
            if environment not in _sessions:
                _sessions[environment] = boto3.session.Session()
            _cache[cache_key] = _sessions[environment].client(service, config=_CLIENT_CONFIG)
        return _cache[cache_key]


def clear_cache() -> None:
    """Forget every cached client (tests use this between mocked AWS environments).

    Sessions stay: each is keyed by the environment it was made in, so it cannot serve another.
    """
    with _lock:
        _cache.clear()
