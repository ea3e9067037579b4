"""Config values of the right type and form that AWS would still refuse at `pulumi up` (or every run's
RunTask would, or S3 a long run's result writes): each is refused when the config is loaded, with the key
and the limit in the message, and the largest value each limit admits is accepted."""

import pytest
from pulumi_mocks import run_main_program
from resource_types import FUNCTION

from components.config import ConfigError
from components.config_loading import load_settings
from contracts.run_access import MAX_RUN_ACCESS_SECONDS
from handlers.common.settings import PresignSettings

pytestmark = pytest.mark.unit

MINIMAL = {"region": "eu-west-2", "environment": "dev"}
ISSUER = {"jwtIssuer": "https://login.example.org"}
ONE_SUBNET = {"subnetIds": ["subnet-0123456789abcdef0"]}
ONE_GROUP = {"securityGroupIds": ["sg-0123456789abcdef0"]}


def user_tags(count: int) -> dict[str, str]:
    return {f"tag{index}": "x" for index in range(count)}


def subnets(count: int) -> list[str]:
    return [f"subnet-{index:017x}" for index in range(count)]


def security_groups(count: int) -> list[str]:
    return [f"sg-{index:017x}" for index in range(count)]


def smoke_test_user(length: int) -> str:
    domain = "@example.org"
    return "s" * (length - len(domain)) + domain


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"apiReservedConcurrency": 901},
            "apiReservedConcurrency 901 would leave fewer than 100 of the account's concurrent Lambda executions "
            "unreserved, which Lambda refuses: at most 900 with the default quota of 1000",
        ),
        ({"apiReservedConcurrency": "1000"}, "apiReservedConcurrency 1000 would leave fewer than 100"),
        ({"tags": user_tags(49)}, "tags: 51 tags with the stack's own 'project' and 'environment'; .* at most 50"),
        ({"tags": {"k" * 128: "x"}}, "is not a valid tag key \\(1-127 letters"),
        ({"tags": {"owner": "Jane <jane@example.org>"}}, "the value of 'owner' must be a string of at most 256"),
        ({"tags": {"costCentre": "neuro#7"}}, "the value of 'costCentre' must be"),
        ({"tags": {"team": "neuro, imaging"}}, "the value of 'team' must be"),
        ({"tags": {"source": "AWS:import"}}, "not starting 'aws:'"),
        ({"tags": {"Project": "neuro"}}, "tags: 'Project' and 'project' differ only in case, which IAM counts as one"),
        ({"tags": {"team": "a", "Team": "b"}}, "tags: 'team' and 'Team' differ only in case"),
        ({"subnetIds": subnets(17), **ONE_GROUP}, "subnetIds: 17 subnets; ECS runs a task in at most 16"),
        ({**ONE_SUBNET, "securityGroupIds": security_groups(6)}, "securityGroupIds: 6 security groups; .* at most 5"),
        (
            {**ISSUER, "jwtAudience": [f"app-{index}" for index in range(51)]},
            "jwtAudience: 51 audiences; an API Gateway JWT authorizer takes at most 50",
        ),
        ({"smokeTestUser": smoke_test_user(129)}, "smokeTestUser: 129 characters; a Cognito user name has at most 128"),
        (
            {"region": "eu-south-1", "apiThrottlingBurstLimit": 1251},
            r"apiThrottlingBurstLimit 1251 exceeds API Gateway's default account quota in eu-south-1 \(1250\)",
        ),
        (
            {"region": "ap-southeast-3", "apiThrottlingRateLimit": "2500.5"},
            r"apiThrottlingRateLimit 2500.5 exceeds API Gateway's default account quota in ap-southeast-3 \(2500\)",
        ),
        ({"apiThrottlingBurstLimit": 5001}, r"apiThrottlingBurstLimit 5001 exceeds .* in eu-west-2 \(5000\)"),
        ({"apiThrottlingRateLimit": 10001}, r"apiThrottlingRateLimit 10001 exceeds .* in eu-west-2 \(10000\)"),
        (
            {"trainTimeoutMinutes": 334},
            r"trainTimeoutMinutes 334 is over 333 with capacityWaitMinutes 11 \(capacity retries of up to 705 s\): "
            "a run's presigned URLs must last its capacity retries, its training and 15 minutes more, and are "
            "signed for at most 6 hours because they stop working when the signing Lambda's temporary "
            "credentials expire .* could not write its results$",
        ),
        ({"trainTimeoutMinutes": "1440"}, "trainTimeoutMinutes 1440 is over 333 with capacityWaitMinutes 11"),
        # The default training of an hour after the longest wait the URLs allow with it, and one minute more.
        (
            {"capacityWaitMinutes": 284},
            r"trainTimeoutMinutes 60 is over 59 with capacityWaitMinutes 284 \(capacity retries of up to 17145 s\): "
            "a run's presigned URLs must last .*; or lower capacityWaitMinutes to at most 283$",
        ),
        (
            {"capacityWaitMinutes": 60, "trainTimeoutMinutes": 284},
            "trainTimeoutMinutes 284 is over 283 with capacityWaitMinutes 60 .*; or lower capacityWaitMinutes to "
            "at most 59$",
        ),
        (
            {"capacityWaitMinutes": 340, "trainTimeoutMinutes": 5},
            r"capacityWaitMinutes 340 is over 339: a run's presigned URLs must last .*, even with the shortest "
            r"training \(trainTimeoutMinutes 5\)",
        ),
        ({"trainTimeoutMinutes": 4}, r"trainTimeoutMinutes 4 is out of range \[5, None\]"),
    ],
)
def test_a_value_aws_would_refuse_is_refused_when_the_config_is_loaded(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({**MINIMAL, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        {"apiReservedConcurrency": 900},
        {"tags": user_tags(48)},
        {"tags": {**user_tags(48), "environment": "replaced"}},
        {"tags": {"k" * 127: "v" * 256}},
        {"tags": {"owner": "Zoë Müller", "contact": "neuro-lab@example.org", "path": "a/b:c=d+e_f.g", "empty": ""}},
        {"subnetIds": subnets(16), "securityGroupIds": security_groups(5)},
        {**ISSUER, "jwtAudience": [f"app-{index}" for index in range(50)]},
        {"smokeTestUser": smoke_test_user(128)},
        {"region": "eu-south-1", "apiThrottlingBurstLimit": 1250, "apiThrottlingRateLimit": 2500},
        {"apiThrottlingBurstLimit": 5000, "apiThrottlingRateLimit": 10000},
        {"trainTimeoutMinutes": 333},
        {"trainTimeoutMinutes": 5},
        {"capacityWaitMinutes": 283},
        {"capacityWaitMinutes": 60, "trainTimeoutMinutes": 283},
        {"capacityWaitMinutes": 339, "trainTimeoutMinutes": 5},
    ],
)
def test_the_largest_value_each_limit_admits_is_accepted(overrides):
    load_settings({**MINIMAL, **overrides})


def test_the_stacks_reservations_together_leave_the_unreserved_100():
    """Lambda counts the reservations of every function in the account; the largest reservation the
    config accepts for the API function must leave 100 of the default 1,000 with all the stack's others."""
    stack = run_main_program(
        {"aws:region": "eu-west-2", "eeg-pipeline:environment": "dev", "eeg-pipeline:apiReservedConcurrency": "900"}
    )
    reservations = [
        function.inputs.get("reservedConcurrentExecutions") or 0 for function in stack.resources.of_type(FUNCTION)
    ]

    assert sum(reservations) == 900


@pytest.mark.parametrize(
    ("config", "run_access_seconds"),
    [
        ({"trainTimeoutMinutes": "333"}, 705 + 333 * 60 + 900),
        ({"capacityWaitMinutes": "283"}, 17025 + 60 * 60 + 900),
        ({"capacityWaitMinutes": "339", "trainTimeoutMinutes": "5"}, 20385 + 5 * 60 + 900),
    ],
)
def test_the_longest_run_the_config_accepts_deploys_urls_the_presign_function_signs(config, run_access_seconds):
    """The config's bound and PresignRun's guard are one limit: the longest capacity wait and training the
    config accepts give the presign function a RUN_ACCESS_SECONDS within MAX_RUN_ACCESS_SECONDS, which it accepts."""
    stack = run_main_program(
        {
            "aws:region": "eu-west-2",
            "eeg-pipeline:environment": "dev",
            **{f"eeg-pipeline:{key}": value for key, value in config.items()},
        }
    )
    (presign,) = [
        function
        for function in stack.resources.of_type(FUNCTION)
        if function.inputs["handler"] == "handlers.presign_run.handler"
    ]
    environment = presign.inputs["environment"]["variables"]

    assert int(environment["RUN_ACCESS_SECONDS"]) == run_access_seconds <= MAX_RUN_ACCESS_SECONDS
    assert PresignSettings.from_environ(environment).run_access_seconds == run_access_seconds
