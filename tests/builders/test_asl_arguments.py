"""The arguments ``components.asl`` refuses: retry values ASL does not allow, a training timeout that is
not a positive integer, empty or single-string network ids."""

from __future__ import annotations

import dataclasses

import pytest
from asl_examples import RESOURCES

from components.asl import RetryPolicy, build_definition

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("retry_arguments", "message"),
    [
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"backoff_rate": 0.5}, "backoff_rate"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"interval_seconds": 10, "max_delay_seconds": 5}, "max_delay_seconds"),
    ],
)
def test_retry_policy_rejects_values_asl_does_not_allow(retry_arguments, message):
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**retry_arguments)


@pytest.mark.parametrize("timeout", [0, -5, 12.5, True])
def test_training_timeout_must_be_a_positive_integer(timeout):
    with pytest.raises(ValueError, match="train_timeout_seconds"):
        build_definition(RESOURCES, train_timeout_seconds=timeout)


@pytest.mark.parametrize("field_name", ["subnet_ids", "security_group_ids"])
@pytest.mark.parametrize("value", ["subnet-0a1b2c3d", ()])
def test_network_ids_must_be_a_non_empty_sequence(field_name, value):
    with pytest.raises(ValueError, match=field_name):
        dataclasses.replace(RESOURCES, **{field_name: value})
