"""ClassifierCluster's image: the ECR repository and its lifecycle, the image build, its context and
its content-addressed, immutable tags."""

import json

import pytest

from components.cluster import build_context_tag, repository_lifecycle_policy
from components.lambda_archive import REPO_ROOT

pytestmark = pytest.mark.unit


def test_repository_scans_on_push_is_encrypted_and_has_a_lifecycle_policy(self_contained_stack):
    stack = self_contained_stack.resources
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")
    (lifecycle,) = stack.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")

    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"][0]["encryptionType"] in ("AES256", "KMS")
    assert lifecycle.inputs["repository"] == repository.outputs["name"]
    assert json.loads(lifecycle.inputs["policy"]) == repository_lifecycle_policy()


def test_repository_lifecycle_expires_untagged_images_and_keeps_the_last_twenty():
    rules = repository_lifecycle_policy()["rules"]

    assert [rule["selection"]["tagStatus"] for rule in rules] == ["untagged", "any"]
    assert rules[0]["selection"]["countNumber"] == 7 and rules[0]["selection"]["countUnit"] == "days"
    assert rules[1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
    assert {rule["action"]["type"] for rule in rules} == {"expire"}


def test_image_is_built_from_the_classifier_folder_into_the_repository(self_contained_stack):
    stack = self_contained_stack.resources
    (image,) = stack.of_type("awsx:ecr:Image")
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")

    assert image.inputs["context"] == "."
    assert image.inputs["dockerfile"] == "./classifier_image/Dockerfile"
    assert image.inputs["platform"] == "linux/amd64"
    assert image.inputs["repositoryUrl"] == repository.outputs["repositoryUrl"]


def _dockerfile_copies() -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context in the classifier's Dockerfile."""
    lines = (REPO_ROOT / "classifier_image" / "Dockerfile").read_text().splitlines()
    return [
        (parts[1], parts[2])
        for parts in (line.split() for line in lines)
        if parts and parts[0] == "COPY" and not parts[1].startswith("--from")
    ]


def test_the_image_holds_the_contracts_package_beside_fbcsp():
    copies = _dockerfile_copies()

    assert ("contracts", "/app/contracts") in copies
    assert ("classifier_image/fbcsp", "/app/fbcsp") in copies


def test_the_build_context_lets_in_only_what_the_dockerfile_copies():
    patterns = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in patterns if line.startswith("!")}

    assert "*" in patterns
    assert allowed == {source for source, _ in _dockerfile_copies()}


def test_image_tags_are_immutable_and_each_build_is_tagged_by_its_content(self_contained_stack, tmp_path):
    stack = self_contained_stack.resources
    repository = stack.one("aws:ecr/repository:Repository", "classifier-repository")
    (image,) = stack.of_type("awsx:ecr:Image")

    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    dockerfile = REPO_ROOT / "classifier_image" / "Dockerfile"
    assert image.inputs["imageTag"] == build_context_tag(REPO_ROOT, dockerfile)
    (tmp_path / ".dockerignore").write_text("*\n!fbcsp/\n**/__pycache__\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "fbcsp").mkdir()
    (tmp_path / "fbcsp" / "training.py").write_text("A = 1\n")
    first = build_context_tag(tmp_path)
    # What the build does not send changes nothing: ignored files, bytecode caches.
    (tmp_path / "notes.txt").write_text("not in the image")
    (tmp_path / "fbcsp" / "__pycache__").mkdir()
    (tmp_path / "fbcsp" / "__pycache__" / "training.cpython-311.pyc").write_bytes(b"cache")
    assert build_context_tag(tmp_path) == first
    # What it sends does: the code, and the Dockerfile.
    (tmp_path / "fbcsp" / "training.py").write_text("A = 2\n")
    second = build_context_tag(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12.7-slim\n")
    assert len({first, second, build_context_tag(tmp_path)}) == 3
    assert first.startswith("src-") and len(first) == 20
