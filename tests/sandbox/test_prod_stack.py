"""``--stack prod``: the production stack file's settings deploy and process an upload too.

The prod stack runs its task in the institution's existing subnets, which the emulator stands in
for; it creates no VPC and no user pool (an external OIDC issuer).
"""

from __future__ import annotations

import pytest
from sandbox_support import FAST_TRAINING, set_pipeline_environment, small_recording

from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e


def test_the_prod_stack_deploys_and_trains_a_classifier(tmp_path, monkeypatch):
    lines: list[str] = []
    with LocalPipeline(
        work_dir=tmp_path, stack="prod", progress=lines.append, container_environment=FAST_TRAINING
    ) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        pipeline.upload(small_recording(tmp_path / "first-run.zip"), user_id="frank", session_id="prod-1")
        item = pipeline.wait_for([("frank", "prod-1")], timeout_seconds=300)[("frank", "prod-1")].item
        declared = {resource.type_token for resource in pipeline.deployed.resources}

    assert item["status"] == "SUCCEEDED", item
    assert pipeline.deployed.exports["jwtIssuer"] == "https://login.example.org/realms/research"
    assert "aws:ec2/vpc:Vpc" not in declared and "aws:cognito/userPool:UserPool" not in declared
    assert any("stand in as subnet-" in line for line in lines)
