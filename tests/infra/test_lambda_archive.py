"""The functions' code archive: handler sources plus the pinned packages, importable on their own."""

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from resource_checks import FUNCTION

from components import lambda_archive

pytestmark = pytest.mark.unit

HANDLER_MODULES = ("start", "validate", "process_results", "record_failure", "api")
# What the python3.12 Lambda runtime brings itself: boto3 and its dependencies.
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "python-dateutil", "six", "urllib3")


def test_every_function_ships_our_sources_and_the_pinned_packages(self_contained_stack):
    expected = set(lambda_archive.archive_files())

    for function in self_contained_stack.resources.of_type(FUNCTION):
        assert set(function.inputs["code"].assets) == expected, function.name
    ours = {
        path.relative_to(lambda_archive.REPOSITORY_DIR).as_posix()
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
    monkeypatch.setattr(lambda_archive, "REPOSITORY_DIR", tmp_path)
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
            for line in (lambda_archive.REPOSITORY_DIR / "constraints.txt").read_text().splitlines()
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
    assert lambda_archive.pinned_requirements("# c\n\na==1.0\nb_c==2.0.1  # why\n") == {"a": "1.0", "b_c": "2.0.1"}
    with pytest.raises(ValueError, match="not an exact pin"):
        lambda_archive.pinned_requirements("a>=1.0\n")


def _runtime_packages(into: Path) -> Path:
    """A folder holding only what the Lambda runtime provides (links to the installed boto3 & co.)."""
    into.mkdir()
    for name in RUNTIME_DISTRIBUTIONS:
        distribution = importlib.metadata.distribution(name)
        tops = {Path(str(file)).parts[0] for file in distribution.files if not str(file).startswith("..")}
        for top in tops - {f"{distribution.metadata['Name']}.dist-info"}:
            source = Path(str(distribution.locate_file(top)))
            if not (into / top).exists() and not top.endswith(".dist-info") and top != "__pycache__":
                (into / top).symlink_to(source)
    return into


IMPORT_EVERY_HANDLER = """
import importlib, json, sys
modules = [importlib.import_module("handlers." + name) for name in sys.argv[1].split(",")]
from handlers.common.observability import logger, tracer
logger.info("imported", extra={"modules": len(modules)})
print(json.dumps({
    name: sys.modules[name].__file__
    for name in ("aws_lambda_powertools", "aws_xray_sdk", "wrapt", "jmespath", "typing_extensions")
}), file=sys.stderr)
print(json.dumps({"tracerDisabled": tracer.disabled}), file=sys.stderr)
"""


def test_every_handler_imports_from_the_unpacked_archive_with_only_the_runtime_beside_it(tmp_path):
    unpacked = tmp_path / "task"
    for name, path in lambda_archive.archive_files().items():
        (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
        (unpacked / name).write_bytes(path.read_bytes())
    runtime = _runtime_packages(tmp_path / "runtime")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(unpacked), str(runtime)]),
        # As on Lambda: the tracer is on and patches botocore (through the vendored wrapt).
        "LAMBDA_TASK_ROOT": str(unpacked),
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "AWS_REGION": "eu-west-2",
    }

    completed = subprocess.run(
        [sys.executable, "-S", "-c", IMPORT_EVERY_HANDLER, ",".join(HANDLER_MODULES)],
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
