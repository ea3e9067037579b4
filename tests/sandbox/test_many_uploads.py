"""Fifty uploads from five researchers at once: every session trains, none is lost, none sees another's data.

Each upload is the smallest real recording that trains (one run, three channels) with one permutation:
the test is about the pipeline under concurrency, the classifier's quality is tested elsewhere.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sandbox_support import set_pipeline_environment, smallest_recording

from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e

USERS = ("ana", "ben", "chloe", "dara", "emil")
SESSIONS_PER_USER = 10
ONE_PERMUTATION = {"FBCSP_PERMUTATIONS": "1"}


@pytest.fixture(scope="module")
def many_sessions(tmp_path_factory):
    recording = smallest_recording(tmp_path_factory.mktemp("upload") / "motor-strip.zip")
    sessions = [(user, f"{user}-{index:02d}") for user in USERS for index in range(SESSIONS_PER_USER)]
    with LocalPipeline(
        work_dir=tmp_path_factory.mktemp("sandbox-many"),
        progress=lambda line: None,
        container_environment=ONE_PERMUTATION,
    ) as pipeline, pytest.MonkeyPatch.context() as environment:
        set_pipeline_environment(environment, pipeline)
        with ThreadPoolExecutor(max_workers=8) as uploaders:
            list(uploaders.map(lambda key: pipeline.upload(recording, user_id=key[0], session_id=key[1]), sessions))
        finals = pipeline.wait_for(sessions, timeout_seconds=1200)
        classifiers = {key: pipeline.classifier_record(*key) for key in sessions}
        executions = pipeline.session.client("stepfunctions").list_executions(
            stateMachineArn=pipeline.stack.state_machine_arn, maxResults=1000
        )["executions"]
        yield sessions, finals, classifiers, executions


def test_every_session_succeeds(many_sessions):
    sessions, finals, _, _ = many_sessions
    assert set(finals) == set(sessions)
    failed = {key: outcome.item.get("error") for key, outcome in finals.items() if outcome.status != "SUCCEEDED"}
    assert failed == {}


def test_each_session_ran_exactly_once(many_sessions):
    sessions, finals, _, executions = many_sessions
    assert len(executions) == len(sessions)
    assert {execution["name"] for execution in executions} == {outcome.item["runId"] for outcome in finals.values()}


def test_records_and_results_stay_with_their_owner(many_sessions):
    _, finals, classifiers, _ = many_sessions
    for (user_id, session_id), outcome in finals.items():
        item = outcome.item
        assert (item["userId"], item["sessionId"]) == (user_id, session_id)
        assert item["uploadKey"].startswith(f"uploads/{user_id}/{session_id}/")
        assert item["result"]["resultsPrefix"].startswith(f"results/{user_id}/{session_id}/")
        classifier = classifiers[(user_id, session_id)]
        assert classifier["classifierKey"] == item["result"]["resultsPrefix"] + "classifier.json"
