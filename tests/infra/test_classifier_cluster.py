"""ClassifierCluster: the ECS cluster, the task definition and its container, and what the roles ECS
tasks may assume, and the run's signer, may reach."""

import json

import pytest
from access_checks import as_list, s3_scope_problems
from resource_types import BUCKET, ROLE, ROLE_POLICY, TASK_DEFINITION

from components.cluster import SCRATCH_PATH

pytestmark = pytest.mark.unit


def task_definition(stack):
    (definition,) = stack.of_type(TASK_DEFINITION)
    return definition


def classifier_container(stack):
    (container,) = json.loads(task_definition(stack).inputs["containerDefinitions"])
    return container


def role_policy_of(stack, role_name):
    role = stack.one(ROLE, role_name)
    (policy,) = stack.attached_to(ROLE_POLICY, "role", role.resource_id)
    return json.loads(policy.inputs["policy"])


def test_cluster_has_container_insights(self_contained_stack):
    (cluster,) = self_contained_stack.resources.of_type("aws:ecs/cluster:Cluster")

    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"]


def test_task_definition_is_fargate_sized_from_config_and_runs_the_built_image(self_contained_stack):
    stack = self_contained_stack.resources
    definition = task_definition(stack).inputs
    container = classifier_container(stack)

    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    assert (definition["cpu"], definition["memory"]) == ("2048", "8192")
    assert definition["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}
    assert container["name"] == "classifier" and container["essential"] is True
    assert container["image"] == self_contained_stack.exports["imageUri"]
    assert "@sha256:" in container["image"]
    assert container["memory"] == 8192


def test_a_deploy_keeps_the_revision_it_replaces_active_for_the_executions_that_name_it(self_contained_stack):
    # Pulumi replaces the task definition when the image changes and deletes the old resource at the end
    # of the update: without skipDestroy the provider deregisters that revision, and ECS refuses RunTask of
    # an INACTIVE one, which an execution started before the deploy still names for its next training.
    assert task_definition(self_contained_stack.resources).inputs["skipDestroy"] is True


def test_container_root_is_read_only_with_tmp_on_a_task_volume(self_contained_stack):
    stack = self_contained_stack.resources
    container = classifier_container(stack)
    volumes = {volume["name"] for volume in task_definition(stack).inputs["volumes"]}

    assert container["readonlyRootFilesystem"] is True
    (mount,) = [point for point in container["mountPoints"] if point["containerPath"] == SCRATCH_PATH]
    assert mount["sourceVolume"] in volumes and mount["readOnly"] is False


def test_container_runs_an_init_process_that_passes_on_sigterm(self_contained_stack):
    # Without it the entrypoint is PID 1, which ignores SIGTERM: every stop would end in SIGKILL (137).
    container = classifier_container(self_contained_stack.resources)

    assert container["linuxParameters"] == {"initProcessEnabled": True}


def test_container_logs_to_its_log_group_with_retention(self_contained_stack):
    stack = self_contained_stack.resources
    log_config = classifier_container(stack)["logConfiguration"]
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "classifier-task-logs")

    assert log_config["logDriver"] == "awslogs"
    assert log_config["options"]["awslogs-group"] == log_group.outputs["name"]
    assert log_config["options"]["awslogs-region"] == "eu-west-2"
    assert log_group.inputs["retentionInDays"] == 14


def test_the_task_has_no_task_role_and_its_execution_role_is_assumable_by_ecs_tasks_only(self_contained_stack):
    stack = self_contained_stack.resources
    definition = task_definition(stack).inputs
    role = stack.one(ROLE, "classifier-execution-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])

    # No task role: the container holds no AWS credentials and reaches S3 only through its run's URLs.
    assert definition.get("taskRoleArn") is None
    assert definition["executionRoleArn"] == role.outputs["arn"]
    assert [statement["Principal"] for statement in trust["Statement"]] == [{"Service": "ecs-tasks.amazonaws.com"}]


def test_no_role_ecs_tasks_may_assume_touches_s3_or_the_tables(self_contained_stack):
    stack = self_contained_stack.resources
    task_roles = [
        role
        for role in stack.of_type(ROLE)
        if "ecs-tasks.amazonaws.com" in role.inputs["assumeRolePolicy"]
    ]

    assert [role.name for role in task_roles] == ["classifier-execution-role"]
    for role in task_roles:
        policy = role_policy_of(stack, role.name)
        actions = [action for statement in policy["Statement"] for action in as_list(statement.get("Action"))]
        assert not [action for action in actions if action.startswith(("s3:", "dynamodb:"))], role.name


def allowed_signer_prefixes(stack):
    upload = stack.one(BUCKET, "storage-uploads").outputs["arn"]
    results = stack.one(BUCKET, "storage-results").outputs["arn"]
    return {upload: ("uploads/",), results: ("results/",)}


def test_the_presign_function_signs_only_within_the_uploads_and_results_prefixes(self_contained_stack):
    stack = self_contained_stack.resources
    policy = role_policy_of(stack, "processing-presign-run-fn-role")
    actions = [action for statement in policy["Statement"] for action in as_list(statement.get("Action"))]

    assert {"s3:GetObjectVersion", "s3:PutObject"} <= set(actions), "it signs the upload read and result writes"
    assert s3_scope_problems(policy, allowed_signer_prefixes(stack)) == []


@pytest.mark.parametrize(
    ("extra_statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, "outside the stack's buckets"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other-bucket/*"}, "outside"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::x"}, "wildcard S3 action"),
    ],
)
def test_signer_scope_check_reports_a_widened_policy(self_contained_stack, extra_statement, expected):
    stack = self_contained_stack.resources
    policy = role_policy_of(stack, "processing-presign-run-fn-role")
    widened = {**policy, "Statement": [*policy["Statement"], extra_statement]}

    assert any(expected in problem for problem in s3_scope_problems(widened, allowed_signer_prefixes(stack)))
