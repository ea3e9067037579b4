"""The functions' code archive: handler sources plus the pinned packages, importable on their own."""

import importlib.metadata
import json
import subprocess
import sys

import pytest
from resource_types import FUNCTION

from benchmarks.lambda_package import HANDLER_MODULES, lambda_environment, runtime_packages, unpack
from components import lambda_archive

pytestmark = pytest.mark.unit


def test_every_function_ships_our_sources_and_the_pinned_packages(self_contained_stack):
    expected = set(lambda_archive.archive_files())

    for function in self_contained_stack.resources.of_type(FUNCTION):
        assert set(function.inputs["code"].assets) == expected, function.name
    ours = {
        path.relative_to(lambda_archive.REPO_ROOT).as_posix()
        for package in (lambda_archive.HANDLERS_DIR, lambda_archive.CONTRACTS_DIR)
        for path in package.rglob("*.py")
    }
    assert ours <= expected
    assert {"handlers/common/__init__.py", "contracts/uploads.py", "contracts/run_input.py"} <= expected
    assert {"aws_lambda_powertools/__init__.py", "aws_xray_sdk/core/__init__.py"} <= expected


def test_the_archive_holds_no_bytecode_and_no_compiled_extension():
    names = lambda_archive.archive_files()

    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".so", ".pyd"))]
    assert not [name for name in names if name.startswith("../")]


def test_bytecode_caches_of_our_sources_stay_out(tmp_path, monkeypatch):
    for name in ("handlers", "contracts"):
        package = tmp_path / name
        (package / "__pycache__").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "start.py").write_text("def handler(event, context):\n    return event\n")
        (package / "__pycache__" / "start.cpython-312.pyc").write_bytes(b"\x00")
    monkeypatch.setattr(lambda_archive, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(lambda_archive, "HANDLERS_DIR", tmp_path / "handlers")
    monkeypatch.setattr(lambda_archive, "CONTRACTS_DIR", tmp_path / "contracts")

    assert set(lambda_archive.handler_sources()) == {
        f"{name}/{module}.py" for name in ("handlers", "contracts") for module in ("__init__", "start")
    }


def test_every_pin_is_installed_at_its_version_and_in_the_constraints():
    pins = lambda_archive.pinned_requirements(lambda_archive.REQUIREMENTS_FILE.read_text())
    constraints = lambda_archive.pinned_requirements(
        "\n".join(
            line
            for line in (lambda_archive.REPO_ROOT / "constraints.txt").read_text().splitlines()
            if "==" in line
        )
    )

    assert "aws-lambda-powertools" in pins
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version
        assert constraints[name] == version


def test_a_version_other_than_the_pin_stops_the_program():
    installed = importlib.metadata.version("aws-lambda-powertools")

    with pytest.raises(lambda_archive.VendoredVersionMismatch, match=f"{installed} is installed"):
        lambda_archive.vendored_files("aws-lambda-powertools", "0.0.1")
    with pytest.raises(lambda_archive.VendoredVersionMismatch, match="not installed"):
        lambda_archive.vendored_files("no-such-distribution-here", "1.0")


def test_only_exact_pins_are_accepted():
    assert lambda_archive.pinned_requirements("# c\n\na==1.0\nb_c==2.0.1  # why\n") == {
        "a": "1.0",
        "b_c": "2.0.1",
    }
    with pytest.raises(ValueError, match="not an exact pin"):
        lambda_archive.pinned_requirements("a>=1.0\n")


IMPORT_EVERY_HANDLER = """
import importlib, json, sys
modules = [importlib.import_module("handlers." + name) for name in sys.argv[1].split(",")]
from handlers.common.observability import logger, tracer
logger.info("imported", extra={"modules": len(modules)})
vendored = ("handlers", "aws_lambda_powertools", "aws_xray_sdk", "wrapt", "jmespath", "typing_extensions")
print(json.dumps({name: sys.modules[name].__file__ for name in vendored}), file=sys.stderr)
print(json.dumps({"tracerDisabled": tracer.disabled}), file=sys.stderr)
"""


def test_every_handler_imports_from_the_unpacked_archive_with_only_the_runtime_beside_it(tmp_path):
    unpacked = unpack(lambda_archive.archive_files(), tmp_path / "task")
    environment = lambda_environment(unpacked, runtime_packages(tmp_path / "runtime"))

    completed = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-S", "-c", IMPORT_EVERY_HANDLER, ",".join(HANDLER_MODULES)],
        cwd=unpacked,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    locations, tracing = (json.loads(line) for line in completed.stderr.strip().splitlines()[-2:])
    assert all(location.startswith(str(unpacked)) for location in locations.values()), locations
    assert tracing == {"tracerDisabled": False}
    line = json.loads(completed.stdout.strip().splitlines()[-1])
    assert line["message"] == "imported" and line["modules"] == len(HANDLER_MODULES)
