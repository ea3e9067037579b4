"""The handlers of a running sandbox read the emulator's endpoint from the environment."""

import pytest

# Module fixtures that yield a running LocalPipeline.
PIPELINE_FIXTURES = ("pipeline", "served")


@pytest.fixture(autouse=True)
def _handlers_reach_the_emulator(request, _fake_aws_environment, monkeypatch):
    """The shared fixture resets AWS variables per test; the in-process handlers need the emulator's."""
    for fixture_name in PIPELINE_FIXTURES:
        if fixture_name in request.fixturenames:
            for name, value in request.getfixturevalue(fixture_name).environment.items():
                monkeypatch.setenv(name, value)
