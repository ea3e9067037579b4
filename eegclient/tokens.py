"""Where the bearer token comes from, and what a refused token looks like to a person.

A token is given directly (``--token``), produced by a command (``--token-command``, e.g.
``python -m sandbox token --user me`` or an identity provider's CLI), or read from
``EEG_API_TOKEN``, in that order. The client never checks a signature (the API does); it only
reads the token's ``exp`` claim to explain a 401.
"""

from __future__ import annotations

import base64
import binascii
import json
import shlex
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial

TOKEN_VARIABLE = "EEG_API_TOKEN"  # noqa: S105 - the name of a variable, not a secret
TOKEN_COMMAND_TIMEOUT_SECONDS = 60


class TokenError(Exception):
    """No token could be obtained."""


def run_token_command(command: str) -> str:
    """The token a command prints on stdout (split like a shell line, run without a shell)."""
    try:
        finished = subprocess.run(  # noqa: S603 - the user's own command line, run as given without a shell
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=TOKEN_COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise TokenError(f"the token command could not run: {error}") from error
    if finished.returncode != 0:
        detail = finished.stderr.strip().splitlines()[-1:] or ["no message"]
        raise TokenError(f"the token command exited with {finished.returncode}: {detail[0]}")
    token = finished.stdout.strip()
    if not token or any(character.isspace() for character in token):
        raise TokenError("the token command must print exactly one token on stdout")
    return token


def _one_word(token: str, source: str) -> str:
    if any(character.isspace() for character in token):
        raise TokenError(
            f"the token from {source} holds a space or line break: give the token alone, without 'Bearer '"
        )
    return token


def resolve_token(token: str | None, token_command: str | None, environ: Mapping[str, str]) -> str:
    """The bearer token from the first source that gives one."""
    if token:
        return _one_word(token.strip(), "--token")
    if token_command:
        return run_token_command(token_command)
    from_environment = environ.get(TOKEN_VARIABLE, "").strip()
    if from_environment:
        return _one_word(from_environment, TOKEN_VARIABLE)
    raise TokenError(f"no token: pass --token or --token-command, or set {TOKEN_VARIABLE}")


def token_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, unverified; ``None`` if the token is not a JWT with one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (binascii.Error, ValueError, TypeError, KeyError, OverflowError):
        return None


def explain_rejection(token: str, now: datetime) -> str:
    """Why the API probably refused ``token`` (HTTP 401), in words a researcher can act on."""
    expiry = token_expiry(token)
    if expiry is not None and expiry <= now:
        return (
            f"the API refused the token: it expired at {expiry:%Y-%m-%d %H:%M:%S} UTC; "
            "get a fresh one and try again"
        )
    return (
        "the API refused the token (401): it is not signed by the stack's issuer, is for another "
        "audience, or is malformed"
    )


def token_refresher(token: str | None, token_command: str | None) -> Callable[[], str] | None:
    """What gives a new token when the API refuses one: the token command, when it is the source
    (:func:`resolve_token`'s order); a token given as it is cannot be renewed."""
    if token or not token_command:
        return None
    return partial(run_token_command, token_command)
