"""What the mocks and moto accept but AWS refuses at `pulumi up`."""

from __future__ import annotations

import pytest
from pulumi_mocks import new_mocks

from components.lambda_function import function_name

pytestmark = pytest.mark.unit

#: The longest stack name the program accepts: its longest function name,
#: ``processing-process-results-fn-{stack}``, then reaches Lambda's 64 characters.
LONGEST_STACK_NAME = "staging-eu-" + "x" * 23


@pytest.mark.parametrize(
    ("stack", "message"),
    [
        # Pulumi accepts periods in stack names; Lambda, CloudWatch dashboards and ECS task families do not.
        ("staging.eu", "may hold only letters, digits, hyphens and underscores"),
        (LONGEST_STACK_NAME + "x", "is longer than 64 characters"),
    ],
)
def test_a_stack_name_aws_would_refuse_in_a_function_name_stops_the_program(stack, message):
    new_mocks(stack=stack)

    with pytest.raises(ValueError, match=message):
        function_name("processing", "process-results-fn")
