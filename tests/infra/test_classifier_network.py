"""ClassifierCluster's private network: no internet path, the VPC endpoints Fargate needs and their
policies, the task and endpoint security groups; or the subnets and groups a stack is given."""

import json

import pytest
from network_checks import network_problems, task_security_group_problems
from resource_types import BUCKET, SECURITY_GROUP, VPC_ENDPOINT

from components import endpoint_policies

pytestmark = pytest.mark.unit


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
        stack.one("aws:sfn/stateMachine:StateMachine", "processing-test-state-machine").inputs["definition"]
    )
    definition_text = json.dumps(definition)

    assert stack.of_type("aws:ec2/vpc:Vpc") == [] and stack.of_type(VPC_ENDPOINT) == []
    assert "subnet-0123456789abcdef0" in definition_text and "sg-0123456789abcdef0" in definition_text


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
