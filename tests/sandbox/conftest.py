"""The handlers of a running sandbox read the emulator's endpoint from the environment; the moto patch tests
get a moto server under the adjusted moto (``emulator``); the test process ends without collecting the heap
the sandboxes left."""

import gc

import boto3
import pytest
from moto_probes import ExitCodeLauncher, adjusted
from sandbox_support import set_pipeline_environment

from sandbox.emulator import free_port, start_server

# Module fixtures that yield a running LocalPipeline.
PIPELINE_FIXTURES = ("pipeline", "served")


@pytest.fixture(autouse=True)
def _handlers_reach_the_emulator(request, _fake_aws_environment, monkeypatch):
    """The shared fixture resets AWS variables per test; the in-process handlers need the emulator's."""
    for fixture_name in PIPELINE_FIXTURES:
        if fixture_name in request.fixturenames:
            set_pipeline_environment(monkeypatch, request.getfixturevalue(fixture_name))


@pytest.fixture
def emulator(monkeypatch):
    port = free_port()
    monkeypatch.setenv("MOTO_PORT", str(port))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    launcher = ExitCodeLauncher()
    with adjusted(launcher):
        server = start_server(port)
        try:
            yield boto3.session.Session(region_name="eu-west-2"), launcher
        finally:
            server.stop()


def pytest_unconfigure(config):  # noqa: ARG001 - pytest's hook signature
    """As ``python -m sandbox`` does (sandbox/heap.py): the interpreter's teardown would run full
    collections over the heap of moto, botocore and the Pulumi SDK the sandboxes left (38 s after
    the 50-upload test's last result, under load) for memory the process is about to give back."""
    gc.freeze()
