"""AWS's limits on the stack config values that no type or pattern check catches, checked when the config
is loaded so that a value AWS would refuse stops the program before any resource exists, not halfway
through ``pulumi up``.

Each limit names its AWS source. Where the limit is an account quota AWS can raise, the rule assumes the
default quota and its error says so; a stack in an account with a raised quota would need the rule changed.
:mod:`components.config_loading` calls these readers and checks; the other rules of each key are there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.config import PROJECT_NAME, ConfigError
from components.config_values import as_object, read_float, read_int
from components.retry import (
    DEFAULT_CAPACITY_WAIT_MINUTES,
    active_run_window_seconds,
    capacity_retry_policy,
    retry_budget_seconds,
)
from contracts.run_access import MAX_RUN_ACCESS_SECONDS

# Tags reach every resource through the provider's default tags, so each must fit every service's rules:
# at most 50 on a resource (as on the stack's tables:
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TaggingRestrictions.html); keys of 128
# characters in IAM and most services but 127 in EC2, which the stack's VPC, subnets and endpoints are
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Tag.html); values of 256; the characters of
# IAM's pattern [\p{L}\p{Z}\p{N}_.:/=+\-@] (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html,
# also Lambda's); "aws:" is reserved as the prefix of a key or a value
# (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html).
MAX_TAGS_PER_RESOURCE = 50
MAX_TAG_KEY_LENGTH = 127
MAX_TAG_VALUE_LENGTH = 256
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
_RESERVED_TAG_PREFIX = "aws:"
_TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"

# PutFunctionConcurrency leaves at least 100 concurrent executions unreserved in the account and region
# (https://docs.aws.amazon.com/lambda/latest/dg/API_PutFunctionConcurrency.html), out of a default
# quota of 1,000, lower in new accounts (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
DEFAULT_ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED_CONCURRENCY = 100
MAX_RESERVED_CONCURRENCY = DEFAULT_ACCOUNT_CONCURRENCY - MIN_UNRESERVED_CONCURRENCY

# RunTask awsvpcConfiguration:
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html
MAX_TASK_SUBNETS = 16
MAX_TASK_SECURITY_GROUPS = 5
# Audiences per JWT authorizer: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
MAX_JWT_AUDIENCES = 50
# AdminCreateUser Username:
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminCreateUser.html
MAX_COGNITO_USERNAME_LENGTH = 128

# A run's presigned URLs are signed for its whole window (capacity retries, training, a margin) and die
# with the Lambda credentials that signed them: the capacity wait and the training timeout together are
# held to the window that MAX_RUN_ACCESS_SECONDS admits (contracts/run_access.py gives the sources).
MIN_TRAIN_TIMEOUT_MINUTES = 5
MIN_CAPACITY_WAIT_MINUTES = DEFAULT_CAPACITY_WAIT_MINUTES
_RUN_WINDOW_REASON = (
    "a run's presigned URLs must last its capacity retries, its training and 15 minutes more, and are signed "
    f"for at most {MAX_RUN_ACCESS_SECONDS // 3600} hours because they stop working when the signing Lambda's "
    "temporary credentials expire (seen after about 12 hours), after which the run could not write its results"
)


def max_train_timeout_minutes(capacity_wait_minutes: int) -> int:
    """The longest ``trainTimeoutMinutes`` whose runs the URLs outlast with these capacity retries."""
    capacity_retry = capacity_retry_policy(capacity_wait_minutes)
    return (MAX_RUN_ACCESS_SECONDS - active_run_window_seconds(0, capacity_retry)) // 60


def max_capacity_wait_minutes(train_timeout_minutes: int) -> int:
    """The longest ``capacityWaitMinutes`` whose runs the URLs outlast with this training timeout (less
    than :data:`MIN_CAPACITY_WAIT_MINUTES` when not even the least fits)."""
    # The retries' total overshoots the minutes asked for by up to one 120 s wait: count up to the last fit.
    minutes = MIN_CAPACITY_WAIT_MINUTES - 1
    while max_train_timeout_minutes(minutes + 1) >= train_timeout_minutes:
        minutes += 1
    return minutes


#: Whatever the training timeout: the capacity wait the URLs outlast with the shortest training.
MAX_CAPACITY_WAIT_MINUTES = max_capacity_wait_minutes(MIN_TRAIN_TIMEOUT_MINUTES)


@dataclass(frozen=True)
class ThrottleQuota:
    """API Gateway's account-level throttling quota in a region: requests per second and burst."""

    rate: float
    burst: int


# A stage's default route throttling can't exceed the account's quota
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html); the default
# quota is lower in the regions listed at https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html.
DEFAULT_THROTTLE_QUOTA = ThrottleQuota(rate=10_000, burst=5_000)
REDUCED_THROTTLE_QUOTA = ThrottleQuota(rate=2_500, burst=1_250)
REDUCED_THROTTLE_QUOTA_REGIONS = frozenset(
    {
        "af-south-1",  # Cape Town
        "ap-south-2",  # Hyderabad
        "ap-southeast-3",  # Jakarta
        "ap-southeast-4",  # Melbourne
        "ap-southeast-5",  # Malaysia
        "ap-southeast-7",  # Thailand
        "ca-west-1",  # Calgary
        "eu-central-2",  # Zurich
        "eu-south-1",  # Milan
        "eu-south-2",  # Spain
        "il-central-1",  # Tel Aviv
        "me-central-1",  # UAE
        "mx-central-1",  # Mexico (Central)
    }
)


def default_throttle_quota(region: str) -> ThrottleQuota:
    """API Gateway's default account-level throttling quota in ``region``."""
    return REDUCED_THROTTLE_QUOTA if region in REDUCED_THROTTLE_QUOTA_REGIONS else DEFAULT_THROTTLE_QUOTA


def read_tags(raw: Mapping[str, Any], environment: str) -> dict[str, str]:
    """The user's ``tags`` merged with the project's ``project`` and ``environment`` tags (which win)."""
    user_tags = as_object(raw.get("tags", {}), "tags")
    for key, value in user_tags.items():
        if not _is_tag_text(str(key), 1, MAX_TAG_KEY_LENGTH):
            raise ConfigError(
                f"tags: {key!r} is not a valid tag key (1-{MAX_TAG_KEY_LENGTH} {_TAG_CHARACTERS}; "
                f"not starting '{_RESERVED_TAG_PREFIX}')"
            )
        if not isinstance(value, str | int | float) or not _is_tag_text(str(value), 0, MAX_TAG_VALUE_LENGTH):
            raise ConfigError(
                f"tags: the value of {key!r} must be a string of at most {MAX_TAG_VALUE_LENGTH} "
                f"{_TAG_CHARACTERS}, not starting '{_RESERVED_TAG_PREFIX}'"
            )
    tags = {
        **{str(key): str(value) for key, value in user_tags.items()},
        "project": PROJECT_NAME,
        "environment": environment,
    }
    if len(tags) > MAX_TAGS_PER_RESOURCE:
        raise ConfigError(
            f"tags: {len(tags)} tags with the stack's own 'project' and 'environment'; "
            f"AWS allows at most {MAX_TAGS_PER_RESOURCE} on a resource"
        )
    _refuse_keys_differing_in_case(tags)
    return tags


def _refuse_keys_differing_in_case(tags: Mapping[str, str]) -> None:
    # IAM compares tag keys without case: CreateRole refuses "Duplicate tag keys found. Please note that
    # Tag keys are case insensitive." (reported in github-aws-runners/terraform-aws-github-runner#1346 and
    # aws/aws-cdk#26253), so a user's 'Project' beside the stack's 'project' fails.
    seen: dict[str, str] = {}
    for key in tags:
        other = seen.setdefault(key.casefold(), key)
        if other != key:
            raise ConfigError(
                f"tags: {other!r} and {key!r} differ only in case, which IAM counts as one key and refuses "
                "on the stack's roles (the stack tags every resource with 'project' and 'environment')"
            )


def _is_tag_text(text: str, min_length: int, max_length: int) -> bool:
    allowed = all(unicodedata.category(char)[0] in "LNZ" or char in _TAG_PUNCTUATION for char in text)
    reserved = text.lower().startswith(_RESERVED_TAG_PREFIX)
    return min_length <= len(text) <= max_length and allowed and not reserved


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


def read_capacity_wait_minutes(raw: Mapping[str, Any], default: int) -> int:
    """``capacityWaitMinutes``, short enough that the run's presigned URLs outlast it with the shortest training."""
    minutes = read_int(raw, "capacityWaitMinutes", default, MIN_CAPACITY_WAIT_MINUTES, None)
    if minutes > MAX_CAPACITY_WAIT_MINUTES:
        raise ConfigError(
            f"capacityWaitMinutes {minutes} is over {MAX_CAPACITY_WAIT_MINUTES}: {_RUN_WINDOW_REASON}, even "
            f"with the shortest training (trainTimeoutMinutes {MIN_TRAIN_TIMEOUT_MINUTES})"
        )
    return minutes


def read_train_timeout_minutes(raw: Mapping[str, Any], default: int, capacity_wait_minutes: int) -> int:
    """``trainTimeoutMinutes``, short enough that the run's presigned URLs outlast it after the capacity
    retries ``capacity_wait_minutes`` gives."""
    minutes = read_int(raw, "trainTimeoutMinutes", default, MIN_TRAIN_TIMEOUT_MINUTES, None)
    longest = max_train_timeout_minutes(capacity_wait_minutes)
    if minutes > longest:
        capacity_seconds = retry_budget_seconds(capacity_retry_policy(capacity_wait_minutes))
        shorter_wait = max_capacity_wait_minutes(minutes)
        raise ConfigError(
            f"trainTimeoutMinutes {minutes} is over {longest} with capacityWaitMinutes {capacity_wait_minutes} "
            f"(capacity retries of up to {capacity_seconds} s): {_RUN_WINDOW_REASON}"
            + (
                f"; or lower capacityWaitMinutes to at most {shorter_wait}"
                if shorter_wait >= MIN_CAPACITY_WAIT_MINUTES
                else ""
            )
        )
    return minutes


def read_api_throttling(
    raw: Mapping[str, Any], region: str, default_burst: int, default_rate: float
) -> tuple[int, float]:
    """``apiThrottlingBurstLimit`` and ``apiThrottlingRateLimit``, each within the region's default quota."""
    quota = default_throttle_quota(region)
    burst = read_int(raw, "apiThrottlingBurstLimit", default_burst, 1, None)
    rate = read_float(raw, "apiThrottlingRateLimit", default_rate, 0.1, None)
    for key, value, limit in (
        ("apiThrottlingBurstLimit", burst, quota.burst),
        ("apiThrottlingRateLimit", rate, quota.rate),
    ):
        if value > limit:
            raise ConfigError(
                f"{key} {value:g} exceeds API Gateway's default account quota in {region} ({limit:g}), "
                "which a stage's throttling can't exceed"
            )
    return burst, rate


def check_at_most(key: str, count: int, maximum: int, unit: str, whose: str) -> None:
    """Refuse a ``count`` of ``unit`` in ``key`` above ``maximum``; ``whose`` says whose limit it is."""
    if count > maximum:
        raise ConfigError(f"{key}: {count} {unit}; {whose} at most {maximum}")
