"""Which environments one bootstrap, that is one AWS account, hosts.

A deploy role acts on its stack's services by account and region, not by environment: the stack's
buckets, tables, queues and user pools carry no environment in their names (``storage-uploads-1a2b3c4``
in every stack). Only IAM is walled apart (role paths, boundaries, ``iam:PassRole``). So in an
account shared by dev and prod, dev's deploy role can read and delete prod's uploads and results,
scan prod's tables, replace prod's function code and reset prod's users' passwords. A second
environment in one account is refused unless that is acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The bootstrap's config key that accepts several environments in one account.
SHARED_ACCOUNT_FLAG = "sharedAccountAcknowledged"


def hosted_environments(environments: Sequence[str], shared_account_acknowledged: bool) -> list[str]:
    """The environments (= stack names) to bootstrap in this account.

    Raises
    ------
    ValueError
        If there are none, or several without ``shared_account_acknowledged``.
    """
    if not environments:
        raise ValueError("environments is empty: list the environment this account hosts, e.g. ['prod']")
    if len(environments) > 1 and not shared_account_acknowledged:
        raise ValueError(
            f"environments {list(environments)} would share one AWS account, where each deploy role can "
            "read and change the other environments' data and code (docs/operations.md, step 0). "
            f"Bootstrap one account per environment, or set {SHARED_ACCOUNT_FLAG} to true to accept that."
        )
    return list(environments)
