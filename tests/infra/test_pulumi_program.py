"""The whole program (`__main__.py` through runpy): outputs, default tags, component tree."""

import dataclasses

import pytest
from operations_checks import tagging_problems
from pulumi_mocks import new_mocks, run_main_program

from components.config import ConfigError
from sandbox.stack import LocalStack
from sandbox.stack_outputs import stack_outputs

pytestmark = pytest.mark.unit

REQUIRED_OUTPUTS = {
    "apiUrl",
    "uploadBucketName",
    "resultsBucketName",
    "statusTableName",
    "classifierTableName",
    "limitsTableName",
    "stateMachineArn",
    "queueUrl",
    "deadLetterQueueUrl",
    "reconcileDeadLetterQueueUrl",
    "dashboardName",
    "classifierLogGroupName",
    "ecrRepositoryUrl",
    "imageUri",
    "clusterArn",
}


def test_stack_exports_every_endpoint_with_realistic_values(self_contained_stack):
    exports = self_contained_stack.exports

    assert REQUIRED_OUTPUTS | {"cognitoUserPoolId", "cognitoUserPoolClientId"} <= set(exports)
    assert (
        exports["apiUrl"].startswith("https://")
        and ".execute-api.eu-west-2.amazonaws.com" in exports["apiUrl"]
    )
    assert exports["stateMachineArn"].startswith("arn:aws:states:eu-west-2:123456789012:stateMachine:")
    assert exports["queueUrl"].startswith("https://sqs.eu-west-2.amazonaws.com/123456789012/")
    assert exports["clusterArn"].startswith("arn:aws:ecs:eu-west-2:123456789012:cluster/")
    assert exports["imageUri"].startswith(exports["ecrRepositoryUrl"] + "@sha256:")


def test_buckets_and_tables_exported_are_the_ones_created(self_contained_stack):
    stack, exports = self_contained_stack.resources, self_contained_stack.exports
    bucket_names = {item.outputs["bucket"] for item in stack.of_type("aws:s3/bucket:Bucket")}
    table_names = {item.outputs["name"] for item in stack.of_type("aws:dynamodb/table:Table")}

    assert {exports["uploadBucketName"], exports["resultsBucketName"]} == bucket_names
    exported_tables = {exports["statusTableName"], exports["classifierTableName"], exports["limitsTableName"]}
    assert exported_tables == table_names


def test_external_issuer_stack_exports_no_cognito_ids(external_stack):
    assert set(external_stack.exports) >= REQUIRED_OUTPUTS
    assert external_stack.exports["jwtIssuer"] == "https://login.example.org"
    assert not {"cognitoUserPoolId", "cognitoUserPoolClientId"} & set(external_stack.exports)


def test_every_resource_is_tagged_through_the_provider_default_tags(self_contained_stack):
    expected = {"project": "eeg-pipeline", "environment": "dev", "owner": "eeg-research"}

    assert tagging_problems(self_contained_stack.resources, expected) == []


def test_tagging_check_reports_an_untagged_provider(self_contained_stack):
    stack = self_contained_stack.resources.mutated(
        "pulumi:providers:aws",
        "aws",
        lambda inputs: inputs.update(defaultTags='{"tags": {"project": "eeg-pipeline"}}'),
    )

    problems = tagging_problems(stack, {"project": "eeg-pipeline", "environment": "dev"})

    assert len(problems) == len([item for item in stack.resources if item.type_token.startswith("aws:")]) > 50


def test_provider_targets_the_configured_region(self_contained_stack):
    (provider,) = self_contained_stack.resources.of_type("pulumi:providers:aws")

    assert provider.inputs["region"] == "eu-west-2"


def test_the_four_components_are_declared_with_their_type_tokens(self_contained_stack):
    tokens = {
        item.type_token
        for item in self_contained_stack.resources.resources
        if item.type_token.startswith("eegpipeline:")
    }

    assert tokens == {
        "eegpipeline:storage:PipelineStorage",
        "eegpipeline:compute:ClassifierCluster",
        "eegpipeline:orchestration:ProcessingStateMachine",
        "eegpipeline:api:StatusApi",
    }


def test_invalid_config_stops_the_program_before_any_resource_is_declared():
    mocks = new_mocks()

    with pytest.raises(ConfigError, match="unknown environment 'qa'"):
        run_main_program({"aws:region": "eu-west-2", "eeg-pipeline:environment": "qa"}, mocks=mocks)

    assert mocks.recorded == []


def test_the_sandbox_writes_its_stack_outputs_under_the_programs_export_names(self_contained_stack):
    emulated = LocalStack(**{field.name: f"sandbox-{field.name}" for field in dataclasses.fields(LocalStack)})

    written = stack_outputs(emulated, "http://127.0.0.1:8787")

    assert set(written) <= set(self_contained_stack.exports)
    # Every output but the image's and Cognito's, which the sandbox does not emulate.
    cognito = {name for name in self_contained_stack.exports if name.startswith("cognito")}
    not_emulated = {"ecrRepositoryUrl", "imageUri"} | cognito
    assert set(self_contained_stack.exports) - set(written) == not_emulated
    assert written["apiUrl"] == "http://127.0.0.1:8787"
