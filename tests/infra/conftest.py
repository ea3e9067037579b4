"""Fixtures of the infrastructure tests: fresh Pulumi mocks, and whole-program runs shared per session."""

from collections.abc import Callable, Iterator

import pytest
from pulumi_mocks import PERMISSIONS_BOUNDARY_ARN, BuiltStack, PipelineMocks, new_mocks, run_main_program

# A stack that creates everything itself: Cognito pool (with a smoke-test user), private VPC, no e-mail
# subscription.
SELF_CONTAINED_CONFIG = {
    "aws:region": "eu-west-2",
    "eeg-pipeline:environment": "dev",
    "eeg-pipeline:tags": '{"owner": "eeg-research"}',
    "eeg-pipeline:taskCpu": "2048",
    "eeg-pipeline:taskMemory": "8192",
    "eeg-pipeline:taskMemoryMax": "16384",
    "eeg-pipeline:logRetentionDays": "14",
    "eeg-pipeline:uploadExpirationDays": "30",
    "eeg-pipeline:resultsNoncurrentVersionDays": "7",
    "eeg-pipeline:smokeTestUser": "smoke-test@example.org",
    "eeg-pipeline:permissionsBoundaryArn": PERMISSIONS_BOUNDARY_ARN,
}

# A production stack wired to an external issuer, existing subnets and an alarm address.
EXTERNAL_CONFIG = {
    "aws:region": "eu-west-2",
    "eeg-pipeline:environment": "prod",
    "eeg-pipeline:jwtIssuer": "https://login.example.org",
    "eeg-pipeline:jwtAudience": '["eeg-app"]',
    "eeg-pipeline:subnetIds": '["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]',
    "eeg-pipeline:securityGroupIds": '["sg-0123456789abcdef0"]',
    "eeg-pipeline:alarmEmail": "alerts@example.org",
    "eeg-pipeline:logRetentionDays": "365",
    "eeg-pipeline:corsAllowOrigins": '["https://eeg.example.org", "http://localhost:3000"]',
    "eeg-pipeline:permissionsBoundaryArn": PERMISSIONS_BOUNDARY_ARN,
    "eeg-pipeline:startMaxConcurrency": "8",
    "eeg-pipeline:apiReservedConcurrency": "25",
    "eeg-pipeline:maxUploadRequestsPerMinute": "4",
}


@pytest.fixture
def pulumi_mocks() -> Iterator[PipelineMocks]:
    """Fresh mocks for a test that builds components itself."""
    yield new_mocks()


@pytest.fixture(scope="session")
def self_contained_stack() -> BuiltStack:
    return run_main_program(SELF_CONTAINED_CONFIG)


@pytest.fixture(scope="session")
def external_stack() -> BuiltStack:
    return run_main_program(EXTERNAL_CONFIG)


@pytest.fixture(scope="session")
def build_self_contained_stack() -> Callable[[str], BuiltStack]:
    """Builds the self-contained stack, on fresh mocks, under a given stack name."""
    return lambda stack: run_main_program(SELF_CONTAINED_CONFIG, mocks=new_mocks(stack=stack))


@pytest.fixture(scope="session")
def build_both_stacks() -> Callable[[str], list[BuiltStack]]:
    """Builds the self-contained and the external stack, on fresh mocks, under a given stack name."""

    def build(stack: str) -> list[BuiltStack]:
        configs = (SELF_CONTAINED_CONFIG, EXTERNAL_CONFIG)
        return [run_main_program(config, mocks=new_mocks(stack=stack)) for config in configs]

    return build
