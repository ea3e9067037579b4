"""README.md's configuration table says what the config loader does: a row for every key it reads, the
default each key gets, and the AWS limits :mod:`components.config_limits` holds a key to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components import config_limits as limits
from components.config import StackSettings
from components.config_loading import CONFIG_KEYS

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_HEADER = "| key | default | meaning |"
DEFAULTS = StackSettings(region="", environment="")

#: The limits each row must state, as the README writes them.
DOCUMENTED_LIMITS = {
    "tags": [f"at most {limits.MAX_TAGS_PER_RESOURCE} tags", f"keys of 1–{limits.MAX_TAG_KEY_LENGTH}",
             f"values of 0–{limits.MAX_TAG_VALUE_LENGTH}"],
    "trainTimeoutMinutes": [
        f"{limits.MIN_TRAIN_TIMEOUT_MINUTES}–{limits.max_train_timeout_minutes(DEFAULTS.capacity_wait_minutes)} "
        "with the default `capacityWaitMinutes`"
    ],
    "capacityWaitMinutes": [
        f"{limits.MIN_CAPACITY_WAIT_MINUTES}–{limits.MAX_CAPACITY_WAIT_MINUTES}",
        f"with the default `trainTimeoutMinutes` ({DEFAULTS.train_timeout_minutes}) at most "
        f"{limits.max_capacity_wait_minutes(DEFAULTS.train_timeout_minutes)}",
    ],
    "jwtIssuer": [f"1–{limits.MAX_JWT_AUDIENCES}"],
    "subnetIds": [f"at most {limits.MAX_TASK_SUBNETS} subnets and {limits.MAX_TASK_SECURITY_GROUPS} security groups"],
    "apiThrottlingBurstLimit": [
        f"burst 1–{limits.DEFAULT_THROTTLE_QUOTA.burst}", f"rate 0.1–{limits.DEFAULT_THROTTLE_QUOTA.rate:g}",
        f"{limits.REDUCED_THROTTLE_QUOTA.burst} / {limits.REDUCED_THROTTLE_QUOTA.rate:g}",
        *(f"`{region}`" for region in sorted(limits.REDUCED_THROTTLE_QUOTA_REGIONS)),
    ],
    "smokeTestUser": [f"at most {limits.MAX_COGNITO_USERNAME_LENGTH} characters"],
    "apiReservedConcurrency": [f"1–{limits.MAX_RESERVED_CONCURRENCY}"],
}


def config_rows() -> dict[str, list[str]]:
    """The first key a row names -> its cells (keys, default, meaning)."""
    section = README.read_text().split(TABLE_HEADER, 1)[1].splitlines()[2:]
    rows = {}
    for line in section[: next(index for index, line in enumerate(section) if not line.startswith("|"))]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[re.findall(r"`([\w:]+)`", cells[0])[0]] = cells
    return rows


def snake_case(key: str) -> str:
    return re.sub(r"[A-Z]", lambda upper: f"_{upper.group(0).lower()}", key)


def test_every_config_key_has_a_row_and_no_row_names_another():
    named = {key for cells in config_rows().values() for key in re.findall(r"`([\w:]+)`", cells[0])}
    assert sorted(named) == sorted({*CONFIG_KEYS, "aws:region"})


def test_each_numeric_default_is_the_one_the_settings_get():
    compared = 0
    for keys_cell, default_cell, _ in config_rows().values():
        keys, values = re.findall(r"`(\w+)`", keys_cell), re.findall(r"`([^`]+)`", default_cell)
        for key, value in zip(keys, values, strict=False):
            if re.fullmatch(r"[\d.]+", value):
                assert float(value) == getattr(DEFAULTS, snake_case(key)), key
                compared += 1
    assert compared >= 10


@pytest.mark.parametrize(("key", "phrases"), DOCUMENTED_LIMITS.items())
def test_each_aws_limit_is_stated_in_its_keys_row(key, phrases):
    meaning = config_rows()[key][2]
    assert [phrase for phrase in phrases if phrase not in meaning] == []
