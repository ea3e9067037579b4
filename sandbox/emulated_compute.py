"""Emulator calls for the program's IAM, Lambda, ECS and Step Functions resources
(see :mod:`sandbox.emulation`).

Lambda functions get a placeholder package: their invocations are dispatched to ``handlers/`` in
process (:mod:`sandbox.functions`), with the function's own environment and role.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

from .emulated_data import Answer, NotEmulated, pascal, policy_text, present, whole

if TYPE_CHECKING:
    from .emulation import Emulator


def _placeholder_code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "The sandbox dispatches this function to handlers/ in process.\n")
    return buffer.getvalue()


def _role(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    iam = emulator.client("iam")
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=policy_text(inputs["assumeRolePolicy"]),
        Path=inputs.get("path", "/"),
    )["Role"]
    for inline in inputs.get("inlinePolicies") or []:
        iam.put_role_policy(
            RoleName=name, PolicyName=inline["name"], PolicyDocument=policy_text(inline["policy"])
        )
    for policy_arn in inputs.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return name, {"name": name, "arn": role["Arn"], "uniqueId": role["RoleId"]}


def _role_policy(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    emulator.client("iam").put_role_policy(
        RoleName=inputs["role"], PolicyName=name, PolicyDocument=policy_text(inputs["policy"])
    )
    return f"{inputs['role']}:{name}", {"name": name}


def _policy(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    policy = emulator.client("iam").create_policy(
        PolicyName=name, PolicyDocument=policy_text(inputs["policy"]), Path=inputs.get("path", "/")
    )["Policy"]
    return policy["Arn"], {"name": name, "arn": policy["Arn"], "policyId": policy["PolicyId"]}


def _role_policy_attachment(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    iam = emulator.client("iam")
    try:
        iam.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
    except iam.exceptions.NoSuchEntityException as missing:
        # moto holds no AWS-managed policy unless told to load them all (MOTO_IAM_LOAD_MANAGED_POLICIES).
        raise NotEmulated(f"{inputs['policyArn']} does not exist in the emulator") from missing
    return emulator.auto_name(logical_name), {}


def _function(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    optional = present(
        inputs, {"timeout": "Timeout", "memorySize": "MemorySize", "architectures": "Architectures"}, whole
    )
    arn = emulator.client("lambda").create_function(
        FunctionName=name,
        Runtime=inputs.get("runtime", "python3.12"),
        Role=inputs["role"],
        Handler=inputs["handler"],
        Code={"ZipFile": _placeholder_code()},
        Environment={"Variables": dict((inputs.get("environment") or {}).get("variables") or {})},
        **optional,
    )["FunctionArn"]
    invoke_arn = f"arn:aws:apigateway:{emulator.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return name, {"name": name, "arn": arn, "invokeArn": invoke_arn, "qualifiedArn": f"{arn}:$LATEST"}


def _event_source_mapping(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    optional = present(
        inputs,
        {
            "batchSize": "BatchSize",
            "maximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds",
            "functionResponseTypes": "FunctionResponseTypes",
        },
        whole,
    )
    mapping = emulator.client("lambda").create_event_source_mapping(
        EventSourceArn=inputs["eventSourceArn"], FunctionName=inputs["functionName"], **optional
    )
    return mapping["UUID"], {"uuid": mapping["UUID"], "functionArn": mapping["FunctionArn"]}


def _permission(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    statement_id = inputs.get("statementId") or emulator.auto_name(logical_name)
    optional = present(inputs, {"sourceArn": "SourceArn"})
    emulator.client("lambda").add_permission(
        FunctionName=inputs["function"],
        StatementId=statement_id,
        Action=inputs["action"],
        Principal=inputs["principal"],
        **optional,
    )
    return statement_id, {"statementId": statement_id}


def _function_event_invoke_config(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    optional = present(
        inputs,
        {
            "maximumRetryAttempts": "MaximumRetryAttempts",
            "maximumEventAgeInSeconds": "MaximumEventAgeInSeconds",
            "destinationConfig": "DestinationConfig",
        },
        pascal,
    )
    emulator.client("lambda").put_function_event_invoke_config(FunctionName=inputs["functionName"], **optional)
    return inputs["functionName"], {}


def _cluster(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    arn = emulator.client("ecs").create_cluster(clusterName=name, settings=inputs.get("settings") or [])[
        "cluster"
    ]["clusterArn"]
    return arn, {"name": name, "arn": arn}


_TASK_DEFINITION_PARAMETERS = (
    "cpu",
    "memory",
    "networkMode",
    "requiresCompatibilities",
    "taskRoleArn",
    "executionRoleArn",
    "volumes",
    "runtimePlatform",
)


def _task_definition(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    # The provider's names of these inputs are the API's.
    optional = present(inputs, {key: key for key in _TASK_DEFINITION_PARAMETERS})
    definition = emulator.client("ecs").register_task_definition(
        family=inputs["family"], containerDefinitions=json.loads(inputs["containerDefinitions"]), **optional
    )["taskDefinition"]
    arn = definition["taskDefinitionArn"]
    return inputs["family"], {
        "arn": arn,
        "arnWithoutRevision": arn.rsplit(":", 1)[0],
        "revision": definition["revision"],
    }


def _state_machine(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    arn = emulator.client("stepfunctions").create_state_machine(
        name=name,
        definition=inputs["definition"],
        roleArn=inputs["roleArn"],
        type=inputs.get("type", "STANDARD"),
    )["stateMachineArn"]
    return arn, {"name": name, "arn": arn}


CREATORS = {
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/policy:Policy": _policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_policy_attachment,
    "aws:lambda/function:Function": _function,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _event_source_mapping,
    "aws:lambda/permission:Permission": _permission,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": _function_event_invoke_config,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:sfn/stateMachine:StateMachine": _state_machine,
}
