"""``python -m eegclient token``: a token from the stack's identity provider, either way a stack signs in.

Cognito is moto's (the same InitiateAuth API over HTTP); the external issuer is a small OpenID
discovery document and token endpoint on 127.0.0.1 that checks the client's credentials.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import boto3
import pytest

from eegclient.login import stack_token
from eegclient.tokens import TokenError, token_expiry
from sandbox.emulator import free_port, start_server

pytestmark = pytest.mark.unit

PASSWORD = "Smoke-test-passw0rd!"  # noqa: S105 - moto's pool, made up for the test
USER = "eeg-smoke-test@example.org"


@pytest.fixture(scope="module")
def cognito() -> Iterator[dict]:
    """A pool with the smoke-test user and its password-auth client, as the stack creates them."""
    port = free_port()
    server = start_server(port)
    endpoint = f"http://127.0.0.1:{port}"
    idp = boto3.client(
        "cognito-idp",
        region_name="eu-west-2",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's
    )
    pool_id = idp.create_user_pool(PoolName="eeg", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="smoke", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool_id, Username=USER, MessageAction="SUPPRESS", TemporaryPassword=PASSWORD
    )
    yield {
        "endpoint": endpoint,
        "idp": idp,
        "outputs": {
            "apiUrl": "https://abc.execute-api.eu-west-2.amazonaws.com",
            "cognitoUserPoolId": pool_id,
            "cognitoUserPoolClientId": "researchers-client",
            "cognitoSmokeTestClientId": client_id,
            "cognitoSmokeTestUser": USER,
        },
    }
    server.stop()


def test_a_smoke_test_user_without_a_permanent_password_is_told_to_get_one(cognito):
    environ = {"AWS_ENDPOINT_URL_COGNITO_IDP": cognito["endpoint"], "EEG_PASSWORD": PASSWORD}

    with pytest.raises(
        TokenError, match="NEW_PASSWORD_REQUIRED: the smoke-test user needs a permanent password"
    ):
        stack_token(cognito["outputs"], environ)


def test_the_smoke_test_user_signs_in_with_its_password(cognito):
    outputs = cognito["outputs"]
    cognito["idp"].admin_set_user_password(
        UserPoolId=outputs["cognitoUserPoolId"], Username=USER, Password=PASSWORD, Permanent=True
    )
    environ = {"AWS_ENDPOINT_URL_COGNITO_IDP": cognito["endpoint"], "EEG_PASSWORD": PASSWORD}

    token = stack_token(outputs, environ)

    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["client_id"] == outputs["cognitoSmokeTestClientId"]
    assert claims["token_use"] == "access"  # noqa: S105 - a claim, not a secret
    assert token_expiry(token) is not None
    with pytest.raises(TokenError, match="NotAuthorizedException"):
        stack_token(outputs, {**environ, "EEG_PASSWORD": "wrong"})
    with pytest.raises(TokenError, match="set EEG_PASSWORD"):
        stack_token(outputs, {"AWS_ENDPOINT_URL_COGNITO_IDP": cognito["endpoint"]})


def test_a_pool_without_a_smoke_test_user_cannot_give_a_token(cognito):
    outputs = {name: value for name, value in cognito["outputs"].items() if "SmokeTest" not in name}

    with pytest.raises(TokenError, match="no smoke-test user"):
        stack_token(outputs, {})


@pytest.fixture
def issuer() -> Iterator[str]:
    """An OpenID issuer granting client credentials to client ``smoke`` with secret ``s3cret``."""

    class Issuer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the base class's name
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            self._answer(200, {"issuer": base, "token_endpoint": f"{base}/token"})

        def do_POST(self) -> None:  # noqa: N802 - the base class's name
            form = parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
            expected = "Basic " + base64.b64encode(b"smoke:s3cret").decode()
            if self.headers.get("authorization") != expected or form.get("grant_type") != [
                "client_credentials"
            ]:
                self._answer(401, {"error": "invalid_client", "error_description": "bad client credentials"})
            else:
                self._answer(
                    200, {"access_token": f"token-for-{form.get('scope', ['none'])[0]}", "expires_in": 300}
                )

        def _answer(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    # shutdown() waits for serve_forever's next poll (every 0.5 s by default)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/realms/research"
    server.shutdown()
    server.server_close()


def test_an_external_issuer_grants_the_smoke_test_client_a_token(issuer):
    outputs = {"apiUrl": "https://abc.execute-api.eu-west-2.amazonaws.com", "jwtIssuer": issuer}
    credentials = {"EEG_CLIENT_ID": "smoke", "EEG_CLIENT_SECRET": "s3cret"}

    assert stack_token(outputs, credentials, scope="eeg-pipeline") == "token-for-eeg-pipeline"
    with pytest.raises(TokenError, match="refused \\(HTTP 401\\): bad client credentials"):
        stack_token(outputs, {**credentials, "EEG_CLIENT_SECRET": "guess"})
