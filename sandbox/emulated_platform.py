"""Emulator calls for the program's network, logging and alarm and ECR resources (see
:mod:`sandbox.emulation`), and the answers for what the sandbox does not create: the image build,
the HTTP API and the user pool.

Security group rules are not created: the emulator has no network to filter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .container_images import SANDBOX_IMAGE
from .emulated_data import Answer, pascal, policy_text, present, whole

if TYPE_CHECKING:
    from .emulation import Emulator


def _vpc(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    ec2 = emulator.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock=inputs["cidrBlock"])["Vpc"]["VpcId"]
    for key, attribute in (
        ("enableDnsSupport", "EnableDnsSupport"),
        ("enableDnsHostnames", "EnableDnsHostnames"),
    ):
        if key in inputs:
            ec2.modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": bool(inputs[key])}})
    return vpc_id, {"arn": emulator.arn("ec2", f"vpc/{vpc_id}")}


def _subnet(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    optional = present(inputs, {"availabilityZone": "AvailabilityZone"})
    subnet_id = emulator.client("ec2").create_subnet(
        VpcId=inputs["vpcId"], CidrBlock=inputs["cidrBlock"], **optional
    )["Subnet"]["SubnetId"]
    return subnet_id, {"arn": emulator.arn("ec2", f"subnet/{subnet_id}")}


def _security_group(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    group_id = emulator.client("ec2").create_security_group(
        GroupName=emulator.name(logical_name, inputs),
        Description=inputs.get("description") or "Managed by Pulumi",
        VpcId=inputs["vpcId"],
    )["GroupId"]
    return group_id, {"arn": emulator.arn("ec2", f"security-group/{group_id}")}


def _route_table(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    return emulator.client("ec2").create_route_table(VpcId=inputs["vpcId"])["RouteTable"]["RouteTableId"], {}


def _route_table_association(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    return emulator.client("ec2").associate_route_table(
        SubnetId=inputs["subnetId"], RouteTableId=inputs["routeTableId"]
    )["AssociationId"], {}


def _vpc_endpoint(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    optional = present(
        inputs,
        {
            "routeTableIds": "RouteTableIds",
            "subnetIds": "SubnetIds",
            "securityGroupIds": "SecurityGroupIds",
            "privateDnsEnabled": "PrivateDnsEnabled",
            "policy": "PolicyDocument",
        },
    )
    ec2 = emulator.client("ec2")
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=inputs["vpcId"],
        ServiceName=inputs["serviceName"],
        VpcEndpointType=inputs.get("vpcEndpointType", "Gateway"),
        **optional,
    )["VpcEndpoint"]["VpcEndpointId"]
    prefix_lists = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [inputs["serviceName"]]}]
    )
    prefix_list_id = next((item["PrefixListId"] for item in prefix_lists["PrefixLists"]), "")
    return endpoint_id, {
        "prefixListId": prefix_list_id,
        "arn": emulator.arn("ec2", f"vpc-endpoint/{endpoint_id}"),
    }


def _log_group(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName=name)
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=whole(inputs["retentionInDays"]))
    return name, {"name": name, "arn": emulator.arn("logs", f"log-group:{name}")}


_ALARM_PARAMETERS = (
    "alarmDescription",
    "namespace",
    "metricName",
    "statistic",
    "period",
    "evaluationPeriods",
    "threshold",
    "comparisonOperator",
    "treatMissingData",
    "alarmActions",
    "okActions",
)


def _metric_alarm(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    parameters = pascal({key: inputs[key] for key in _ALARM_PARAMETERS if key in inputs})
    parameters["OKActions"] = parameters.pop("OkActions", [])
    dimensions = [{"Name": key, "Value": value} for key, value in (inputs.get("dimensions") or {}).items()]
    emulator.client("cloudwatch").put_metric_alarm(AlarmName=name, Dimensions=dimensions, **parameters)
    return name, {"name": name, "arn": emulator.arn("cloudwatch", f"alarm:{name}")}


def _dashboard(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs, "dashboardName")
    emulator.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=inputs["dashboardBody"])
    return name, {"dashboardArn": emulator.arn("cloudwatch", f"dashboard/{name}", region=False)}


def _repository(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs, lower=True)
    optional = present(
        inputs,
        {
            "imageScanningConfiguration": "imageScanningConfiguration",
            "imageTagMutability": "imageTagMutability",
        },
    )
    repository = emulator.client("ecr").create_repository(repositoryName=name, **optional)["repository"]
    return name, {
        "name": name,
        "arn": repository["repositoryArn"],
        "registryId": repository["registryId"],
        "repositoryUrl": repository["repositoryUri"],
    }


def _repository_lifecycle(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    emulator.client("ecr").put_lifecycle_policy(
        repositoryName=inputs["repository"], lifecyclePolicyText=policy_text(inputs["policy"])
    )
    return inputs["repository"], {}


def _image(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    """``pulumi up`` builds and pushes the image; the sandbox runs the local one instead."""
    return logical_name, {"imageUri": SANDBOX_IMAGE}


def _http_api(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    api_id = emulator.generated_id(logical_name, 10)
    return api_id, {
        "apiEndpoint": f"https://{api_id}.execute-api.{emulator.region}.amazonaws.com",
        "executionArn": emulator.arn("execute-api", api_id),
        "arn": emulator.arn("apigateway", f"/apis/{api_id}", account=False),
    }


def _user_pool(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    pool_id = f"{emulator.region}_{emulator.generated_id(logical_name, 9)}"
    return pool_id, {
        "arn": emulator.arn("cognito-idp", f"userpool/{pool_id}"),
        "endpoint": f"cognito-idp.{emulator.region}.amazonaws.com/{pool_id}",
    }


def _generated(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    return emulator.generated_id(logical_name, 26), {}


#: The HTTP API and its user pool are answered, not created: ``sandbox serve`` serves the routes
#: itself with the deployed API function, behind local tokens instead of Cognito's.
STAND_INS = {
    "awsx:ecr:Image": _image,
    "aws:apigatewayv2/api:Api": _http_api,
    "aws:apigatewayv2/authorizer:Authorizer": _generated,
    "aws:apigatewayv2/integration:Integration": _generated,
    "aws:apigatewayv2/route:Route": _generated,
    "aws:apigatewayv2/stage:Stage": _generated,
    "aws:cognito/userPool:UserPool": _user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": _generated,
}

CREATORS = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/routeTable:RouteTable": _route_table,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _route_table_association,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:ecr/repository:Repository": _repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _repository_lifecycle,
}
