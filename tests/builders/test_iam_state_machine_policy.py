"""The state machine's identity policy: PassRole and RunTask scoped to the task (every revision of its
family), its functions, the ``.sync`` rule, the encrypted topic, log delivery and tracing; and the
arguments it refuses."""

from __future__ import annotations

import pytest
from iam_checks import allows, conditions_of, grants, resources_of
from iam_examples import (
    ACCOUNT_ID,
    CLUSTER_ARN,
    EXECUTION_ROLE_ARN,
    FUNCTION_ARNS,
    REGION,
    SCOPE,
    STAR_RESOURCE_ACTIONS,
    STATUS_TABLE_ARN,
    TASK_DEFINITION_ARN,
    TASK_DEFINITION_REVISIONS,
    TOPIC_ARN,
    TOPIC_KEY_ARN,
    identity_documents,
    widened,
)

from components import policies

pytestmark = pytest.mark.unit

FAMILY_ARN = TASK_DEFINITION_ARN.rsplit(":", 1)[0]


def test_state_machine_passes_only_the_task_execution_role_and_only_to_ecs_tasks():
    document = identity_documents()["state_machine"]

    assert resources_of(document, "iam:PassRole") == {EXECUTION_ROLE_ARN}
    assert conditions_of(document, "iam:PassRole") == [
        {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    ]


def test_state_machine_runs_only_the_task_definitions_family_on_the_cluster():
    document = identity_documents()["state_machine"]

    assert resources_of(document, "ecs:RunTask") == {TASK_DEFINITION_REVISIONS}
    assert conditions_of(document, "ecs:RunTask") == [{"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}]
    assert allows(document, "ecs:RunTask", TASK_DEFINITION_ARN)
    # no other family's, not even one whose name starts like it
    family_arn = TASK_DEFINITION_ARN.rsplit(":", 1)[0]
    assert not allows(document, "ecs:RunTask", f"{family_arn}-other:1")
    assert not allows(document, "ecs:RunTask", f"arn:aws:ecs:{SCOPE}:task-definition/other-family:4")
    task_arns = f"arn:aws:ecs:{SCOPE}:task/classifier-cluster-3f9a/*"
    assert (
        resources_of(document, "ecs:StopTask") == resources_of(document, "ecs:DescribeTasks") == {task_arns}
    )


def test_an_execution_started_before_a_deploy_may_still_run_the_revision_its_definition_names():
    # A deploy that rebuilds the image registers revision 5 and points the (one) role at it, while an
    # execution under way keeps its definition, which names revision 4, for its retries and later
    # trainings: RunTask of revision 4 must stay allowed, or that run fails at its next training.
    document = policies.state_machine_policy(**{**_policy_arguments(), "task_definition_arn": f"{FAMILY_ARN}:5"})

    assert allows(document, "ecs:RunTask", f"{FAMILY_ARN}:4")
    assert allows(document, "ecs:RunTask", f"{FAMILY_ARN}:5")


def test_pass_role_and_run_task_checks_see_a_widened_state_machine_policy():
    document = widened(
        identity_documents()["state_machine"],
        {"Effect": "Allow", "Action": ["iam:PassRole", "ecs:RunTask"], "Resource": "*"},
    )

    assert resources_of(document, "iam:PassRole") == {EXECUTION_ROLE_ARN, "*"}
    assert "*" in resources_of(document, "ecs:RunTask")
    assert {} in conditions_of(document, "iam:PassRole")


def test_state_machine_invokes_its_functions_with_or_without_qualifier():
    document = identity_documents()["state_machine"]

    assert resources_of(document, "lambda:InvokeFunction") == {
        *FUNCTION_ARNS,
        *(f"{arn}:*" for arn in FUNCTION_ARNS),
    }
    assert allows(document, "lambda:InvokeFunction", f"{FUNCTION_ARNS[0]}:live")


def test_state_machine_can_run_the_sync_integration_and_publish_encrypted_notifications():
    document = identity_documents()["state_machine"]
    sync_rule = f"arn:aws:events:{SCOPE}:rule/StepFunctionsGetEventsForECSTaskRule"

    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        assert resources_of(document, action) == {sync_rule}
    assert resources_of(document, "sns:Publish") == {TOPIC_ARN}
    assert (
        resources_of(document, "kms:GenerateDataKey")
        == resources_of(document, "kms:Decrypt")
        == {TOPIC_KEY_ARN}
    )
    assert resources_of(document, "dynamodb:UpdateItem") == {STATUS_TABLE_ARN}


def test_state_machine_log_delivery_and_tracing_are_granted_where_aws_requires_star():
    star_actions = {
        action for action, resource in grants(identity_documents()["state_machine"]) if resource == "*"
    }

    assert star_actions == STAR_RESOURCE_ACTIONS - {"ecr:GetAuthorizationToken"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"cluster_arn": "classifier-cluster-3f9a"}, "not an ECS cluster ARN"),
        (
            {"cluster_arn": f"arn:aws:ecs:{SCOPE}:service/classifier-cluster-3f9a/web"},
            "not an ECS cluster ARN",
        ),
        ({"function_arns": []}, "function_arns"),
        ({"function_arns": FUNCTION_ARNS[0]}, "function_arns"),
        # the family's revisions are granted from the revision's ARN
        ({"task_definition_arn": f"arn:aws:ecs:{SCOPE}:task-definition/classifier-classifier-dev"}, "revision"),
        ({"task_definition_arn": CLUSTER_ARN}, "revision"),
    ],
)
def test_state_machine_policy_rejects_malformed_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        policies.state_machine_policy(**{**_policy_arguments(), **arguments})


def _policy_arguments() -> dict:
    return {
        "region": REGION,
        "account_id": ACCOUNT_ID,
        "function_arns": list(FUNCTION_ARNS),
        "status_table_arn": STATUS_TABLE_ARN,
        "cluster_arn": CLUSTER_ARN,
        "task_definition_arn": TASK_DEFINITION_ARN,
        "execution_role_arn": EXECUTION_ROLE_ARN,
        "topic_arn": TOPIC_ARN,
        "topic_key_arn": TOPIC_KEY_ARN,
    }


def test_cluster_name_is_the_last_part_of_the_cluster_arn():
    assert policies.cluster_name(CLUSTER_ARN) == "classifier-cluster-3f9a"
