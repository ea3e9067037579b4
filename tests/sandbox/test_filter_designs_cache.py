"""The sandbox's local containers get the stored filter designs the image has: made once per
machine, reused, and named after the code and SciPy version that made them."""

from __future__ import annotations

import subprocess

import pytest

from contracts.environment import ContainerVariable
from fbcsp.filter_designs import stored_designs
from sandbox import filter_designs_cache
from sandbox.filter_designs_cache import designs_environment, designs_file_name


def test_the_designs_are_made_once_and_fbcsp_accepts_them(tmp_path, monkeypatch):
    environment = designs_environment(tmp_path)
    path = environment[ContainerVariable.FILTER_DESIGNS]

    assert stored_designs(path)["160.0"].keys() == {"3", "4", "5", "6"}
    assert [file.name for file in tmp_path.iterdir()] == [designs_file_name()]

    def must_not_run(*args, **kwargs):
        raise AssertionError("the designs were made again")

    monkeypatch.setattr(filter_designs_cache.subprocess, "run", must_not_run)
    assert designs_environment(tmp_path) == environment


@pytest.mark.parametrize("change", ["scipy", "code"])
def test_another_scipy_or_design_code_names_another_file(change, tmp_path, monkeypatch):
    before = designs_file_name()
    if change == "scipy":
        monkeypatch.setattr(filter_designs_cache.metadata, "version", lambda name: "0.0.1")
    else:
        source = tmp_path / "filterbank.py"
        source.write_text("# another design rule\n")
        monkeypatch.setattr(filter_designs_cache, "DESIGN_SOURCES", (source,))

    assert designs_file_name() != before


def test_a_cache_folder_that_cannot_be_made_gives_no_designs(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    assert designs_environment(blocker / "cache") == {}


def test_a_failed_making_leaves_no_partial_file(tmp_path, monkeypatch):
    def fails_half_way(command, **kwargs):
        with open(command[-1], "w") as partial:
            partial.write("{")
        raise subprocess.CalledProcessError(1, command)

    monkeypatch.setattr(filter_designs_cache.subprocess, "run", fails_half_way)

    assert designs_environment(tmp_path) == {}
    assert list(tmp_path.iterdir()) == []
