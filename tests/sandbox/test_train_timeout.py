"""A training task over its time limit fails its session with ``TIMEOUT``, as Step Functions
stops it (its own module: one sandbox runs at a time in a process)."""

from __future__ import annotations

import pytest
from sandbox_support import FAST_TRAINING, set_pipeline_environment

from sandbox.cli import BUNDLED_SAMPLE
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e


def test_a_task_over_its_time_limit_fails_with_timeout(tmp_path_factory, monkeypatch):
    with LocalPipeline(
        work_dir=tmp_path_factory.mktemp("sandbox-timeout"),
        train_timeout_seconds=1,
        progress=lambda line: None,
        container_environment=FAST_TRAINING,
    ) as limited:
        set_pipeline_environment(monkeypatch, limited)
        limited.upload(BUNDLED_SAMPLE, user_id="dave", session_id="limited")

        item = limited.wait_for([("dave", "limited")], timeout_seconds=300)[("dave", "limited")].item

    assert item["status"] == "FAILED"
    assert item["error"]["code"] == "TIMEOUT"
