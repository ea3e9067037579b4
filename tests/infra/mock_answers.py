"""The account, region and zones the mocks stand for, and what they answer for a declared resource: a physical id
and computed outputs in AWS's formats, ``imageUri`` with a digest for ``awsx:ecr:Image``, ``invokeArn`` for
functions, ``executionArn`` for HTTP APIs."""

from __future__ import annotations

import hashlib
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "eu-west-2"
ZONES = ("eu-west-2a", "eu-west-2b", "eu-west-2c")
S3_PREFIX_LIST_ID = "pl-7ca54015"


def _suffix(name: str, length: int = 8) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def _arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def resource_outputs(type_token: str, logical_name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Physical id and computed outputs of one resource, shaped like the real provider's."""
    name = inputs.get("name") or inputs.get("bucket") or f"{logical_name}-{_suffix(logical_name, 7)}"
    short = _suffix(logical_name)
    match type_token:
        case "aws:s3/bucket:Bucket":
            return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}", "region": REGION}
        case "aws:dynamodb/table:Table":
            return name, {"name": name, "arn": _arn("dynamodb", f"table/{name}")}
        case "aws:sqs/queue:Queue":
            url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            return url, {"name": name, "arn": _arn("sqs", name), "url": url}
        case "aws:lambda/function:Function":
            arn = _arn("lambda", f"function:{name}")
            invoke_arn = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
            return name, {"name": name, "arn": arn, "invokeArn": invoke_arn, "qualifiedArn": f"{arn}:$LATEST"}
        case "aws:iam/role:Role":
            return name, {
                "name": name,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:role{inputs.get('path', '/')}{name}",
                "uniqueId": f"AROA{short}",
            }
        case "aws:iam/policy:Policy":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:policy{inputs.get('path', '/')}{name}"
            return arn, {"name": name, "arn": arn, "policyId": f"ANPA{short}"}
        case "aws:iam/rolePolicy:RolePolicy":
            return f"{inputs.get('role')}:{name}", {"name": name}
        case "aws:sfn/stateMachine:StateMachine":
            arn = _arn("states", f"stateMachine:{name}")
            return arn, {"name": name, "arn": arn}
        case "aws:ecs/cluster:Cluster":
            arn = _arn("ecs", f"cluster/{name}")
            return arn, {"name": name, "arn": arn}
        case "aws:ecs/taskDefinition:TaskDefinition":
            family = inputs.get("family", name)
            return family, {
                "arn": _arn("ecs", f"task-definition/{family}:1"),
                "arnWithoutRevision": _arn("ecs", f"task-definition/{family}"),
                "revision": 1,
            }
        case "aws:ecr/repository:Repository":
            return name, {
                "name": name,
                "arn": _arn("ecr", f"repository/{name}"),
                "registryId": ACCOUNT_ID,
                "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{name}",
            }
        case "awsx:ecr:Image":
            digest = hashlib.sha256(str(inputs.get("context")).encode()).hexdigest()
            return short, {"imageUri": f"{inputs['repositoryUrl']}@sha256:{digest}"}
        case "aws:apigatewayv2/api:Api":
            api_id = short[:10]
            return api_id, {
                "apiEndpoint": f"https://{api_id}.execute-api.{REGION}.amazonaws.com",
                "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}",
                "arn": f"arn:aws:apigateway:{REGION}::/apis/{api_id}",
            }
        case "aws:apigatewayv2/stage:Stage":
            return inputs.get("name", short), {
                "invokeUrl": f"https://api.execute-api.{REGION}.amazonaws.com/"
            }
        case "aws:cognito/userPool:UserPool":
            pool_id = f"{REGION}_{short}"
            return pool_id, {
                "arn": _arn("cognito-idp", f"userpool/{pool_id}"),
                "endpoint": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}",
            }
        case "aws:kms/key:Key":
            key_id = f"{short}-1234-4abc-8def-{_suffix(logical_name + 'k', 12)}"
            return key_id, {"keyId": key_id, "arn": _arn("kms", f"key/{key_id}")}
        case "aws:cloudwatch/logGroup:LogGroup":
            return name, {"name": name, "arn": _arn("logs", f"log-group:{name}")}
        case "aws:sns/topic:Topic":
            arn = _arn("sns", name)
            return arn, {"name": name, "arn": arn}
        case "aws:cloudwatch/eventRule:EventRule":
            return name, {"name": name, "arn": _arn("events", f"rule/{name}")}
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return name, {"name": name, "arn": _arn("cloudwatch", f"alarm:{name}")}
        case "aws:cloudwatch/dashboard:Dashboard":
            dashboard = inputs.get("dashboardName", name)
            return dashboard, {"dashboardArn": f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{dashboard}"}
        case "aws:ec2/vpc:Vpc":
            return f"vpc-0{short}", {"arn": _arn("ec2", f"vpc/vpc-0{short}")}
        case "aws:ec2/subnet:Subnet":
            return f"subnet-0{short}", {"arn": _arn("ec2", f"subnet/subnet-0{short}")}
        case "aws:ec2/securityGroup:SecurityGroup":
            return f"sg-0{short}", {"arn": _arn("ec2", f"security-group/sg-0{short}")}
        case "aws:ec2/routeTable:RouteTable":
            return f"rtb-0{short}", {}
        case "aws:ec2/vpcEndpoint:VpcEndpoint":
            gateway = inputs.get("vpcEndpointType") == "Gateway"
            return f"vpce-0{short}", {"prefixListId": S3_PREFIX_LIST_ID if gateway else ""}
        case _:
            return f"{logical_name}-{short}", {}

