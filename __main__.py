"""EEG training pipeline: read the stack config, build the four components, export the endpoints."""

import pulumi
import pulumi_aws as aws

from components import (
    ClassifierCluster,
    ClassifierClusterArgs,
    PipelineStorage,
    PipelineStorageArgs,
    ProcessingStateMachine,
    ProcessingStateMachineArgs,
    StatusApi,
    StatusApiArgs,
    collect_raw_config,
    load_settings,
)

settings = load_settings(
    {**collect_raw_config(pulumi.Config().get), "region": pulumi.Config("aws").get("region")}
)

# Every resource is created through this provider, so the default tags reach all of them.
provider = aws.Provider("aws", region=settings.region, default_tags={"tags": dict(settings.tags)})
with_provider = pulumi.ResourceOptions(providers=[provider])

storage = PipelineStorage(
    "storage",
    PipelineStorageArgs(
        upload_expiration_days=settings.upload_expiration_days,
        results_noncurrent_version_days=settings.results_noncurrent_version_days,
        deletion_protection=settings.is_production,
    ),
    opts=with_provider,
)

cluster = ClassifierCluster(
    "classifier",
    ClassifierClusterArgs(
        upload_bucket_arn=storage.locations.upload_bucket_arn,
        results_bucket_arn=storage.locations.results_bucket_arn,
        table_arns=[
            storage.locations.status_table_arn,
            storage.locations.classifier_table_arn,
            storage.locations.limits_table_arn,
        ],
        task_cpu=settings.task_cpu,
        task_memory=settings.task_memory,
        log_retention_days=settings.log_retention_days,
        subnet_ids=settings.subnet_ids,
        security_group_ids=settings.security_group_ids,
        permissions_boundary_arn=settings.permissions_boundary_arn,
    ),
    opts=with_provider,
)

processing = ProcessingStateMachine(
    "processing",
    ProcessingStateMachineArgs(
        storage=storage.locations,
        cluster_arn=cluster.cluster_arn,
        cluster_name=cluster.cluster_name,
        task_definition_arn=cluster.task_definition_arn,
        execution_role_arn=cluster.execution_role_arn,
        subnet_ids=cluster.subnet_ids,
        security_group_ids=cluster.security_group_ids,
        default_task_size=settings.default_task_size,
        task_memory_max_mib=settings.task_memory_max,
        log_retention_days=settings.log_retention_days,
        train_timeout_seconds=settings.train_timeout_seconds,
        capacity_retry=settings.capacity_retry,
        max_receive_count=settings.max_receive_count,
        alarm_email=settings.alarm_email,
        max_active_runs_per_user=settings.max_active_runs_per_user,
        start_max_concurrency=settings.start_max_concurrency,
        permissions_boundary_arn=settings.permissions_boundary_arn,
    ),
    opts=with_provider,
)

api = StatusApi(
    "api",
    StatusApiArgs(
        storage=storage.locations,
        alarm_topic_arn=processing.topic_arn,
        jwt_issuer=settings.jwt_issuer,
        jwt_audience=settings.jwt_audience,
        throttling_burst_limit=settings.api_throttling_burst_limit,
        throttling_rate_limit=settings.api_throttling_rate_limit,
        log_retention_days=settings.log_retention_days,
        smoke_test_user=settings.smoke_test_user,
        cors_allow_origins=settings.cors_allow_origins,
        max_upload_requests_per_minute=settings.max_upload_requests_per_minute,
        reserved_concurrency=settings.api_reserved_concurrency,
        permissions_boundary_arn=settings.permissions_boundary_arn,
    ),
    opts=with_provider,
)

pulumi.export("apiUrl", api.api_url)
pulumi.export("jwtIssuer", api.issuer)
pulumi.export("uploadBucketName", storage.locations.upload_bucket_name)
pulumi.export("resultsBucketName", storage.locations.results_bucket_name)
pulumi.export("statusTableName", storage.locations.status_table_name)
pulumi.export("classifierTableName", storage.locations.classifier_table_name)
pulumi.export("limitsTableName", storage.locations.limits_table_name)
pulumi.export("stateMachineArn", processing.state_machine_arn)
pulumi.export("queueUrl", processing.queue_url)
pulumi.export("deadLetterQueueUrl", processing.dead_letter_queue_url)
pulumi.export("reconcileDeadLetterQueueUrl", processing.reconcile_dead_letter_queue_url)
pulumi.export("dashboardName", processing.dashboard_name)
pulumi.export("topicArn", processing.topic_arn)
pulumi.export("ecrRepositoryUrl", cluster.repository_url)
pulumi.export("imageUri", cluster.image_uri)
pulumi.export("clusterArn", cluster.cluster_arn)
pulumi.export("classifierLogGroupName", cluster.log_group_name)
if api.user_pool_id is not None:
    pulumi.export("cognitoUserPoolId", api.user_pool_id)
    pulumi.export("cognitoUserPoolClientId", api.user_pool_client_id)
if api.smoke_test_client_id is not None:
    pulumi.export("cognitoSmokeTestClientId", api.smoke_test_client_id)
    pulumi.export("cognitoSmokeTestUser", settings.smoke_test_user)
