"""AWS's limits on the stack config values that no type or pattern check catches, checked when the config
is loaded so that a value AWS would refuse stops the program before any resource exists, not halfway
through ``pulumi up``.

Each limit names its AWS source. Where the limit is an account quota AWS can raise, the rule assumes the
default quota and its error says so; a stack in an account with a raised quota would need the rule changed.
:mod:`components.config_loading` calls these readers and checks; the other rules of each key are there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.config import ConfigError
from components.config_values import read_int

# PutFunctionConcurrency leaves at least 100 concurrent executions unreserved in the account and region
# (https://docs.aws.amazon.com/lambda/latest/dg/API_PutFunctionConcurrency.html), out of a default
# quota of 1,000, lower in new accounts (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
DEFAULT_ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED_CONCURRENCY = 100
MAX_RESERVED_CONCURRENCY = DEFAULT_ACCOUNT_CONCURRENCY - MIN_UNRESERVED_CONCURRENCY


def read_reserved_concurrency(raw: Mapping[str, Any], key: str) -> int | None:
    """A function's reserved concurrency, or ``None`` when ``key`` is unset (the unreserved pool).

    The API function is the stack's only function with a reservation, so its own must leave the 100.
    """
    if key not in raw:
        return None
    reserved = read_int(raw, key, 0, 1, None)
    if reserved > MAX_RESERVED_CONCURRENCY:
        raise ConfigError(
            f"{key} {reserved} would leave fewer than {MIN_UNRESERVED_CONCURRENCY} of the account's "
            f"concurrent Lambda executions unreserved, which Lambda refuses: at most {MAX_RESERVED_CONCURRENCY} "
            f"with the default quota of {DEFAULT_ACCOUNT_CONCURRENCY}, less what other functions in the "
            "account and region reserve (a new account's quota may be lower)"
        )
    return reserved
