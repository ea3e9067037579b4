"""The committed stack files hold settings the program accepts: a typo there fails here, not at `pulumi up`."""

from pathlib import Path

import pytest

from components.stack_file import raw_stack_config, stack_file_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = sorted(REPO_ROOT.glob("Pulumi.*.yaml"))

pytestmark = pytest.mark.unit


def test_there_is_a_dev_and_a_prod_stack():
    assert {path.name for path in STACK_FILES} >= {"Pulumi.dev.yaml", "Pulumi.prod.yaml"}


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_each_stack_file_passes_validation(stack_file):
    settings = stack_file_settings(stack_file)
    assert settings.environment == stack_file.name.split(".")[1]


def test_prod_uses_an_external_issuer_and_existing_subnets():
    settings = stack_file_settings(REPO_ROOT / "Pulumi.prod.yaml")
    assert settings.is_production
    assert settings.jwt_issuer == "https://login.example.org/realms/research"
    assert len(settings.subnet_ids) == 2


def test_a_stack_file_reads_as_namespaced_keys_plus_region(tmp_path):
    stack_file = tmp_path / "Pulumi.test.yaml"
    stack_file.write_text(
        "config:\n  aws:region: eu-west-1\n  eeg-pipeline:environment: dev\n  other-project:key: ignored\n"
    )

    assert raw_stack_config(stack_file) == {"environment": "dev", "region": "eu-west-1"}


def test_prod_differs_from_dev_where_production_should():
    dev, prod = (stack_file_settings(REPO_ROOT / f"Pulumi.{name}.yaml") for name in ("dev", "prod"))

    assert prod.log_retention_days > dev.log_retention_days
    assert prod.results_noncurrent_version_days > dev.results_noncurrent_version_days
    assert prod.upload_expiration_days > dev.upload_expiration_days
    assert prod.alarm_email and not dev.alarm_email
    assert prod.is_production and not dev.is_production
