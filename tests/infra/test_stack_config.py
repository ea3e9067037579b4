"""Config validation: every rule is checked without the Pulumi engine."""

import pytest

from components.config import ConfigError, JwtSettings, NetworkSettings
from components.config_loading import CONFIG_KEYS, collect_raw_config, load_settings, production_problems
from components.retry import RetryPolicy, retry_budget_seconds
from contracts.task_size import TaskSize

pytestmark = pytest.mark.unit

MINIMAL = {"region": "eu-west-2", "environment": "dev"}


def settings_with(**overrides):
    return load_settings({**MINIMAL, **overrides})


def test_defaults_of_a_minimal_stack():
    settings = load_settings(MINIMAL)

    assert (settings.task_cpu, settings.task_memory, settings.task_memory_max) == (1024, 2048, 2048)
    assert settings.maximum_task_size == settings.default_task_size == TaskSize(1024, 2048)
    assert settings.log_retention_days == 30
    assert (settings.upload_expiration_days, settings.results_noncurrent_version_days) == (90, 30)
    assert settings.alarm_email is None and settings.jwt is None and settings.network is None
    assert settings.jwt_issuer is None and settings.jwt_audience is None
    assert settings.subnet_ids is None and settings.security_group_ids is None
    assert settings.train_timeout_seconds == 3600
    # Today's capacity retries: 8, after 15, 30, 60 s and then 120 s each, at most 705 s in all.
    assert settings.capacity_wait_minutes == 11
    assert settings.capacity_retry == RetryPolicy(
        interval_seconds=15, backoff_rate=2.0, max_attempts=8, max_delay_seconds=120, full_jitter=True
    )
    assert settings.max_receive_count == 5
    assert settings.smoke_test_user is None
    assert settings.tags == {"project": "eeg-pipeline", "environment": "dev"}
    assert not settings.is_production
    assert settings.cors_allow_origins == ()
    assert settings.permissions_boundary_arn is None
    assert (settings.max_active_runs_per_user, settings.max_upload_requests_per_minute) == (10, 10)
    assert (settings.start_max_concurrency, settings.api_reserved_concurrency) == (5, None)


def test_hardening_settings_are_read_from_pulumi_config_text():
    boundary = "arn:aws:iam::123456789012:policy/eeg-pipeline-delivery/dev-pipeline-role-boundary"
    settings = settings_with(
        corsAllowOrigins='["https://eeg.example.org", "http://localhost:5173"]',
        permissionsBoundaryArn=boundary,
        maxActiveRunsPerUser="2",
        maxUploadRequestsPerMinute="30",
        startMaxConcurrency="10",
        apiReservedConcurrency="50",
    )

    assert settings.cors_allow_origins == ("https://eeg.example.org", "http://localhost:5173")
    assert settings.permissions_boundary_arn == boundary
    assert (settings.max_active_runs_per_user, settings.max_upload_requests_per_minute) == (2, 30)
    assert (settings.start_max_concurrency, settings.api_reserved_concurrency) == (10, 50)


def test_string_values_from_pulumi_config_are_parsed():
    settings = settings_with(
        taskCpu="2048",
        taskMemory="8192",
        tags='{"team": "neuro", "costCentre": 42}',
        subnetIds='["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]',
        securityGroupIds="sg-0123456789abcdef0",
        jwtIssuer="https://login.example.org/",
        jwtAudience="app-a, app-b",
        apiThrottlingRateLimit="12.5",
    )

    assert (settings.task_cpu, settings.task_memory) == (2048, 8192)
    assert settings.tags == {
        "team": "neuro",
        "costCentre": "42",
        "project": "eeg-pipeline",
        "environment": "dev",
    }
    assert settings.network == NetworkSettings(
        subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
        security_group_ids=("sg-0123456789abcdef0",),
    )
    assert settings.jwt == JwtSettings(issuer="https://login.example.org", audience=("app-a", "app-b"))
    assert (settings.jwt_issuer, settings.jwt_audience) == ("https://login.example.org", ("app-a", "app-b"))
    assert settings.subnet_ids == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert settings.security_group_ids == ("sg-0123456789abcdef0",)
    assert settings.api_throttling_rate_limit == 12.5


@pytest.mark.parametrize(
    ("minutes", "retries", "longest_wait_seconds"),
    [
        ("11", 8, 705),
        ("12", 9, 825),  # one more retry of 120 s: 705 s fall short of 12 minutes
        (60, 33, 3705),
        ("283", 144, 17025),
    ],
)
def test_the_capacity_wait_adds_retries_of_two_minutes_until_they_wait_that_long_in_all(
    minutes, retries, longest_wait_seconds
):
    settings = settings_with(capacityWaitMinutes=minutes)

    assert settings.capacity_wait_minutes == int(minutes)
    assert settings.capacity_retry == RetryPolicy(
        interval_seconds=15, backoff_rate=2.0, max_attempts=retries, max_delay_seconds=120, full_jitter=True
    )
    assert retry_budget_seconds(settings.capacity_retry) == longest_wait_seconds >= int(minutes) * 60


def test_default_memory_rises_to_the_smallest_valid_for_a_large_cpu():
    settings = settings_with(taskCpu=4096)
    assert settings.task_memory == settings.task_memory_max == 8192


@pytest.mark.parametrize(
    ("task", "memory_max", "maximum"),
    [
        ({}, "8192", TaskSize(1024, 8192)),
        ({}, 16384, TaskSize(2048, 16384)),
        ({"taskCpu": 256, "taskMemory": 512}, "1024", TaskSize(256, 1024)),
        ({"taskCpu": 2048, "taskMemory": 4096}, 30720, TaskSize(4096, 30720)),
    ],
)
def test_the_maximum_task_memory_gets_the_least_cpu_fargate_allows_for_it(task, memory_max, maximum):
    settings = settings_with(**task, taskMemoryMax=memory_max)

    assert settings.task_memory_max == maximum.memory_mib
    assert settings.maximum_task_size == maximum


def test_project_tags_win_over_user_tags():
    settings = settings_with(environment="staging", tags={"environment": "sandbox", "owner": "lab"})

    assert settings.tags == {"owner": "lab", "project": "eeg-pipeline", "environment": "staging"}


def test_a_smoke_test_user_is_read_with_the_stacks_own_pool():
    assert settings_with(smokeTestUser="smoke@example.org").smoke_test_user == "smoke@example.org"


def test_collect_raw_config_keeps_only_set_keys():
    stored = {"environment": "dev", "taskCpu": "512", "unrelated": "x"}

    raw = collect_raw_config(stored.get)

    assert raw == {"environment": "dev", "taskCpu": "512"}
    assert set(raw) <= set(CONFIG_KEYS)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"environment": "qa"}, r"unknown environment 'qa'; expected one of \['dev', 'staging', 'prod'\]"),
        ({"environment": None}, "environment is required"),
        ({"region": None}, "aws:region is required"),
        ({"region": "London"}, "is not an AWS region name"),
        ({"taskCpu": 300}, r"taskCpu 300 is not one of \[256, 512"),
        ({"taskCpu": 256, "taskMemory": 4096}, "taskMemory 4096 MiB is not valid for taskCpu 256"),
        ({"taskCpu": 4096, "taskMemory": 2048}, "taskMemory 2048 MiB is not valid for taskCpu 4096"),
        ({"taskMemory": "lots"}, "taskMemory must be an integer"),
        ({"taskMemoryMax": 1024}, "taskMemoryMax: the maximum task memory 1024 MiB is below the default task's 2048"),
        ({"taskMemoryMax": 31744}, "taskMemoryMax: no Fargate task .* has 31744 MiB .*30720 and 32768"),
        ({"taskMemoryMax": "lots"}, "taskMemoryMax must be an integer"),
        ({"logRetentionDays": 10}, r"logRetentionDays 10 is not one of \[1, 3, 5"),
        ({"uploadExpirationDays": 0}, r"uploadExpirationDays 0 is out of range"),
        ({"alarmEmail": "ops.example.org"}, "alarmEmail 'ops.example.org' is not a valid e-mail address"),
        ({"alarmEmail": "ops@localhost"}, "is not a valid e-mail address"),
        ({"jwtIssuer": "https://issuer.example.org"}, "jwtIssuer and jwtAudience must be set together"),
        ({"jwtAudience": "client"}, "jwtIssuer and jwtAudience must be set together"),
        ({"jwtIssuer": "http://issuer.example.org", "jwtAudience": "c"}, "must be an https:// URL"),
        ({"jwtIssuer": "https://issuer.example.org", "jwtAudience": "[]"}, "at least one audience"),
        ({"subnetIds": ["subnet-0123456789abcdef0"]}, "subnetIds and securityGroupIds must be set together"),
        (
            {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-0123456789abcdef0"]},
            "subnetIds: malformed id",
        ),
        ({"subnetIds": "subnet-0123456789abcdef0", "securityGroupIds": "[1]"}, "must be a list of non-empty"),
        ({"tags": "[1, 2]"}, "tags must be an object"),
        ({"tags": "{not json"}, "tags is not valid JSON"),
        ({"tags": {"aws:owner": "x"}}, "is not a valid tag key"),
        ({"tags": {"owner": "x" * 300}}, "must be a string of at most 256"),
        ({"trainTimeoutMinutes": True}, "trainTimeoutMinutes must be an integer"),
        ({"capacityWaitMinutes": "an hour"}, "capacityWaitMinutes must be an integer"),
        ({"capacityWaitMinutes": 10}, r"capacityWaitMinutes 10 is out of range \[11, None\]"),
        ({"apiThrottlingRateLimit": "fast"}, "apiThrottlingRateLimit must be a number"),
        ({"maxReceiveCount": 0}, "maxReceiveCount 0 is out of range"),
        ({"smokeTestUser": "smoke-test"}, "smokeTestUser 'smoke-test' is not a valid e-mail address"),
        (
            {
                "smokeTestUser": "smoke@example.org",
                "jwtIssuer": "https://issuer.example.org",
                "jwtAudience": "c",
            },
            "smokeTestUser creates a user in the stack's own Cognito pool, which a stack with jwtIssuer",
        ),
        ({"taskcpu": 1024}, r"unknown config key\(s\) \['taskcpu'\]"),
        ({"corsAllowOrigins": '["*"]'}, r"corsAllowOrigins: \['\*'\] are not origins"),
        ({"corsAllowOrigins": "https://eeg.example.org/app"}, "are not origins"),
        ({"corsAllowOrigins": "http://eeg.example.org"}, "http only for localhost"),
        ({"permissionsBoundaryArn": "dev-pipeline-role-boundary"}, "is not an IAM managed policy ARN"),
        ({"maxActiveRunsPerUser": 0}, "maxActiveRunsPerUser 0 is out of range"),
        ({"maxUploadRequestsPerMinute": "many"}, "maxUploadRequestsPerMinute must be an integer"),
        ({"startMaxConcurrency": 1}, r"startMaxConcurrency 1 is out of range \[2, 1000\]"),
        ({"apiReservedConcurrency": 0}, "apiReservedConcurrency 0 is out of range"),
        # a trailing line break (a YAML block scalar) is part of the value, not allowed by a pattern's "$"
        ({"region": "eu-west-1\n"}, "is not an AWS region name"),
        ({"alarmEmail": "ops@example.org\n"}, "is not a valid e-mail address"),
        ({"corsAllowOrigins": ["https://eeg.example.org\n"]}, "are not origins"),
        ({"jwtIssuer": "https://issuer.example.org\n", "jwtAudience": "c"}, "must be an https:// URL"),
        (
            {"subnetIds": ["subnet-0123456789abcdef0\n"], "securityGroupIds": ["sg-0123456789abcdef0"]},
            "subnetIds: malformed id",
        ),
    ],
)
def test_invalid_values_are_rejected_with_a_clear_message(overrides, message):
    raw = {key: value for key, value in {**MINIMAL, **overrides}.items() if value is not None}
    with pytest.raises(ConfigError, match=message):
        load_settings(raw)


SAFE_PRODUCTION = {
    **MINIMAL,
    "environment": "prod",
    "alarmEmail": "ops@example.org",
    "logRetentionDays": 365,
    "resultsNoncurrentVersionDays": 90,
}


def test_a_safe_production_stack_is_accepted():
    settings = load_settings(SAFE_PRODUCTION)

    assert settings.is_production
    assert production_problems(settings) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"alarmEmail": None}, "alarmEmail is required"),
        ({"logRetentionDays": 30}, r"logRetentionDays must be at least 90 \(got 30\)"),
        ({"resultsNoncurrentVersionDays": 7}, r"resultsNoncurrentVersionDays must be at least 30 \(got 7\)"),
    ],
)
def test_an_unsafe_production_stack_is_refused(overrides, message):
    raw = {key: value for key, value in {**SAFE_PRODUCTION, **overrides}.items() if value is not None}

    with pytest.raises(ConfigError, match=f"unsafe production stack: .*{message}"):
        load_settings(raw)


def test_the_same_settings_are_fine_outside_production():
    raw = {**SAFE_PRODUCTION, "environment": "staging", "logRetentionDays": 7}
    raw.pop("alarmEmail")

    assert load_settings(raw).environment == "staging"
