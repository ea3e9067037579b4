"""StatusApi: the authenticated HTTP API through which users create uploads and read their sessions."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import policies
from components.http_api import create_http_api
from components.lambda_function import (
    LambdaFunctionSpec,
    create_errors_alarm,
    create_lambda_function,
    function_environment,
)
from components.status_api_args import StatusApiArgs
from components.user_pool import create_smoke_test_user, create_user_pool
from contracts.environment import FunctionVariable


class StatusApi(pulumi.ComponentResource):
    """HTTP API with a JWT authorizer on every route, the API function, access logs and throttling,
    plus a Cognito user pool and app client when no external issuer is configured."""

    api_url: pulumi.Output[str]
    api_id: pulumi.Output[str]
    issuer: pulumi.Output[str]
    audience: pulumi.Output[list[str]]
    user_pool_id: pulumi.Output[str] | None
    user_pool_client_id: pulumi.Output[str] | None
    smoke_test_client_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: StatusApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eegpipeline:api:StatusApi", name, None, opts)
        self.user_pool: aws.cognito.UserPool | None = None
        self.user_pool_client: aws.cognito.UserPoolClient | None = None
        self.smoke_test_client: aws.cognito.UserPoolClient | None = None
        if args.jwt_issuer is not None and args.jwt_audience is not None:
            self.issuer = pulumi.Output.from_input(args.jwt_issuer)
            self.audience = pulumi.Output.from_input(list(args.jwt_audience))
        else:
            self.user_pool, self.user_pool_client = create_user_pool(name, self)
            region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
            self.issuer = pulumi.Output.concat(
                "https://cognito-idp.", region, ".amazonaws.com/", self.user_pool.id
            )
            clients = [self.user_pool_client]
            if args.smoke_test_user is not None:
                self.smoke_test_client = create_smoke_test_user(
                    name, self.user_pool, args.smoke_test_user, self
                )
                clients.append(self.smoke_test_client)
            self.audience = pulumi.Output.all(*(client.id for client in clients))

        self.api_function = create_lambda_function(
            name,
            LambdaFunctionSpec(
                part="api-fn",
                module="api",
                memory_mb=256,
                timeout_seconds=15,
                environment=function_environment(
                    "api",
                    {
                        **args.storage.function_variables(),
                        FunctionVariable.MAX_UPLOAD_REQUESTS_PER_MINUTE: str(
                            args.max_upload_requests_per_minute
                        ),
                    },
                ),
                policy_builder=policies.api_function_policy,
                policy_inputs={
                    "status_table_arn": args.storage.status_table_arn,
                    "classifier_table_arn": args.storage.classifier_table_arn,
                    "upload_bucket_arn": args.storage.upload_bucket_arn,
                    "results_bucket_arn": args.storage.results_bucket_arn,
                    "limits_table_arn": args.storage.limits_table_arn,
                },
                reserved_concurrency=args.reserved_concurrency,
            ),
            parent=self,
            log_retention_days=args.log_retention_days,
            permissions_boundary_arn=args.permissions_boundary_arn,
        )
        create_errors_alarm(
            name,
            self.api_function.part,
            parent=self,
            function_name_output=self.api_function.function.name,
            topic_arn=args.alarm_topic_arn,
        )

        self.http_api = create_http_api(
            name,
            args,
            function=self.api_function.function,
            issuer=self.issuer,
            audience=self.audience,
            parent=self,
        )

        self.api_url = self.http_api.api.api_endpoint
        self.api_id = self.http_api.api.id
        self.user_pool_id = self.user_pool.id if self.user_pool is not None else None
        self.user_pool_client_id = self.user_pool_client.id if self.user_pool_client is not None else None
        self.smoke_test_client_id = self.smoke_test_client.id if self.smoke_test_client is not None else None
        self.smoke_test_user = args.smoke_test_user
        self.register_outputs(self.outputs)

    @property
    def outputs(self) -> dict[str, pulumi.Output[object]]:
        """The component's outputs, as registered (Cognito ids only when the pool was created)."""
        outputs: dict[str, pulumi.Output[object]] = {
            "apiUrl": self.api_url,
            "apiId": self.api_id,
            "issuer": self.issuer,
            "audience": self.audience,
        }
        if self.user_pool_id is not None and self.user_pool_client_id is not None:
            outputs["userPoolId"] = self.user_pool_id
            outputs["userPoolClientId"] = self.user_pool_client_id
        if self.smoke_test_client_id is not None:
            outputs["smokeTestClientId"] = self.smoke_test_client_id
            outputs["smokeTestUser"] = pulumi.Output.from_input(self.smoke_test_user)
        return outputs
