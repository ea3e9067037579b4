"""Tokens from the stack's identity provider, for the smoke test and scripts (``python -m eegclient token``).

* Stack with its own Cognito pool and a smoke-test user (outputs ``cognitoSmokeTestClientId`` and
  ``cognitoSmokeTestUser``): Cognito's ``InitiateAuth`` with ``USER_PASSWORD_AUTH`` through that
  user's own app client, over plain HTTPS; the password comes from ``EEG_PASSWORD``.
* Stack trusting an external issuer (output ``jwtIssuer``): the OAuth 2.0 client-credentials grant
  at the token endpoint the issuer's OpenID discovery document names; the client's id and secret
  come from ``EEG_CLIENT_ID`` and ``EEG_CLIENT_SECRET``.

Like AWS SDKs, the Cognito endpoint honours ``AWS_ENDPOINT_URL_COGNITO_IDP`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from .api import REQUEST_TIMEOUT_SECONDS
from .tokens import TokenError

PASSWORD_VARIABLE = "EEG_PASSWORD"  # noqa: S105 - the name of a variable, not a secret
CLIENT_ID_VARIABLE = "EEG_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "EEG_CLIENT_SECRET"  # noqa: S105 - the name of a variable, not a secret
_INITIATE_AUTH = "AWSCognitoIdentityProviderService.InitiateAuth"


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise TokenError(f"set {name}")
    return value


def _post(url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = requests.post(url, timeout=REQUEST_TIMEOUT_SECONDS, **kwargs)
        body = response.json()
    except (requests.RequestException, ValueError) as error:
        raise TokenError(f"{what}: no usable answer from {url}: {error}") from error
    if not isinstance(body, dict):
        raise TokenError(f"{what}: unexpected answer from {url}: {body!r:.200}")
    if response.status_code != 200:
        detail = body.get("message") or body.get("error_description") or body.get("error") or body
        kind = f"{body['__type']}: " if "__type" in body else ""
        raise TokenError(f"{what} refused (HTTP {response.status_code}): {kind}{detail}")
    return body


def cognito_endpoint(user_pool_id: str, environ: Mapping[str, str]) -> str:
    """Cognito's endpoint for the pool's region (pool ids start with the region: ``eu-west-2_AbC``)."""
    override = environ.get("AWS_ENDPOINT_URL_COGNITO_IDP") or environ.get("AWS_ENDPOINT_URL")
    return override or f"https://cognito-idp.{user_pool_id.split('_', 1)[0]}.amazonaws.com/"


def cognito_password_token(outputs: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """An access token of the stack's smoke-test user (``USER_PASSWORD_AUTH``)."""
    body = _post(
        cognito_endpoint(outputs["cognitoUserPoolId"], environ),
        "signing in to Cognito",
        headers={"X-Amz-Target": _INITIATE_AUTH, "Content-Type": "application/x-amz-json-1.1"},
        json={
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": outputs["cognitoSmokeTestClientId"],
            "AuthParameters": {
                "USERNAME": outputs["cognitoSmokeTestUser"],
                "PASSWORD": _required(environ, PASSWORD_VARIABLE),
            },
        },
    )
    if "AuthenticationResult" not in body:
        raise TokenError(
            f"Cognito asks for {body.get('ChallengeName')}: the smoke-test user needs a permanent password "
            "(admin-set-user-password --permanent, see docs/operations.md)"
        )
    return body["AuthenticationResult"]["AccessToken"]


def client_credentials_token(issuer: str, environ: Mapping[str, str], scope: str | None = None) -> str:
    """An access token from the issuer's token endpoint for the client in the environment."""
    discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        token_endpoint = requests.get(discovery_url, timeout=REQUEST_TIMEOUT_SECONDS).json()["token_endpoint"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise TokenError(f"no token endpoint in {discovery_url}: {error}") from error
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    body = _post(
        token_endpoint,
        "the client-credentials grant",
        data=form,
        auth=(_required(environ, CLIENT_ID_VARIABLE), _required(environ, CLIENT_SECRET_VARIABLE)),
    )
    return body["access_token"]


def stack_token(outputs: Mapping[str, Any], environ: Mapping[str, str], scope: str | None = None) -> str:
    """A token for the stack the outputs describe, by the way that stack signs its users in."""
    if "cognitoSmokeTestClientId" in outputs:
        return cognito_password_token(outputs, environ)
    if "cognitoUserPoolId" in outputs:
        raise TokenError(
            "this stack's Cognito pool has no smoke-test user (config smokeTestUser); researchers sign in "
            "with SRP through their app"
        )
    if isinstance(outputs.get("jwtIssuer"), str):
        return client_credentials_token(outputs["jwtIssuer"], environ, scope)
    raise TokenError("the stack outputs name neither a Cognito smoke-test client nor a jwtIssuer")
