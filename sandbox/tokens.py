"""Local JWTs for the sandbox's Status API: issued and verified on this machine.

On AWS an identity provider issues the tokens and API Gateway's JWT authorizer checks them. Here
``python -m sandbox token`` issues HS256 tokens with a key kept in the output folder (created on
first use, readable by its owner only), and the sandbox API server checks signature, issuer,
audience and expiry the way the authorizer does before a request reaches the handler.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from contracts.subjects import subject_for_user_id

ISSUER = "https://sandbox.eeg-pipeline.invalid"
AUDIENCE = "eeg-pipeline-sandbox"
KEY_FILE_NAME = "jwt-signing.key"
DEFAULT_LIFETIME_SECONDS = 3600
_ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, badly signed, expired or for someone else."""


def signing_key(directory: Path) -> OctKey:
    """The sandbox's signing key in ``directory``, created (mode 0600) if there is none yet."""
    path = directory / KEY_FILE_NAME
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_hex(32))
    return OctKey.import_key(path.read_text().strip().encode())


def issue_token(
    key: OctKey, user_id: str, *, lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS, now: int | None = None
) -> str:
    """A signed access token whose ``sub`` claim is the subject the Status API maps to ``user_id``.

    Raises
    ------
    ValueError
        If no subject maps to ``user_id`` (:func:`contracts.subjects.subject_for_user_id`).
    """
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject_for_user_id(user_id),
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
        "token_use": "access",
    }
    return jwt.encode({"alg": _ALGORITHM, "typ": "JWT"}, claims, key)


def verify_authorization(key: OctKey, headers: Mapping[str, str], *, now: int | None = None) -> dict[str, Any]:
    """Claims of the ``Authorization: Bearer`` token in ``headers`` (lower-case names), or :class:`InvalidToken`."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("no bearer token")
    try:
        decoded = jwt.decode(token.strip(), key, algorithms=[_ALGORITHM])
        jwt.JWTClaimsRegistry(
            now=now,
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": AUDIENCE},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as error:
        raise InvalidToken(str(error) or type(error).__name__) from error
    return dict(decoded.claims)
