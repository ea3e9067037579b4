"""AWS clients created on first use (never at import) and reused across warm invocations.

Clients are cached per service *and* per the environment that shapes them (region, endpoint
overrides, credentials), so the same process can talk to real AWS, a local emulator or a test
mock without handing out a client built for another. ``AWS_ENDPOINT_URL*`` is honoured by boto3
itself.

On Lambda the environment is the process's. A host that runs several functions in one process
(the sandbox) gives each invocation its own with :func:`invocation_environment`: the function's
variables and the credentials of its role, as the Lambda runtime would set them. Handlers read
their settings through :func:`environment` for that reason.
"""

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import boto3
from botocore.config import Config

_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
_lock = threading.Lock()
_sessions: dict[tuple[tuple[str, str], ...], boto3.session.Session] = {}
_cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
_invocation: ContextVar[Mapping[str, str] | None] = ContextVar("invocation_environment", default=None)


def environment() -> Mapping[str, str]:
    """The function's environment variables: the invocation's if a host set them, else the process's."""
    injected = _invocation.get()
    return os.environ if injected is None else injected


@contextmanager
def invocation_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the block (in this thread or task only) as an invocation whose environment is ``variables``."""
    token = _invocation.set(dict(variables))
    try:
        yield
    finally:
        _invocation.reset(token)


def _client_environment(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    relevant = (
        name
        for name in environ
        if name.startswith("AWS_ENDPOINT_URL")
        or name in {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"}
    )
    return tuple(sorted((name, environ[name]) for name in relevant))


def _new_session(environ: Mapping[str, str]) -> boto3.session.Session:
    """A session with the credentials and region of ``environ``; boto3's own lookup for what it lacks."""
    if environ is os.environ:
        return boto3.session.Session()
    return boto3.session.Session(
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=environ.get("AWS_SESSION_TOKEN"),
        region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
    )


def client(service: str) -> Any:
    """The cached boto3 client for ``service`` in the current environment (thread-safe)."""
    environ = environment()
    key = _client_environment(environ)
    cache_key = (service, key)
    with _lock:
        if cache_key not in _cache:
            # One session per environment, used only under the lock: sessions are not thread-safe,
            # and sharing one keeps its loaded service models for the next client.
            if key not in _sessions:
                _sessions[key] = _new_session(environ)
            endpoint = None if environ is os.environ else environ.get("AWS_ENDPOINT_URL")
            _cache[cache_key] = _sessions[key].client(service, config=_CLIENT_CONFIG, endpoint_url=endpoint)
        return _cache[cache_key]


def clear_cache() -> None:
    """Forget every cached client (tests use this between mocked AWS environments).

    Sessions stay: each is keyed by the environment it was made in, so it cannot serve another.
    """
    with _lock:
        _cache.clear()
