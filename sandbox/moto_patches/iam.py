"""moto adjustments for enforced IAM: authorisation as AWS does it, the state machine's role,
presigned requests, the TLS-only bucket policy, and denial reports.

Part of :mod:`sandbox.moto_patches` (see there for what each stands in for).
"""

from __future__ import annotations

import hmac
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.auth import SIGV4_TIMESTAMP, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.iam.access_control import IAMPolicy, IAMRequest, IAMRequestBase, PermissionResult, S3IAMRequest
from moto.s3.exceptions import S3AccessDeniedError, S3ClientError
from moto.s3.models import FakeBucket
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.parse import asl_parser  # noqa: F401 - loads every interpreter module now
from moto.stepfunctions.parser.asl.utils import boto_client as sfn_boto_client

from ..iam_actions import requested_permissions


@dataclass(frozen=True)
class Denial:
    """One request the emulator refused: who, what, on which resource."""

    principal_arn: str
    action: str
    resource: str


#: Role ARN → ``(access key id, secret access key, session token)``.
RoleCredentials = Callable[[str], tuple[str, str, str | None]]


def _request_parameters(response) -> dict[str, Any]:
    """A request's parameters: its JSON body (already parsed by some services), or its query/form fields."""
    body = response.body
    if isinstance(body, dict):
        return body
    if isinstance(body, str) and body.lstrip().startswith("{"):
        return json.loads(body)
    return {name: values[0] for name, values in response.querystring.items() if values}


def _signing_service(response) -> str:
    """The service name of the request's SigV4 credential scope (``states`` for Step Functions)."""
    scope = response.headers.get("Authorization", "").partition("Credential=")[2].partition(",")[0]
    parts = scope.split("/")
    return parts[3] if len(parts) > 3 else ""


def _as_action(action: str):
    """An ``IAMRequest`` factory authorising ``action`` (``service:Operation``), not the operation's name."""
    operation = action.split(":", 1)[1]

    def build(**request):
        return IAMRequest(**{**request, "action": operation})

    return build


def authorize_request_resources() -> None:
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

    def authorize_as_aws(self, resource: str = "*") -> None:
        permissions = None
        if resource == "*" and "Authorization" in self.headers:
            permissions = requested_permissions(
                _signing_service(self),
                self._get_action(),
                parameters=_request_parameters(self),
                path=urlparse(self.uri).path,
                query={name: values[0] for name, values in parse_qs(urlparse(self.uri).query).items()},
                region=self.region,
                account=self.current_account,
            )
        if not permissions:
            authorize(self, resource)
            return
        for action, arn in permissions:
            self._authenticate_and_authorize_action(_as_action(action), arn)

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize_as_aws


def sign_state_machine_calls_with_its_role(role_credentials: RoleCredentials) -> None:
    config = Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1})

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        key_id, secret, token = role_credentials(state_credentials.role_arn)
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=f"http://localhost:{moto_server_port()}",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=config,
        )

    for module in _modules_using_sfn_boto_client():
        module.boto_client_for = boto_client_for


def _modules_using_sfn_boto_client() -> list[Any]:
    """Every interpreter module that imported ``boto_client_for`` by name (each holds its own reference)."""
    original = sfn_boto_client.boto_client_for
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "boto_client_for", None) is original
    ]


def report_denials(on_denied: Callable[[Denial], None]) -> None:
    check = IAMRequestBase.check_action_permitted

    def check_reporting(self, resource: str) -> None:
        try:
            check(self, resource)
        except (AccessDeniedError, S3AccessDeniedError):
            on_denied(Denial(principal_arn=self._access_key.arn, action=self._action, resource=resource))
            raise

    IAMRequestBase.check_action_permitted = check_reporting


def _true_over_https(condition: dict[str, Any]) -> bool:
    """Whether a statement's ``Bool`` test of ``aws:SecureTransport`` holds for an HTTPS request."""
    expected = condition.get("Bool", {}).get("aws:SecureTransport")
    if expected is None:
        return True
    values = expected if isinstance(expected, list) else [expected]
    return "true" in [str(value).lower() for value in values]


def as_for_https(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy without the statements that do not apply to an HTTPS request."""
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    applying = [item for item in statements if _true_over_https(item.get("Condition", {}))]
    return {**policy, "Statement": applying}


def evaluate_bucket_policies_as_for_https() -> None:
    def get_permission(self, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = as_for_https(json.loads(self.policy.decode()))
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def authorize_presigned_requests() -> None:
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action

    def authorize_signer(self, bucket_name: str | None = None, key_name: str | None = None) -> None:
        fields = {name.lower(): values[0] for name, values in self.querystring.items() if values}
        enforcing = ActionAuthenticatorMixin.request_count >= moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        if "Authorization" in self.headers or "x-amz-credential" not in fields or not enforcing:
            authorize(self, bucket_name, key_name)
            return
        key_name = key_name or fields.get("key")
        headers = {
            **dict(self.headers),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={fields['x-amz-credential']}, SignedHeaders=host, "
            f"Signature={fields.get('x-amz-signature', '')}",
        }
        if "x-amz-security-token" in fields:
            headers["X-Amz-Security-Token"] = fields["x-amz-security-token"]
        signer = S3IAMRequest(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path,
            data=self.data,
            body=self.raw_body,
            headers=headers,
            action=self._get_action(),
        )
        # A presigned POST signs its policy document, not the request: only URLs are checked here.
        if "x-amz-signature=" in self.parsed_url.query.lower():
            _check_query_signature(self, signer, fields)
        target = f"{bucket_name}/{key_name}" if key_name else bucket_name
        signer.check_action_permitted(f"arn:aws:s3:::{target}")

    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize_signer


def query_signature(
    credentials: Credentials, method: str, url: str, headers: Mapping[str, str], region: str, timestamp: str
) -> str:
    """The SigV4 query-string signature of a request to ``url`` (its query without ``X-Amz-Signature``)."""
    request = AWSRequest(method=method, url=url, headers=dict(headers))
    request.context["timestamp"] = timestamp
    auth = S3SigV4QueryAuth(credentials, "s3", region)
    return auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)


def _check_query_signature(response, signer: S3IAMRequest, fields: dict[str, str]) -> None:
    """Refuse a presigned request whose signature does not cover it (another key, method or
    Content-Type than signed) or whose validity has passed, as S3 does."""
    timestamp = fields.get("x-amz-date", "")
    signed_at = datetime.strptime(timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    if datetime.now(UTC) > signed_at + timedelta(seconds=int(fields.get("x-amz-expires", "0"))):
        raise S3ClientError("AccessDenied", "Request has expired")  # S3's answer to a URL past its X-Amz-Expires
    query = "&".join(
        pair for pair in response.parsed_url.query.split("&") if not pair.lower().startswith("x-amz-signature=")
    )
    signed_names = set(fields.get("x-amz-signedheaders", "host").split(";")) - {"host"}
    headers = {name: value for name, value in response.headers.items() if name.lower() in signed_names}
    url = f"http://{response.headers['Host']}{response.raw_path}?{query}"
    region = fields["x-amz-credential"].split("/")[2]
    expected = query_signature(
        signer._access_key.create_credentials(), response.method, url, headers, region, timestamp
    )
    if not hmac.compare_digest(expected, fields["x-amz-signature"]):
        signer._raise_signature_does_not_match()
