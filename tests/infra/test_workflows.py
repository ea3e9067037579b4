"""The GitHub workflows: valid against GitHub's workflow schema, and doing what the delivery process needs."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.config import ENVIRONMENTS

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
DEPLOYED_ENVIRONMENTS = [name for name in ENVIRONMENTS if (REPO_ROOT / f"Pulumi.{name}.yaml").is_file()]


def check_against_schema(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True, text=True, check=False,
    )


def load(name: str) -> dict:
    return yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text())


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def test_every_workflow_is_valid_against_the_github_schema():
    assert WORKFLOWS, "no workflow files found"
    result = check_against_schema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_typo_in_a_workflow_is_caught(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: echo\n")

    result = check_against_schema(broken)

    assert result.returncode == 1
    assert "'stepz' was unexpected" in result.stdout


def test_pull_requests_run_the_tests_then_preview_every_environment_with_the_policy_pack():
    jobs = load("pull-request.yml")["jobs"]
    preview = jobs["preview"]

    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    assert preview["needs"] == "test"
    assert preview["strategy"]["matrix"]["stack"] == DEPLOYED_ENVIRONMENTS
    (pulumi,) = steps_using(preview, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"


def test_main_deploys_dev_then_prod_behind_an_approval_with_one_deploy_per_stack_at_a_time():
    jobs = load("deploy.yml")["jobs"]

    assert jobs["up-dev"]["needs"] == "test"
    assert jobs["up-prod"]["needs"] == "up-dev"
    for stack in ("dev", "prod"):
        job = jobs[f"up-{stack}"]
        assert job["environment"] == stack, "the GitHub environment carries the approval rules and the role"
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
        (pulumi,) = steps_using(job, "pulumi/actions")
        assert pulumi["with"] == {"command": "up", "stack-name": stack, "policyPacks": "policy"}


@pytest.mark.parametrize("workflow", [path.name for path in WORKFLOWS])
def test_aws_access_is_oidc_only_and_the_pulumi_token_a_secret(workflow):
    document = load(workflow)
    text = (REPO_ROOT / ".github" / "workflows" / workflow).read_text()

    assert document["permissions"]["id-token"] == "write"
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for job in document["jobs"].values():
        for step in steps_using(job, "aws-actions/configure-aws-credentials"):
            assert set(step["with"]) == {"role-to-assume", "aws-region"}
        for step in steps_using(job, "pulumi/actions"):
            assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
