"""Status transitions: the pure table, and the conditional writes on moto that enforce it."""

import dataclasses

import pytest
from handler_support import mark_processing, new_run_of, record_received, record_success, run_state

from contracts.statuses import RUN_TRANSITIONS, Status, is_allowed, statuses_before
from handlers.common.status import StatusStore, StoredRun, normalise_sequencer

RECEIVED, PROCESSING, SUCCEEDED, FAILED = Status.RECEIVED, Status.PROCESSING, Status.SUCCEEDED, Status.FAILED


@pytest.mark.unit
@pytest.mark.parametrize(
    ("current", "new"),
    [(RECEIVED, PROCESSING), (PROCESSING, SUCCEEDED), (RECEIVED, FAILED), (PROCESSING, FAILED)],
)
def test_forward_moves_within_a_run_are_allowed(current, new):
    assert is_allowed(current, new, same_run=True)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("current", "new"),
    [
        (PROCESSING, RECEIVED),
        (SUCCEEDED, PROCESSING),
        (SUCCEEDED, FAILED),
        (FAILED, SUCCEEDED),
        (FAILED, RECEIVED),
        (SUCCEEDED, RECEIVED),
        (RECEIVED, SUCCEEDED),
        (RECEIVED, RECEIVED),
        (PROCESSING, PROCESSING),
    ],
)
def test_backward_skipping_and_repeated_moves_within_a_run_are_forbidden(current, new):
    assert not is_allowed(current, new, same_run=True)


@pytest.mark.unit
@pytest.mark.parametrize("current", [None, RECEIVED, PROCESSING, SUCCEEDED, FAILED])
def test_a_newer_upload_starts_a_run_from_any_state_but_an_older_one_never(current):
    assert is_allowed(current, RECEIVED, same_run=False, newer_upload=True)
    assert is_allowed(current, FAILED, same_run=False, newer_upload=True)
    assert not is_allowed(current, PROCESSING, same_run=False, newer_upload=True)
    if current is not None:
        assert not is_allowed(current, RECEIVED, same_run=False, newer_upload=False)


@pytest.mark.unit
def test_the_conditions_of_final_writes_come_from_the_table():
    assert statuses_before(SUCCEEDED) == (PROCESSING,)
    assert statuses_before(FAILED) == (RECEIVED, PROCESSING)
    assert all(source not in {SUCCEEDED, FAILED} for source, _ in RUN_TRANSITIONS)


@pytest.mark.unit
def test_sequencers_compare_in_event_order_after_padding():
    assert normalise_sequencer("0055AED6DCD90281E5") < normalise_sequencer("0055AED6DCD90281E6")
    assert normalise_sequencer("0055aed6dcd90281e5") == normalise_sequencer("0055AED6DCD90281E5")
    assert normalise_sequencer("0055AED6DCD9") < normalise_sequencer("0055AED6DCD90281E5")


@pytest.fixture
def store(aws):
    return StatusStore(aws.dynamodb, aws.status_table)


@pytest.mark.moto
def test_a_final_status_is_never_moved_backwards(aws, store):
    # GIVEN a run that succeeded
    state = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert record_received(store, state)
    mark_processing(aws.dynamodb, aws.status_table, state)
    assert record_success(aws, state, result={"selectionAccuracy": 0.8}, now="2026-11-23T22:10:00.000Z")
    # WHEN a late failure or a duplicate start event for the same run arrives
    failed = store.fail_run(
        "u1", "s1", state["runId"], error={"code": "TIMEOUT", "message": "m"}, now="2026-11-23T22:11:00.000Z"
    )
    restarted = record_received(store, state, uploaded_at="2026-11-23T22:00:00.000Z")
    # THEN both conditional writes are refused and the session stays SUCCEEDED
    assert (failed, restarted) == (False, False)
    item = store.get("u1", "s1")
    assert item["status"] == "SUCCEEDED" and "error" not in item
    assert item["result"] == {"selectionAccuracy": 0.8}


@pytest.mark.moto
def test_holds_run_needs_this_run_in_that_status(aws, store):
    state = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert not store.holds_run("u1", "s1", state["runId"], RECEIVED)  # no item yet
    record_received(store, state)
    newer = run_state(aws.upload_bucket, "u1", "s1", "v2")

    assert store.holds_run("u1", "s1", state["runId"], RECEIVED)
    assert not store.holds_run("u1", "s1", state["runId"], FAILED)
    assert not store.holds_run("u1", "s1", newer["runId"], RECEIVED)


@pytest.mark.moto
def test_succeeded_requires_processing_and_the_same_run(aws, store):
    state = run_state(aws.upload_bucket, "u1", "s1", "v1")
    record_received(store, state)
    common = {
        "result": {},
        "output_versions": {},
        "now": "2026-11-23T22:10:00.000Z",
        "classifier_table": aws.classifier_table,
    }
    item = {"userId": "u1", "sessionId": "s1", "runId": state["runId"]}
    # RECEIVED → SUCCEEDED skips PROCESSING, another run id is not this session's run
    assert not store.succeed_run("u1", "s1", state["runId"], classifier_item=item, **common)
    mark_processing(aws.dynamodb, aws.status_table, state)
    assert not store.succeed_run("u1", "s1", "run-other", classifier_item=item, **common)
    assert store.get("u1", "s1")["status"] == "PROCESSING"
    # and the classifier table was written by neither refused transaction
    assert aws.dynamodb.scan(TableName=aws.classifier_table)["Count"] == 0


@pytest.mark.moto
def test_an_older_upload_cannot_replace_a_newer_run_but_a_newer_one_can(aws, store):
    newer = run_state(aws.upload_bucket, "u1", "s1", "v2")
    older = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert record_received(store, newer, uploaded_at="2026-11-23T22:05:00.000Z")
    assert not record_received(store, older, uploaded_at="2026-11-23T22:00:00.000Z")
    assert store.get("u1", "s1")["runId"] == newer["runId"]
    newest = run_state(aws.upload_bucket, "u1", "s1", "v3")
    assert record_received(store, newest, uploaded_at="2026-11-23T22:09:00.000Z")
    assert store.get("u1", "s1")["runId"] == newest["runId"]
    assert store.get("u1", "s1")["createdAt"] == "2026-11-23T22:05:00.000Z"


@pytest.mark.moto
def test_a_newer_upload_clears_what_the_previous_run_recorded_of_its_task(aws, store):
    # GIVEN a run that MarkProcessing moved to PROCESSING with its task size
    first = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert record_received(store, first, uploaded_at="2026-11-23T22:00:00.000Z")
    mark_processing(aws.dynamodb, aws.status_table, first)
    assert {"taskSize", "executionArn", "startedAt"} <= set(store.get("u1", "s1"))
    # WHEN a newer upload starts a new run
    second = run_state(aws.upload_bucket, "u1", "s1", "v2")
    assert record_received(store, second, uploaded_at="2026-11-23T22:05:00.000Z")
    # THEN the session no longer shows the previous run's task, execution or start
    assert not {"taskSize", "executionArn", "startedAt"} & set(store.get("u1", "s1"))


@pytest.mark.moto
def test_a_newer_upload_clears_the_previous_runs_result_and_output_versions(aws, store):
    # GIVEN a run that succeeded with its checked output versions
    first = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert record_received(store, first, uploaded_at="2026-11-23T22:00:00.000Z")
    mark_processing(aws.dynamodb, aws.status_table, first)
    assert record_success(
        aws,
        first,
        result={"selectionAccuracy": 0.8},
        output_versions={"classifier.json": "version-1"},
        now="2026-11-23T22:04:00.000Z",
    )
    assert store.get("u1", "s1")["outputVersions"] == {"classifier.json": "version-1"}
    # WHEN a newer upload starts a new run
    second = run_state(aws.upload_bucket, "u1", "s1", "v2")
    assert record_received(store, second, uploaded_at="2026-11-23T22:05:00.000Z")
    # THEN neither the result nor the versions of the previous run's outputs are left
    assert not {"result", "outputVersions"} & set(store.get("u1", "s1"))


@pytest.mark.moto
def test_a_new_run_is_not_written_over_a_run_that_moved_on_since_it_was_read(aws, store):
    # GIVEN a RECEIVED run read by start, then moved to PROCESSING (its executionArn stored)
    first = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert record_received(store, first)
    read = store.stored_run("u1", "s1")
    mark_processing(aws.dynamodb, aws.status_table, first)
    # WHEN start writes a newer run over what it read
    second = new_run_of(run_state(aws.upload_bucket, "u1", "s1", "v2"), "2026-11-23T22:05:00.000Z")
    written = store.start_run(second, over=read, replaced_execution_arn="arn:read", now="2026-11-23T22:05:00.000Z")
    # THEN the write is refused: it would have noted an execution that is not the stored one
    assert not written
    assert store.stored_run("u1", "s1") == StoredRun(
        run_id=first["runId"],
        status=PROCESSING,
        uploaded_at="2026-11-23T22:00:00.000Z",
        upload_sequencer=normalise_sequencer(None),
        execution_arn=first["executionArn"],
    )


@pytest.mark.moto
def test_the_execution_of_a_replaced_open_run_is_noted_until_it_is_forgotten(aws, store):
    # GIVEN a run that replaced an open one, noting its execution in the same write
    first = run_state(aws.upload_bucket, "u1", "s1", "v1")
    assert record_received(store, first)
    second = new_run_of(run_state(aws.upload_bucket, "u1", "s1", "v2"), "2026-11-23T22:05:00.000Z")
    over = store.stored_run("u1", "s1")
    assert store.start_run(second, over=over, replaced_execution_arn="arn:first", now="2026-11-23T22:05:00.000Z")
    assert store.stored_run("u1", "s1").replaced_execution_arn == "arn:first"
    # THEN no newer run is written over the note, not even by a writer that read the item without it
    third = new_run_of(run_state(aws.upload_bucket, "u1", "s1", "v3"), "2026-11-23T22:09:00.000Z")
    unnoted = dataclasses.replace(store.stored_run("u1", "s1"), replaced_execution_arn=None)
    assert not store.start_run(third, over=unnoted, replaced_execution_arn="arn:second", now="2026-11-23T22:09:00.000Z")
    # AND only the removal of the noted execution removes the note
    assert not store.forget_replaced_execution("u1", "s1", "arn:other")
    assert store.forget_replaced_execution("u1", "s1", "arn:first")
    assert "replacedExecutionArn" not in store.get("u1", "s1")
    assert store.stored_run("u1", "s1").run_id == second.run_id
