"""The GitHub workflows: valid against GitHub's workflow schema, and doing what the delivery process needs."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.config import ENVIRONMENTS
from eegclient.cli import build_parser

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
SMOKE_TEST_ACTION = REPO_ROOT / ".github" / "actions" / "smoke-test" / "action.yml"
DEPLOYED_ENVIRONMENTS = [name for name in ENVIRONMENTS if (REPO_ROOT / f"Pulumi.{name}.yaml").is_file()]


def check_against_schema(
    *paths: Path, schema: str = "vendor.github-workflows"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
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


def test_each_deploy_ends_with_the_smoke_test_of_its_stack_and_prod_needs_dev_to_pass():
    jobs = load("deploy.yml")["jobs"]

    assert jobs["up-prod"]["needs"] == "up-dev", "prod starts only if dev's job, smoke test included, passed"
    for stack in ("dev", "prod"):
        steps = jobs[f"up-{stack}"]["steps"]
        *_, up, smoke = steps
        assert up["uses"].startswith("pulumi/actions@") and up["with"]["command"] == "up"
        assert smoke["uses"] == "./.github/actions/smoke-test"
        assert smoke["with"] == {"stack": stack}
        assert "continue-on-error" not in smoke and "if" not in smoke, "a failed smoke test fails the run"
        assert smoke["env"] == {
            "PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            "EEG_PASSWORD": "${{ secrets.SMOKE_TEST_PASSWORD }}",
            "EEG_CLIENT_ID": "${{ secrets.SMOKE_TEST_CLIENT_ID }}",
            "EEG_CLIENT_SECRET": "${{ secrets.SMOKE_TEST_CLIENT_SECRET }}",
        }


def smoke_command(run: str, timeout: str) -> list[str]:
    """The eegclient command line of the action's script, as the shell would pass it."""
    script = run.replace("\\\n", " ").replace("${{ inputs.timeout-seconds }}", timeout)
    (line,) = [line for line in script.splitlines() if "-m eegclient smoke" in line]
    return shlex.split(line.split("2>&1", 1)[0])


def test_the_smoke_test_action_runs_eegclient_on_the_stack_outputs_and_reports_in_the_summary(monkeypatch):
    action = yaml.safe_load(SMOKE_TEST_ACTION.read_text())
    outputs_step, smoke_step = action["runs"]["steps"]
    monkeypatch.chdir(REPO_ROOT)

    command = smoke_command(smoke_step["run"], action["inputs"]["timeout-seconds"]["default"])
    arguments = build_parser().parse_args(command[3:])
    token_command = shlex.split(arguments.token_command)

    result = check_against_schema(SMOKE_TEST_ACTION, schema="vendor.github-actions")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs_step["run"] == (
        'pulumi stack output --json --stack "${{ inputs.stack }}" > stack-outputs.json'
    )
    assert command[:3] == [".venv/bin/python", "-m", "eegclient"]
    assert (arguments.command, str(arguments.outputs)) == ("smoke", "stack-outputs.json")
    assert arguments.timeout == 900
    assert arguments.token is None
    assert build_parser().parse_args(token_command[3:]).command == "token"
    assert "| tee -a \"$GITHUB_STEP_SUMMARY\"" in smoke_step["run"]
    assert smoke_step["shell"] == "bash", "bash -eo pipefail: the client's exit code is the step's"


@pytest.mark.parametrize("workflow", [path.name for path in WORKFLOWS])
def test_aws_access_is_oidc_only_and_the_pulumi_token_a_secret(workflow):
    document = load(workflow)
    text = (REPO_ROOT / ".github" / "workflows" / workflow).read_text()

    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for job in document["jobs"].values():
        for step in steps_using(job, "aws-actions/configure-aws-credentials"):
            assert set(step["with"]) == {"role-to-assume", "aws-region"}
        for step in steps_using(job, "pulumi/actions"):
            assert step["env"]["PULUMI_ACCESS_TOKEN"].startswith("${{ secrets.PULUMI_")


def test_previews_use_the_preview_token_and_only_deploys_the_deploy_token():
    preview_job = load("pull-request.yml")["jobs"]["preview"]
    deploy_jobs = [job for name, job in load("deploy.yml")["jobs"].items() if name.startswith("up-")]

    (preview,) = steps_using(preview_job, "pulumi/actions")
    assert preview["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN }}"
    assert preview_job["environment"] == "${{ matrix.stack }}-preview"
    for job in deploy_jobs:
        (up,) = steps_using(job, "pulumi/actions")
        assert up["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def all_steps(document: dict) -> list[dict]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("workflow", [path.name for path in WORKFLOWS])
def test_only_the_jobs_that_assume_a_role_get_an_oidc_token_and_only_the_preview_comments(workflow):
    document = load(workflow)

    assert document["permissions"] == {"contents": "read"}, "the workflow's default reaches every job"
    for name, job in document["jobs"].items():
        assumes_a_role = bool(steps_using(job, "aws-actions/configure-aws-credentials"))
        permissions = job.get("permissions", {})
        assert (permissions.get("id-token") == "write") == assumes_a_role, name
        comments_on_the_pull_request = (workflow, name) == ("pull-request.yml", "preview")
        assert ("pull-requests" in permissions) == comments_on_the_pull_request, name


#: A tag of another repository can be moved to any commit by whoever controls that repository.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


@pytest.mark.parametrize("workflow", [path.name for path in WORKFLOWS])
def test_every_action_of_another_repository_is_pinned_to_a_commit(workflow):
    document = load(workflow)
    text = (REPO_ROOT / ".github" / "workflows" / workflow).read_text()

    external = [step["uses"] for step in all_steps(document) if "uses" in step and not step["uses"].startswith("./")]
    assert external
    assert [uses for uses in external if not PINNED_ACTION.match(uses)] == []
    for uses in external:
        assert re.search(rf"uses: {re.escape(uses)} # v\d+\.\d+\.\d+$", text, re.M), f"{uses} names no version"
