"""The stack's own sign-in, used by :class:`~components.status_api.StatusApi` when no external issuer is
configured: a Cognito user pool, its public app clients, and the post-deploy smoke-test user."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def create_user_pool(
    name: str, parent: pulumi.Resource
) -> tuple[aws.cognito.UserPool, aws.cognito.UserPoolClient]:
    """A pool whose users only an administrator creates, and the researchers' app client (SRP only)."""
    child = pulumi.ResourceOptions(parent=parent)
    pool = aws.cognito.UserPool(
        f"{name}-user-pool",
        username_attributes=["email"],
        auto_verified_attributes=["email"],
        password_policy={
            "minimum_length": 12,
            "require_lowercase": True,
            "require_uppercase": True,
            "require_numbers": True,
            "require_symbols": True,
            "temporary_password_validity_days": 3,
        },
        account_recovery_setting={"recovery_mechanisms": [{"name": "verified_email", "priority": 1}]},
        admin_create_user_config={"allow_admin_create_user_only": True},
        opts=child,
    )
    return pool, _create_app_client(f"{name}-app-client", pool, "ALLOW_USER_SRP_AUTH", parent)


def _create_app_client(
    resource_name: str, pool: aws.cognito.UserPool, sign_in_flow: str, parent: pulumi.Resource
) -> aws.cognito.UserPoolClient:
    """A public app client (no secret) of the pool that signs users in with ``sign_in_flow`` only."""
    return aws.cognito.UserPoolClient(
        resource_name,
        user_pool_id=pool.id,
        generate_secret=False,
        explicit_auth_flows=[sign_in_flow, "ALLOW_REFRESH_TOKEN_AUTH"],
        prevent_user_existence_errors="ENABLED",
        enable_token_revocation=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def create_smoke_test_user(
    name: str, pool: aws.cognito.UserPool, email: str, parent: pulumi.Resource
) -> aws.cognito.UserPoolClient:
    """The smoke-test user ``email`` in ``pool``, and the app client it signs in with (``USER_PASSWORD_AUTH``)."""
    child = pulumi.ResourceOptions(parent=parent)
    aws.cognito.User(
        f"{name}-smoke-test-user",
        user_pool_id=pool.id,
        username=email,
        attributes={"email": email, "email_verified": "true"},
        # No invitation mail: an operator sets the permanent password (docs/operations.md).
        message_action="SUPPRESS",
        opts=child,
    )
    return _create_app_client(f"{name}-smoke-test-client", pool, "ALLOW_USER_PASSWORD_AUTH", parent)
