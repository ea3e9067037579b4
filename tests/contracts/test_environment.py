"""contracts.environment: which variables each function and the container read."""

import dataclasses

import pytest

from components.lambda_function import HANDLERS_DIR
from contracts.environment import (
    CONTAINER_REQUIRED,
    CONTAINER_RUN_FIELDS,
    FUNCTION_ENVIRONMENTS,
    ContainerVariable,
    FunctionVariable,
)
from contracts.run_input import RunInput

pytestmark = pytest.mark.unit

def test_every_handler_module_has_an_environment_and_every_environment_a_handler():
    handler_modules = {path.stem for path in HANDLERS_DIR.glob("*.py") if path.stem != "__init__"}
    assert set(FUNCTION_ENVIRONMENTS) == handler_modules


def test_a_function_gets_exactly_what_it_reads_out_of_what_is_available():
    available = {name: f"value-of-{name}" for name in FunctionVariable}
    picked = FUNCTION_ENVIRONMENTS["record_failure"].pick(available)
    assert picked == {
        "STATUS_TABLE": "value-of-STATUS_TABLE",
        "RESULTS_BUCKET": "value-of-RESULTS_BUCKET",
        "LOG_LEVEL": "value-of-LOG_LEVEL",
    }
    with pytest.raises(KeyError, match="start function needs STATE_MACHINE_ARN"):
        FUNCTION_ENVIRONMENTS["start"].pick({FunctionVariable.STATUS_TABLE: "t"})


def test_missing_names_required_variables_that_are_unset_or_blank():
    api = FUNCTION_ENVIRONMENTS["api"]
    assert api.missing({"STATUS_TABLE": "t", "CLASSIFIER_TABLE": " ", "LOG_LEVEL": "DEBUG"}) == [
        "CLASSIFIER_TABLE",
        "UPLOAD_BUCKET",
        "RESULTS_BUCKET",
        "LIMITS_TABLE",
        "MAX_UPLOAD_REQUESTS_PER_MINUTE",
    ]
    assert FUNCTION_ENVIRONMENTS["validate"].missing({}) == ["TASK_CPU", "TASK_MEMORY_MIB", "TASK_MEMORY_MAX_MIB"]


def test_the_container_takes_each_run_variable_from_a_run_input_field():
    run_fields = {field.name for field in dataclasses.fields(RunInput)}
    assert set(CONTAINER_RUN_FIELDS.values()) <= run_fields
    assert set(CONTAINER_REQUIRED) == {*CONTAINER_RUN_FIELDS, ContainerVariable.RUN_ACCESS}
    assert "RESULTS_BUCKET" not in set(ContainerVariable)
    assert ContainerVariable.PERMUTATIONS not in CONTAINER_REQUIRED
