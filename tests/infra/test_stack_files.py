"""The committed stack files hold settings the program accepts: a typo there fails here, not at `pulumi up`."""

from pathlib import Path

import pytest
import yaml

from components.config import PROJECT_NAME, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = sorted(REPO_ROOT.glob("Pulumi.*.yaml"))

pytestmark = pytest.mark.unit


def raw_settings(stack_file: Path) -> dict:
    config = yaml.safe_load(stack_file.read_text())["config"]
    namespace = f"{PROJECT_NAME}:"
    raw = {key.removeprefix(namespace): value for key, value in config.items() if key.startswith(namespace)}
    return {**raw, "region": config["aws:region"]}


def test_there_is_a_dev_and_a_prod_stack():
    assert {path.name for path in STACK_FILES} >= {"Pulumi.dev.yaml", "Pulumi.prod.yaml"}


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.name)
def test_each_stack_file_passes_validation(stack_file):
    settings = load_settings(raw_settings(stack_file))
    assert settings.environment == stack_file.name.split(".")[1]


def test_prod_uses_an_external_issuer_and_existing_subnets():
    settings = load_settings(raw_settings(REPO_ROOT / "Pulumi.prod.yaml"))
    assert settings.is_production
    assert settings.jwt_issuer == "https://login.example.org/realms/research"
    assert len(settings.subnet_ids) == 2
