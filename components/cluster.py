"""ClassifierCluster: the classifier image, the ECS cluster and the Fargate task definition that trains it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
from docker.utils.build import exclude_paths

from components import policies
from components.lambda_archive import REPO_ROOT
from components.network import EndpointScope, create_private_network
from components.roles import create_service_role
from contracts.environment import ContainerVariable
from contracts.task_size import TaskSize

CONTAINER_NAME = "classifier"
SCRATCH_VOLUME = "scratch"
SCRATCH_PATH = "/tmp"  # noqa: S108 - the container's only writable path, an ephemeral task volume
UNTAGGED_IMAGE_DAYS = 7
IMAGES_KEPT = 20


@dataclass(frozen=True, kw_only=True)
class ClassifierClusterArgs:
    """Inputs of :class:`ClassifierCluster`.

    Attributes
    ----------
    upload_bucket_arn, results_bucket_arn
        The buckets the created network's S3 endpoint reaches. The task has no task role (no AWS
        credentials): it reaches its own upload and results through the run's presigned URLs.
    table_arns
        The stack's tables: the only ones the created network's DynamoDB endpoint reaches.
    task_cpu, task_memory
        Fargate task size (a valid Fargate pair).
    log_retention_days
        Retention of the task's log group.
    subnet_ids, security_group_ids
        Existing private subnets and security groups; both ``None`` to create a private VPC.
    image_context, image_dockerfile
        Docker build context and Dockerfile of the classifier image (relative to the Pulumi project).
        The context is the project root, so the image can hold the ``contracts`` package; the root
        ``.dockerignore`` lets only what the image needs into it.
    permissions_boundary_arn
        Permissions boundary of the task execution role (the stack's), or ``None``.
    """

    upload_bucket_arn: pulumi.Input[str]
    results_bucket_arn: pulumi.Input[str]
    table_arns: Sequence[pulumi.Input[str]] = ()
    task_cpu: int = 1024
    task_memory: int = 2048
    log_retention_days: int = 30
    subnet_ids: Sequence[pulumi.Input[str]] | None = None
    security_group_ids: Sequence[pulumi.Input[str]] | None = None
    image_context: str = "."
    image_dockerfile: str = "./classifier_image/Dockerfile"
    permissions_boundary_arn: str | None = None

    def __post_init__(self) -> None:
        if not TaskSize(self.task_cpu, self.task_memory).is_fargate_size:
            raise ValueError(
                f"task_memory {self.task_memory} is not a Fargate size for task_cpu {self.task_cpu}"
            )
        if (self.subnet_ids is None) != (self.security_group_ids is None):
            raise ValueError("subnet_ids and security_group_ids must be given together")
        if self.subnet_ids is not None and not (self.subnet_ids and self.security_group_ids):
            raise ValueError("subnet_ids and security_group_ids must not be empty")
        if self.subnet_ids is None and not self.table_arns:
            raise ValueError("table_arns must name the stack's tables when the cluster creates its network")


class ClassifierCluster(pulumi.ComponentResource):
    """ECR repository + image, ECS cluster, Fargate task definition, its execution role, logs and network.

    The task definition names no task role: the container holds no AWS credentials and reaches S3
    only through the presigned URLs of its run (``contracts.run_access``).

    The image is built from ``classifier_image/Dockerfile`` by ``awsx.ecr.Image`` and pinned by digest in
    the task definition. Tags are immutable, so each build is pushed under a tag derived from what the
    build sends (:func:`build_context_tag`). A new image is a new task definition revision, and the
    revision it replaces stays ACTIVE (``skip_destroy``): executions started before the deploy name it
    for their later trainings (capacity retries, a retry), and ECS refuses RunTask of an INACTIVE
    revision. The container runs with a read-only root file system; ``/tmp`` is an ephemeral task volume.
    """

    cluster_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    image_uri: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    security_group_ids: pulumi.Output[list[str]]
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClassifierClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eegpipeline:compute:ClassifierCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "AES256"}],
            image_tag_mutability="IMMUTABLE",
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-repository-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(repository_lifecycle_policy()),
            opts=child,
        )
        self.image = awsx.ecr.Image(
            f"{name}-image",
            repository_url=self.repository.repository_url,
            context=args.image_context,
            dockerfile=args.image_dockerfile,
            image_tag=build_context_tag(REPO_ROOT / args.image_context, REPO_ROOT / args.image_dockerfile),
            platform="linux/amd64",
            opts=child,
        )
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster", settings=[{"name": "containerInsights", "value": "enabled"}], opts=child
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-task-logs", retention_in_days=args.log_retention_days, opts=child
        )
        self.execution_role, _ = create_service_role(
            f"{name}-execution-role",
            "ecs-tasks.amazonaws.com",
            pulumi.Output.all(repository_arn=self.repository.arn, log_group_arn=self.log_group.arn).apply(
                lambda arns: json.dumps(policies.execution_role_policy(**arns))
            ),
            parent=self,
            permissions_boundary_arn=args.permissions_boundary_arn,
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{name}-classifier-{pulumi.get_stack()}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(args.task_cpu),
            memory=str(args.task_memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            volumes=[{"name": SCRATCH_VOLUME}],
            container_definitions=pulumi.Output.json_dumps(
                [
                    container_definition(
                        image_uri=self.image.image_uri,
                        task_cpu=args.task_cpu,
                        memory_mib=args.task_memory,
                        log_group_name=self.log_group.name,
                        region=region,
                    )
                ]
            ),
            # Not deregistered when replaced: ECS runs no INACTIVE revision (see the class docstring).
            skip_destroy=True,
            opts=child,
        )

        if args.subnet_ids is None or args.security_group_ids is None:
            scope = EndpointScope(
                upload_bucket_arn=args.upload_bucket_arn,
                results_bucket_arn=args.results_bucket_arn,
                table_arns=args.table_arns,
                repository_arn=self.repository.arn,
                log_group_arn=self.log_group.arn,
            )
            network = create_private_network(name, parent=self, region=region, scope=scope)
            self.subnet_ids = network.subnet_ids
            self.security_group_ids = pulumi.Output.all(network.task_security_group.id)
        else:
            self.subnet_ids = pulumi.Output.all(*args.subnet_ids)
            self.security_group_ids = pulumi.Output.all(*args.security_group_ids)

        self.cluster_arn = self.cluster.arn
        self.cluster_name = self.cluster.name
        self.task_definition_arn = self.task_definition.arn
        self.execution_role_arn = self.execution_role.arn
        self.repository_url = self.repository.repository_url
        self.image_uri = self.image.image_uri
        self.log_group_name = self.log_group.name
        self.register_outputs(self.outputs)

    @property
    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The component's outputs, as registered."""
        return {
            "clusterArn": self.cluster_arn,
            "clusterName": self.cluster_name,
            "taskDefinitionArn": self.task_definition_arn,
            "executionRoleArn": self.execution_role_arn,
            "repositoryUrl": self.repository_url,
            "imageUri": self.image_uri,
            "subnetIds": self.subnet_ids,
            "securityGroupIds": self.security_group_ids,
            "logGroupName": self.log_group_name,
        }


def build_context_tag(context: Path, dockerfile: Path | None = None) -> str:
    """An image tag naming what a Docker build sends: ``src-`` + 16 hex digits.

    Hashes the relative path and bytes of every file the context's ``.dockerignore`` lets into the
    build (docker-py applies the same rules as the Docker CLI), plus the Dockerfile; so a change to
    the code, the requirements or the Dockerfile gives a new tag, and an unchanged build the same one.
    """
    ignore_file = context / ".dockerignore"
    lines = ignore_file.read_text().splitlines() if ignore_file.is_file() else []
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    dockerfile = dockerfile or context / "Dockerfile"
    sent = {context / name for name in exclude_paths(str(context), patterns)} | {dockerfile}
    digest = hashlib.sha256()
    for path in sorted(path for path in sent if path.is_file()):
        digest.update(path.relative_to(context).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"src-{digest.hexdigest()[:16]}"


def repository_lifecycle_policy() -> dict[str, Any]:
    """ECR lifecycle: untagged images go after a week; of the rest, the newest ``IMAGES_KEPT`` stay."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {UNTAGGED_IMAGE_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_IMAGE_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the last {IMAGES_KEPT} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": IMAGES_KEPT,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def container_definition(
    *,
    image_uri: pulumi.Input[str],
    task_cpu: int,
    memory_mib: int,
    log_group_name: pulumi.Input[str],
    region: pulumi.Input[str],
) -> dict[str, Any]:
    """The ``classifier`` container: read-only root, an init process, ``/tmp`` on the scratch volume, logs to
    CloudWatch.

    The per-run environment (architecture.md §6) comes from the state machine's container overrides,
    which also replace ``FBCSP_TASK_CPU`` here (the default size's CPU units) with the run's.
    """
    return {
        "name": CONTAINER_NAME,
        "image": image_uri,
        "essential": True,
        "memory": memory_mib,
        "readonlyRootFilesystem": True,
        # An init process as PID 1 (Fargate platform 1.4.0 and later) passes ECS's SIGTERM on to the
        # entrypoint and reaps what it leaves; Python as PID 1 would ignore the signal until SIGKILL.
        "linuxParameters": {"initProcessEnabled": True},
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH, "readOnly": False}],
        # matplotlib and other libraries write caches under HOME; point them at the writable volume.
        "environment": [
            {"name": "HOME", "value": SCRATCH_PATH},
            {"name": "MPLCONFIGDIR", "value": f"{SCRATCH_PATH}/matplotlib"},
            # Fargate shows a task its host's CPUs; a task started without overrides still knows its own.
            {"name": ContainerVariable.TASK_CPU.value, "value": str(task_cpu)},
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
    }
