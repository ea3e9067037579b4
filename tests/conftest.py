"""Fixtures every test shares: no test may reach real AWS, whatever the caller's environment holds.

Also sorts every test into the sets ``make check`` leaves out, by where it lives and what it uses, so a
new test lands in the right set without anyone remembering a marker: everything under tests/sandbox/
is ``sandbox``, everything that asks (even indirectly) for ``shared_data_dir`` is ``full_data``, and
everything that asks for one of ``SLOW_FIXTURES`` is ``slow`` (other slow tests carry the mark).
"""

from pathlib import Path

import boto3
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SANDBOX_TESTS = REPO_ROOT / "tests" / "sandbox"
INFRA_TESTS = "tests/infra"
BUNDLED_SAMPLE = REPO_ROOT / "samples" / "S001_imagery.zip"
# Fixtures that train on the whole bundled sample (seconds of CPU each, report included).
SLOW_FIXTURES = frozenset(
    {"trained_sample", "trained_sample_original", "cli_training", "successful_job"}
)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``--dist loadfile``, every tests/infra module in one work unit.

    Those modules share the session's two Pulumi program runs on the mocks (about 1.5-3 s of CPU each);
    spread over both workers, each worker ran both programs.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # noqa: PLC0415 - only with pytest-xdist running

    class InfraTogetherScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return INFRA_TESTS if nodeid.startswith(f"{INFRA_TESTS}/") else super()._split_scope(nodeid)

    return InfraTogetherScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SANDBOX_TESTS in item.path.parents:
            item.add_marker(pytest.mark.sandbox)
        if "shared_data_dir" in item.fixturenames:
            item.add_marker(pytest.mark.full_data)
        if SLOW_FIXTURES.intersection(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_REGION", "eu-west-2")


@pytest.fixture(scope="session")
def boto3_session() -> boto3.session.Session:
    """The boto3 session of every fixture that makes clients on moto's ``mock_aws``.

    Each ``mock_aws`` start gives boto3 a fresh default session, so ``boto3.client()`` would read the
    service models and endpoint rules again (about 0.3 s of CPU per test); this one keeps them loaded.
    """
    return boto3.session.Session()


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared data folder is missing: expected {SHARED_DATA} beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_zip_path() -> Path:
    """The bundled upload: runs 4, 8 and 12 of EEGMMIDB subject S001, 8 channels at 160 Hz."""
    return BUNDLED_SAMPLE
