"""ProcessingStateMachine's functions: runtime, tracing, handlers, log groups, the environment each
reads, and role policies scoped to the stack's resources."""

import json

import pytest
from access_checks import unscoped_resource_problems
from function_checks import function_named, function_problems
from resource_types import FUNCTION, LOG_GROUP

from components.policy_statements import RESOURCE_WILDCARD_ACTIONS
from components.retry import DEFAULT_CAPACITY_RETRY, active_run_window_seconds, capacity_retry_policy
from contracts.environment import FUNCTION_ENVIRONMENTS

pytestmark = pytest.mark.unit


def test_a_run_lasts_at_most_its_capacity_retries_its_training_limit_and_a_margin():
    # 705 s of capacity retries (15 + 30 + 60 + 5 x 120), the training limit, 15 minutes more.
    assert active_run_window_seconds(3600, DEFAULT_CAPACITY_RETRY) == 705 + 3600 + 900
    # The stack's capacity wait: an hour takes 3,705 s of retries (15 + 30 + 60 + 30 x 120).
    assert active_run_window_seconds(3600, capacity_retry_policy(60)) == 3705 + 3600 + 900


def test_every_function_runs_python_312_with_tracing_a_log_group_and_an_existing_handler(
    self_contained_stack,
):
    stack = self_contained_stack.resources
    functions = stack.of_type(FUNCTION)

    assert {item.inputs["handler"] for item in functions} == {
        "handlers.start.handler",
        "handlers.validate.handler",
        "handlers.presign_run.handler",
        "handlers.process_results.handler",
        "handlers.record_failure.handler",
        "handlers.reconcile.handler",
        "handlers.api.handler",
    }
    assert [problem for item in functions for problem in function_problems(stack, item)] == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda inputs: inputs.update(runtime="python3.9"), "runtime"),
        (lambda inputs: inputs.pop("tracingConfig"), "X-Ray"),
        (lambda inputs: inputs.update(handler="handlers.missing_module.handler"), "does not exist"),
        (lambda inputs: inputs.update(handler="handlers.validate.not_a_handler"), "defines no"),
        (lambda inputs: inputs.update(name="renamed-function"), "log group"),
    ],
)
def test_function_check_reports_each_removed_property(self_contained_stack, change, expected):
    stack = self_contained_stack.resources.mutated(FUNCTION, "processing-validate-fn", change)

    problems = function_problems(stack, stack.one(FUNCTION, "processing-validate-fn"))

    assert len(problems) == 1 and expected in problems[0]


def test_function_log_groups_have_the_configured_retention(self_contained_stack):
    stack = self_contained_stack.resources
    names = {f"/aws/lambda/{item.inputs['name']}" for item in stack.of_type(FUNCTION)}
    groups = [group for group in stack.of_type(LOG_GROUP) if group.inputs.get("name") in names]

    assert len(groups) == len(names) == 7
    assert {group.inputs["retentionInDays"] for group in groups} == {14}


@pytest.mark.parametrize(
    ("logical_name", "module"),
    [
        ("processing-start-fn", "start"),
        ("processing-validate-fn", "validate"),
        ("processing-presign-run-fn", "presign_run"),
        ("processing-process-results-fn", "process_results"),
        ("processing-record-failure-fn", "record_failure"),
        ("processing-reconcile-fn", "reconcile"),
        ("api-api-fn", "api"),
    ],
)
def test_each_function_gets_only_the_environment_it_reads(self_contained_stack, logical_name, module):
    stack = self_contained_stack.resources
    environment = function_named(stack, logical_name).inputs["environment"]["variables"]
    exports = self_contained_stack.exports
    expected_values = {
        "STATUS_TABLE": exports["statusTableName"],
        "CLASSIFIER_TABLE": exports["classifierTableName"],
        "UPLOAD_BUCKET": exports["uploadBucketName"],
        "RESULTS_BUCKET": exports["resultsBucketName"],
        "STATE_MACHINE_ARN": exports["stateMachineArn"],
        "LIMITS_TABLE": exports["limitsTableName"],
        # The per-user caps of the stack's config (defaults) and the longest possible run.
        "MAX_ACTIVE_RUNS_PER_USER": "10",
        "ACTIVE_RUN_WINDOW_SECONDS": str(705 + 3600 + 900),
        # The run's URLs last as long as the longest possible run.
        "RUN_ACCESS_SECONDS": str(705 + 3600 + 900),
        "MAX_UPLOAD_REQUESTS_PER_MINUTE": "10",
        # taskCpu, taskMemory and taskMemoryMax of the test stack (SELF_CONTAINED_CONFIG in tests/infra/conftest.py).
        "TASK_CPU": "2048",
        "TASK_MEMORY_MIB": "8192",
        "TASK_MEMORY_MAX_MIB": "16384",
        # The stack's pipeline, the dimension of the metrics a function publishes (the mocks' stack is `test`).
        "PIPELINE_NAME": "processing-test",
    }

    assert set(environment) == set(FUNCTION_ENVIRONMENTS[module].variables)
    assert environment["LOG_LEVEL"] == "INFO"
    assert {key: value for key, value in environment.items() if key in expected_values} == {
        key: expected_values[key] for key in FUNCTION_ENVIRONMENTS[module].required
    }


def test_every_role_policy_is_scoped_to_this_stacks_resources(self_contained_stack, external_stack):
    assert unscoped_resource_problems(self_contained_stack.resources, RESOURCE_WILDCARD_ACTIONS) == []
    assert unscoped_resource_problems(external_stack.resources, RESOURCE_WILDCARD_ACTIONS) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}, "['dynamodb:GetItem'] on '*'"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::someone-elses-bucket/*"},
            "arn:aws:s3:::someone-elses-bucket/* is not a resource of this stack",
        ),
    ],
)
def test_scope_check_reports_a_resource_outside_the_stack(self_contained_stack, statement, expected):
    def widen(inputs):
        document = json.loads(inputs["policy"])
        document["Statement"].append(statement)
        inputs["policy"] = json.dumps(document)

    stack = self_contained_stack.resources.mutated(
        "aws:iam/rolePolicy:RolePolicy", "processing-start-fn-policy", widen
    )

    assert unscoped_resource_problems(stack, RESOURCE_WILDCARD_ACTIONS) == [
        f"processing-start-fn-policy: {expected}"
    ]
