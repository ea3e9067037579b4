"""Where the stack's IAM roles live: one IAM path per stack, shared by the program and the delivery bootstrap.

Every role the program creates carries the path ``/eeg-pipeline/{stack}/``; the bootstrap's deploy
role of that stack may create and change roles under this path only (``bootstrap/access.py``).
Pure functions, no Pulumi import: the bootstrap project imports this module too.
"""

from __future__ import annotations

import re

from components.config import PROJECT_NAME

# Pulumi stack names; IAM paths accept more, so every stack name is a valid path segment.
_STACK_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def role_path(stack: str) -> str:
    """The IAM path of every role the ``stack`` creates, e.g. ``/eeg-pipeline/dev/``.

    Raises
    ------
    ValueError
        If ``stack`` is not a Pulumi stack name.
    """
    if not _STACK_NAME_PATTERN.fullmatch(stack):
        raise ValueError(f"{stack!r} is not a Pulumi stack name")
    return f"/{PROJECT_NAME}/{stack}/"


def stack_roles_arn(account_id: str, stack: str) -> str:
    """The ARN pattern matching every role the ``stack`` creates in ``account_id``."""
    return f"arn:aws:iam::{account_id}:role{role_path(stack)}*"
