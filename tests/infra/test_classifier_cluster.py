"""ClassifierCluster: ECR, image, cluster, task definition, task role scope and the private network."""

import json

import pytest
from resource_checks import (
    BUCKET,
    ROLE,
    ROLE_POLICY,
    SECURITY_GROUP,
    TASK_DEFINITION,
    VPC_ENDPOINT,
    as_list,
    network_problems,
    s3_scope_problems,
    task_security_group_problems,
)

from components import endpoint_policies
from components.cluster import SCRATCH_PATH, build_context_tag, repository_lifecycle_policy
from components.lambda_archive import REPO_ROOT

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


def test_repository_scans_on_push_is_encrypted_and_has_a_lifecycle_policy(self_contained_stack):
    stack = self_contained_stack.resources
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")
    (lifecycle,) = stack.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")

    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"][0]["encryptionType"] in ("AES256", "KMS")
    assert lifecycle.inputs["repository"] == repository.outputs["name"]
    assert json.loads(lifecycle.inputs["policy"]) == repository_lifecycle_policy()


def test_repository_lifecycle_expires_untagged_images_and_keeps_the_last_twenty():
    rules = repository_lifecycle_policy()["rules"]

    assert [rule["selection"]["tagStatus"] for rule in rules] == ["untagged", "any"]
    assert rules[0]["selection"]["countNumber"] == 7 and rules[0]["selection"]["countUnit"] == "days"
    assert rules[1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
    assert {rule["action"]["type"] for rule in rules} == {"expire"}


def test_image_is_built_from_the_classifier_folder_into_the_repository(self_contained_stack):
    stack = self_contained_stack.resources
    (image,) = stack.of_type("awsx:ecr:Image")
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")

    assert image.inputs["context"] == "."
    assert image.inputs["dockerfile"] == "./classifier_image/Dockerfile"
    assert image.inputs["platform"] == "linux/amd64"
    assert image.inputs["repositoryUrl"] == repository.outputs["repositoryUrl"]


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


def test_container_root_is_read_only_with_tmp_on_a_task_volume(self_contained_stack):
    stack = self_contained_stack.resources
    container = classifier_container(stack)
    volumes = {volume["name"] for volume in task_definition(stack).inputs["volumes"]}

    assert container["readonlyRootFilesystem"] is True
    (mount,) = [point for point in container["mountPoints"] if point["containerPath"] == SCRATCH_PATH]
    assert mount["sourceVolume"] in volumes and mount["readOnly"] is False


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


def test_created_network_has_no_internet_path_and_the_endpoints_fargate_needs(self_contained_stack):
    stack = self_contained_stack.resources
    (vpc,) = stack.of_type("aws:ec2/vpc:Vpc")

    assert network_problems(stack) == []
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    zones = {subnet.inputs["availabilityZone"] for subnet in stack.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"eu-west-2a", "eu-west-2b"}


@pytest.mark.parametrize(
    "endpoint", ["classifier-ecr-dkr-endpoint", "classifier-s3-endpoint", "classifier-logs-endpoint"]
)
def test_network_check_reports_a_missing_endpoint(self_contained_stack, endpoint):
    stack = self_contained_stack.resources.without(VPC_ENDPOINT, endpoint)

    assert len(network_problems(stack)) == 1


def test_network_check_reports_an_internet_route(self_contained_stack):
    stack = self_contained_stack.resources.mutated(
        "aws:ec2/routeTable:RouteTable",
        "classifier-private-routes",
        lambda inputs: inputs.update(routes=[{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0abc"}]),
    )

    assert network_problems(stack) == ["classifier-private-routes has routes beyond the local one"]


def test_task_security_group_has_no_ingress_and_https_egress_to_vpc_and_s3_only(self_contained_stack):
    stack = self_contained_stack.resources
    group = stack.one(SECURITY_GROUP, "classifier-task-sg")
    destinations = [rule.get("cidrBlocks") or rule.get("prefixListIds") for rule in group.inputs["egress"]]

    assert task_security_group_problems(group) == []
    assert sorted(destinations) == [["10.40.0.0/16"], ["pl-7ca54015"]]


@pytest.mark.parametrize(
    "change",
    [
        lambda inputs: inputs.update(
            ingress=[{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]
        ),
        lambda inputs: inputs["egress"].append(
            {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
        ),
    ],
)
def test_task_security_group_check_reports_opened_rules(self_contained_stack, change):
    stack = self_contained_stack.resources.mutated(SECURITY_GROUP, "classifier-task-sg", change)

    assert task_security_group_problems(stack.one(SECURITY_GROUP, "classifier-task-sg")) != []


def test_endpoints_accept_https_only_from_the_task_security_group(self_contained_stack):
    stack = self_contained_stack.resources
    task_group = stack.one(SECURITY_GROUP, "classifier-task-sg")
    endpoint_group = stack.one(SECURITY_GROUP, "classifier-endpoint-sg")
    interface_endpoints = [
        item for item in stack.of_type(VPC_ENDPOINT) if item.inputs["vpcEndpointType"] == "Interface"
    ]

    (ingress,) = endpoint_group.inputs["ingress"]
    assert (ingress["fromPort"], ingress["toPort"], ingress["securityGroups"]) == (
        443,
        443,
        [task_group.resource_id],
    )
    assert all(
        item.inputs["securityGroupIds"] == [endpoint_group.resource_id] for item in interface_endpoints
    )


def test_given_subnets_and_security_groups_are_used_and_no_vpc_is_created(external_stack):
    stack = external_stack.resources
    definition = json.loads(
        stack.one("aws:sfn/stateMachine:StateMachine", "processing-state-machine").inputs["definition"]
    )
    definition_text = json.dumps(definition)

    assert stack.of_type("aws:ec2/vpc:Vpc") == [] and stack.of_type(VPC_ENDPOINT) == []
    assert "subnet-0123456789abcdef0" in definition_text and "sg-0123456789abcdef0" in definition_text


def _dockerfile_copies() -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context in the classifier's Dockerfile."""
    lines = (REPO_ROOT / "classifier_image" / "Dockerfile").read_text().splitlines()
    return [
        (parts[1], parts[2])
        for parts in (line.split() for line in lines)
        if parts and parts[0] == "COPY" and not parts[1].startswith("--from")
    ]


def test_the_image_holds_the_contracts_package_beside_fbcsp():
    copies = _dockerfile_copies()

    assert ("contracts", "/app/contracts") in copies
    assert ("classifier_image/fbcsp", "/app/fbcsp") in copies


def test_the_build_context_lets_in_only_what_the_dockerfile_copies():
    patterns = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in patterns if line.startswith("!")}

    assert "*" in patterns
    assert allowed == {source for source, _ in _dockerfile_copies()}


def test_every_created_endpoint_carries_the_policy_of_the_stacks_own_resources(self_contained_stack):
    stack = self_contained_stack.resources
    endpoints = {item.inputs["serviceName"].split(".", 3)[-1]: item for item in stack.of_type(VPC_ENDPOINT)}
    bucket_arns = {item.name: item.outputs["arn"] for item in stack.of_type(BUCKET)}
    table_arns = [item.outputs["arn"] for item in stack.of_type("aws:dynamodb/table:Table")]
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "classifier-task-logs")

    assert json.loads(endpoints["s3"].inputs["policy"]) == endpoint_policies.s3_endpoint_policy(
        region="eu-west-2",
        upload_bucket_arn=bucket_arns["storage-uploads"],
        results_bucket_arn=bucket_arns["storage-results"],
    )
    dynamodb_policy = json.loads(endpoints["dynamodb"].inputs["policy"])
    (tables_statement,) = dynamodb_policy["Statement"]
    # The mocks record the tables in whatever order their outputs resolve: compare them as a set.
    assert sorted(tables_statement["Resource"]) == sorted(table_arns)
    assert dynamodb_policy == endpoint_policies.dynamodb_endpoint_policy(table_arns=tables_statement["Resource"])
    for service in ("ecr.api", "ecr.dkr"):
        assert json.loads(endpoints[service].inputs["policy"]) == endpoint_policies.ecr_endpoint_policy(
            repository_arn=repository.outputs["arn"]
        )
    assert json.loads(endpoints["logs"].inputs["policy"]) == endpoint_policies.logs_endpoint_policy(
        log_group_arn=log_group.outputs["arn"]
    )


def test_image_tags_are_immutable_and_each_build_is_tagged_by_its_content(self_contained_stack, tmp_path):
    stack = self_contained_stack.resources
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")
    (image,) = stack.of_type("awsx:ecr:Image")

    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    dockerfile = REPO_ROOT / "classifier_image" / "Dockerfile"
    assert image.inputs["imageTag"] == build_context_tag(REPO_ROOT, dockerfile)
    (tmp_path / ".dockerignore").write_text("*\n!fbcsp/\n**/__pycache__\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "fbcsp").mkdir()
    (tmp_path / "fbcsp" / "training.py").write_text("A = 1\n")
    first = build_context_tag(tmp_path)
    # What the build does not send changes nothing: ignored files, bytecode caches.
    (tmp_path / "notes.txt").write_text("not in the image")
    (tmp_path / "fbcsp" / "__pycache__").mkdir()
    (tmp_path / "fbcsp" / "__pycache__" / "training.cpython-311.pyc").write_bytes(b"cache")
    assert build_context_tag(tmp_path) == first
    # What it sends does: the code, and the Dockerfile.
    (tmp_path / "fbcsp" / "training.py").write_text("A = 2\n")
    second = build_context_tag(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12.7-slim\n")
    assert len({first, second, build_context_tag(tmp_path)}) == 3
    assert first.startswith("src-") and len(first) == 20
