"""StatusApi: JWT authorizer on every route, stage throttling and access logs, Cognito only when needed."""

import json

import pytest
from access_checks import route_problems
from resource_types import AUTHORIZER, ROUTE, STAGE

from components.http_api import route_slug
from contracts.api import Route

pytestmark = pytest.mark.unit
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def test_the_four_routes_exist_and_each_requires_the_jwt_authorizer(self_contained_stack):
    stack = self_contained_stack.resources

    declared = sorted(route.inputs["routeKey"] for route in stack.of_type(ROUTE))
    assert declared == sorted(route.value for route in Route)
    assert route_problems(stack) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda inputs: inputs.update(authorizationType="NONE"),
        lambda inputs: inputs.pop("authorizerId"),
        lambda inputs: inputs.update(authorizerId="some-other-authorizer"),
    ],
)
def test_route_check_reports_an_unprotected_route(self_contained_stack, change):
    stack = self_contained_stack.resources.mutated(
        ROUTE, "api-route-get-sessions-sessionid-classifier", change
    )

    assert route_problems(stack) == [
        "route 'GET /sessions/{sessionId}/classifier' is not protected by the JWT authorizer"
    ]


def test_routes_proxy_to_the_api_function_with_payload_v2(self_contained_stack):
    stack = self_contained_stack.resources
    (integration,) = stack.of_type("aws:apigatewayv2/integration:Integration")
    function = stack.one("aws:lambda/function:Function", "api-api-fn")

    assert integration.inputs["integrationType"] == "AWS_PROXY"
    assert integration.inputs["payloadFormatVersion"] == "2.0"
    assert integration.inputs["integrationUri"] == function.outputs["invokeArn"]
    assert {route.inputs["target"] for route in stack.of_type(ROUTE)} == {
        f"integrations/{integration.resource_id}"
    }


def test_cognito_pool_and_client_are_created_without_an_external_issuer(self_contained_stack):
    stack = self_contained_stack.resources
    (pool,) = stack.of_type("aws:cognito/userPool:UserPool")
    client = stack.one(USER_POOL_CLIENT, "api-app-client")
    smoke_test_client = stack.one(USER_POOL_CLIENT, "api-smoke-test-client")
    (authorizer,) = stack.of_type(AUTHORIZER)
    exports = self_contained_stack.exports

    assert authorizer.inputs["identitySources"] == ["$request.header.Authorization"]
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": f"https://cognito-idp.eu-west-2.amazonaws.com/{pool.resource_id}",
        "audiences": [client.resource_id, smoke_test_client.resource_id],
    }
    assert client.inputs["explicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (exports["cognitoUserPoolId"], exports["cognitoUserPoolClientId"]) == (
        pool.resource_id,
        client.resource_id,
    )
    assert pool.inputs["usernameAttributes"] == ["email"]
    assert client.inputs["generateSecret"] is False


def test_the_smoke_test_user_signs_in_with_a_password_through_its_own_client(self_contained_stack):
    stack, exports = self_contained_stack.resources, self_contained_stack.exports
    (pool,) = stack.of_type("aws:cognito/userPool:UserPool")
    (user,) = stack.of_type("aws:cognito/user:User")
    smoke_test_client = stack.one(USER_POOL_CLIENT, "api-smoke-test-client")

    assert user.inputs["userPoolId"] == smoke_test_client.inputs["userPoolId"] == pool.resource_id
    assert user.inputs["username"] == exports["cognitoSmokeTestUser"] == "smoke-test@example.org"
    assert user.inputs["messageAction"] == "SUPPRESS"
    assert "password" not in user.inputs and "temporaryPassword" not in user.inputs, "set by an operator"
    assert smoke_test_client.inputs["explicitAuthFlows"] == [
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]
    assert smoke_test_client.inputs["generateSecret"] is False
    assert exports["cognitoSmokeTestClientId"] == smoke_test_client.resource_id


def test_the_smoke_test_user_has_nothing_a_researcher_has_not(self_contained_stack):
    stack = self_contained_stack.resources
    (user,) = stack.of_type("aws:cognito/user:User")

    assert set(user.inputs["attributes"]) == {"email", "email_verified"}
    assert stack.of_type("aws:cognito/userGroup:UserGroup") == []
    assert stack.of_type("aws:cognito/userInGroup:UserInGroup") == []
    assert [route.inputs.get("authorizationScopes") for route in stack.of_type(ROUTE)] == [None] * len(Route)


def test_cognito_password_policy_is_strong(self_contained_stack):
    (pool,) = self_contained_stack.resources.of_type("aws:cognito/userPool:UserPool")
    policy = pool.inputs["passwordPolicy"]

    assert policy["minimumLength"] >= 12
    assert all(
        policy[flag] for flag in ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols")
    )


def test_an_external_issuer_is_trusted_and_no_cognito_pool_is_created(external_stack):
    stack = external_stack.resources
    (authorizer,) = stack.of_type(AUTHORIZER)

    assert stack.of_type("aws:cognito/userPool:UserPool") == []
    assert stack.of_type(USER_POOL_CLIENT) == []
    assert stack.of_type("aws:cognito/user:User") == []
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": "https://login.example.org",
        "audiences": ["eeg-app"],
    }
    assert "cognitoUserPoolId" not in external_stack.exports
    assert route_problems(stack) == []


def test_default_stage_auto_deploys_with_throttling_from_config(self_contained_stack, external_stack):
    (stage,) = self_contained_stack.resources.of_type(STAGE)
    (prod_stage,) = external_stack.resources.of_type(STAGE)

    assert stage.inputs["name"] == "$default" and stage.inputs["autoDeploy"] is True
    assert stage.inputs["defaultRouteSettings"]["throttlingBurstLimit"] == 50
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] == 20
    assert prod_stage.inputs["defaultRouteSettings"]["throttlingBurstLimit"] == 50


def test_stage_writes_json_access_logs_to_a_log_group_with_retention(self_contained_stack):
    stack = self_contained_stack.resources
    (stage,) = stack.of_type(STAGE)
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs")
    settings = stage.inputs["accessLogSettings"]
    log_format = json.loads(settings["format"])

    assert settings["destinationArn"] == log_group.outputs["arn"]
    assert log_group.inputs["retentionInDays"] == 14
    assert {"requestId", "sub", "routeKey", "status", "latency"} <= set(log_format)
    assert log_format["sub"] == "$context.authorizer.claims.sub"


def test_only_this_api_may_invoke_the_function(self_contained_stack):
    stack = self_contained_stack.resources
    permission = stack.one("aws:lambda/permission:Permission", "api-api-invoke")
    (api,) = stack.of_type("aws:apigatewayv2/api:Api")

    assert permission.inputs["principal"] == "apigateway.amazonaws.com"
    assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/*"
    assert (
        permission.inputs["function"]
        == stack.one("aws:lambda/function:Function", "api-api-fn").outputs["name"]
    )


def test_api_is_http_and_allows_no_browser_origin_by_default(self_contained_stack):
    (api,) = self_contained_stack.resources.of_type("aws:apigatewayv2/api:Api")

    assert api.inputs["protocolType"] == "HTTP"
    assert "corsConfiguration" not in api.inputs


def test_api_allows_exactly_the_configured_origins_with_minimal_cors(external_stack):
    (api,) = external_stack.resources.of_type("aws:apigatewayv2/api:Api")
    cors = api.inputs["corsConfiguration"]

    assert cors["allowOrigins"] == ["https://eeg.example.org", "http://localhost:3000"]
    assert sorted(cors["allowMethods"]) == ["GET", "POST"]
    assert sorted(cors["allowHeaders"]) == ["authorization", "content-type"]


def test_api_function_concurrency_is_reserved_only_when_configured(self_contained_stack, external_stack):
    def reserved(stack):
        return stack.resources.one("aws:lambda/function:Function", "api-api-fn").inputs.get(
            "reservedConcurrentExecutions"
        )

    assert reserved(self_contained_stack) is None
    assert reserved(external_stack) == 25


def test_api_function_counts_upload_requests_against_the_configured_cap(self_contained_stack, external_stack):
    def variables(stack):
        function = stack.resources.one("aws:lambda/function:Function", "api-api-fn")
        return function.inputs["environment"]["variables"]

    limits_table = self_contained_stack.resources.one("aws:dynamodb/table:Table", "storage-limits")
    assert variables(self_contained_stack)["LIMITS_TABLE"] == limits_table.outputs["name"]
    assert variables(self_contained_stack)["MAX_UPLOAD_REQUESTS_PER_MINUTE"] == "10"
    assert variables(external_stack)["MAX_UPLOAD_REQUESTS_PER_MINUTE"] == "4"


def test_route_slug_is_kebab_case():
    assert route_slug("GET /sessions/{sessionId}/classifier") == "get-sessions-sessionid-classifier"
    assert route_slug("POST /sessions") == "post-sessions"
