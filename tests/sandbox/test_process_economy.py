"""What the sandbox does to its own process for speed: one botocore loader, a frozen long-lived heap."""

from __future__ import annotations

import gc

import botocore.session
import pytest

import sandbox  # noqa: F401 - importing the package makes the sessions share their loader
from sandbox.heap import built_without_collection

pytestmark = pytest.mark.unit


def test_sessions_share_one_loader_so_each_model_file_is_read_once():
    first, second = botocore.session.get_session(), botocore.session.get_session()
    assert first is not second
    assert second.get_component("data_loader") is first.get_component("data_loader")
    assert second.get_service_model("dynamodb").metadata == first.get_service_model("dynamodb").metadata


def test_a_session_with_another_data_path_keeps_a_loader_of_its_own(tmp_path):
    usual = botocore.session.get_session()
    elsewhere = botocore.session.get_session()
    elsewhere.set_config_variable("data_path", str(tmp_path))
    assert elsewhere.get_component("data_loader") is not usual.get_component("data_loader")
    assert str(tmp_path) in elsewhere.get_component("data_loader").search_paths


def test_what_is_built_without_collection_ends_up_frozen_and_collection_resumes():
    gc.unfreeze()
    try:
        with built_without_collection():
            assert not gc.isenabled()
            built = [[] for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(built)
    finally:
        gc.unfreeze()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with built_without_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
