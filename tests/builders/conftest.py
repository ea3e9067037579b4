"""Fixtures of the builders tests: the state machine definition built from the example resources."""

import pytest
from asl_examples import RESOURCES, TRAIN_TIMEOUT_SECONDS

from components.asl import build_definition


@pytest.fixture
def definition():
    return build_definition(RESOURCES, train_timeout_seconds=TRAIN_TIMEOUT_SECONDS)
