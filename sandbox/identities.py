"""Who acts in the emulator: an administrator that creates the stack, and each declared role.

moto evaluates identity policies once IAM enforcement is on (``POST /moto-api/reset-auth`` with
``0``): requests signed with an IAM user's keys are checked against that user's policies, requests
signed with ``sts:AssumeRole`` credentials against the role's inline and attached policies, read at
the time of the request. Assuming a role is itself checked against the role's trust policy, which
names a service (``lambda.amazonaws.com``) that no emulator identity is; so every role is assumed
once, before enforcement starts, as the services would assume them on AWS.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

ADMINISTRATOR = "sandbox-administrator"
_ALLOW_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
#: The longest session moto grants; credentials must outlive the longest run.
_SESSION_SECONDS = 12 * 3600


def create_administrator(iam) -> tuple[str, str]:
    """An IAM user allowed everything; returns its access key id and secret (call before enforcement)."""
    iam.create_user(UserName=ADMINISTRATOR)
    iam.put_user_policy(
        UserName=ADMINISTRATOR, PolicyName="administrator", PolicyDocument=json.dumps(_ALLOW_EVERYTHING)
    )
    key = iam.create_access_key(UserName=ADMINISTRATOR)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


class RoleSessions:
    """Credentials of every declared role, from ``sts:AssumeRole``."""

    def __init__(self) -> None:
        self._credentials: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()

    def assume(self, sts, role_arns: Iterable[str]) -> None:
        for arn in role_arns:
            answer = sts.assume_role(
                RoleArn=arn, RoleSessionName=arn.rsplit("/", 1)[-1][:64], DurationSeconds=_SESSION_SECONDS
            )["Credentials"]
            with self._lock:
                self._credentials[arn] = (
                    answer["AccessKeyId"],
                    answer["SecretAccessKey"],
                    answer["SessionToken"],
                )

    def credentials(self, role_arn: str) -> tuple[str, str, str]:
        """``(access key id, secret, session token)`` of a role the stack declared."""
        with self._lock:
            if role_arn not in self._credentials:
                raise KeyError(f"no credentials for {role_arn}: the stack declares no such role")
            return self._credentials[role_arn]

    def environment(self, role_arn: str) -> dict[str, str]:
        """The role's credentials as the variables Lambda and ECS set for the code they run."""
        key_id, secret, token = self.credentials(role_arn)
        return {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}


def _reset_auth(endpoint: str, initial_unchecked_requests: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - the local emulator's http URL
        f"{endpoint}/moto-api/reset-auth",
        data=initial_unchecked_requests.encode(),
        # Not a form: the server must leave the body alone for moto to read it.
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the local emulator
        return str(json.loads(answer.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


@contextmanager
def iam_enforced(endpoint: str) -> Iterator[None]:
    """Enforce IAM on every request to the emulator for the block, then restore moto's previous setting."""
    previous = _reset_auth(endpoint, "0")
    try:
        yield
    finally:
        _reset_auth(endpoint, previous)
