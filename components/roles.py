"""One IAM role of the stack and its inline policy, as every component declares them.

Each role sits under the stack's IAM path (:func:`components.iam_names.role_path`) and carries the
permissions boundary from config when one is set: the bootstrap's deploy role may create or change
roles only there and only with that boundary (docs/operations.md, "Set up delivery once").
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components import policies
from components.iam_names import role_path


def create_service_role(
    name: str,
    service: str,
    policy: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
    permissions_boundary_arn: str | None,
    policy_name: str | None = None,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """Declare a role that ``service`` (e.g. ``lambda.amazonaws.com``) assumes, with ``policy`` inline.

    Parameters
    ----------
    name
        Logical name of the role.
    service
        The service principal trusted to assume the role.
    policy
        The inline policy document as JSON text.
    parent
        The owning component.
    permissions_boundary_arn
        The boundary every role of the stack carries, or ``None``.
    policy_name
        Logical name of the inline policy (default ``f"{name}-policy"``).

    Returns
    -------
    tuple
        The role and its inline policy (functions depend on the policy before their first call).
    """
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        path=role_path(pulumi.get_stack()),
        assume_role_policy=json.dumps(policies.assume_role_policy(service)),
        permissions_boundary=permissions_boundary_arn,
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(policy_name or f"{name}-policy", role=role.id, policy=policy, opts=child)
    return role, role_policy
