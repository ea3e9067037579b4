"""The Step Functions state machine of the processing path, with its execution log group and its service
role; the definition is :func:`components.asl.build_definition` of the deployed resources.

The state machine is auto-named: Pulumi names it after its logical name, ``{name}-{stack}-state-machine``,
plus ``-`` and a random suffix, a new one whenever a change replaces it, so the name of every state
machine the stack has had starts with :func:`state_machine_name_prefix` (what the reconcile rule
matches, :func:`contracts.execution_events.status_change_pattern`).

A function that declares its resources as children of the calling component (``parent``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policies
from components.asl import AslResources, build_definition
from components.cluster import CONTAINER_NAME
from components.lambda_function import LambdaFunction
from components.roles import create_service_role
from components.state_machine_args import ProcessingStateMachineArgs


@dataclass(frozen=True, kw_only=True)
class StepLambdas:
    """The four functions the state machine invokes as its Lambda steps."""

    validate: LambdaFunction
    presign_run: LambdaFunction
    process_results: LambdaFunction
    record_failure: LambdaFunction


def _state_machine_logical_name(name: str) -> str:
    # The stack in it: another stack's state machines in the same account and region do not share the prefix.
    return f"{name}-{pulumi.get_stack()}-state-machine"


def state_machine_name_prefix(name: str) -> str:
    """What the names of the stack's state machines start with: the logical name and the ``-`` Pulumi's
    auto-naming puts before the random suffix."""
    return f"{_state_machine_logical_name(name)}-"


def create_state_machine(
    name: str,
    *,
    parent: pulumi.Resource,
    args: ProcessingStateMachineArgs,
    step_lambdas: StepLambdas,
    topic: aws.sns.Topic,
    topic_key: aws.kms.Key,
    region: pulumi.Output[str],
    account_id: pulumi.Output[str],
) -> aws.sfn.StateMachine:
    """The state machine invoking ``step_lambdas``, running the classifier task and publishing outcomes
    to ``topic``; created once its role's policy exists."""
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-state-machine-logs",
        # Step Functions log delivery works best with the /aws/vendedlogs/ prefix (resource policy size).
        name=f"/aws/vendedlogs/states/{name}-{pulumi.get_stack()}",
        retention_in_days=args.log_retention_days,
        opts=child,
    )
    role, role_policy = create_service_role(
        f"{name}-state-machine-role",
        "states.amazonaws.com",
        pulumi.Output.all(
            region=region,
            account_id=account_id,
            function_arns=pulumi.Output.all(
                step_lambdas.validate.function.arn,
                step_lambdas.presign_run.function.arn,
                step_lambdas.process_results.function.arn,
                step_lambdas.record_failure.function.arn,
            ),
            status_table_arn=args.storage.status_table_arn,
            cluster_arn=args.cluster_arn,
            task_definition_arn=args.task_definition_arn,
            execution_role_arn=args.execution_role_arn,
            topic_arn=topic.arn,
            topic_key_arn=topic_key.arn,
        ).apply(lambda values: json.dumps(policies.state_machine_policy(**values))),
        parent=parent,
        permissions_boundary_arn=args.permissions_boundary_arn,
        policy_name=f"{name}-state-machine-policy",
    )
    definition = pulumi.Output.all(
        validate_function_arn=step_lambdas.validate.function.arn,
        presign_run_function_arn=step_lambdas.presign_run.function.arn,
        process_results_function_arn=step_lambdas.process_results.function.arn,
        record_failure_function_arn=step_lambdas.record_failure.function.arn,
        status_table_name=args.storage.status_table_name,
        cluster_arn=args.cluster_arn,
        task_definition_arn=args.task_definition_arn,
        subnet_ids=args.subnet_ids,
        security_group_ids=args.security_group_ids,
        topic_arn=topic.arn,
    ).apply(
        lambda values: build_definition(
            AslResources(container_name=CONTAINER_NAME, **values),
            train_timeout_seconds=args.train_timeout_seconds,
            capacity_retry=args.capacity_retry,
        )
    )
    return aws.sfn.StateMachine(
        _state_machine_logical_name(name),
        type="STANDARD",
        role_arn=role.arn,
        definition=pulumi.Output.json_dumps(definition),
        logging_configuration={
            "level": "ALL",
            "include_execution_data": True,
            "log_destination": pulumi.Output.concat(log_group.arn, ":*"),
        },
        tracing_configuration={"enabled": True},
        opts=pulumi.ResourceOptions(
            parent=parent,
            # Step Functions checks its role's permissions when the state machine is created.
            depends_on=[role_policy],
            # Its logical name before the stack was in it: a stack deployed then keeps its state machine,
            # under the name it has (the reconcile rule names the current machine's ARN too), instead of
            # replacing it now.
            aliases=[pulumi.Alias(name=f"{name}-state-machine")],
        ),
    )
