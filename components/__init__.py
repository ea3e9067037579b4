"""The Pulumi components of the EEG pipeline and their argument classes.

Names are re-exported lazily (PEP 562): importing a pure module such as ``components.config``,
``components.asl`` or ``components.policies`` (as the handler tests and the sandbox do) must not
import the Pulumi SDK.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "PipelineStorage": "components.storage",
    "PipelineStorageArgs": "components.storage",
    "StorageLocations": "components.storage",
    "ClassifierCluster": "components.cluster",
    "ClassifierClusterArgs": "components.cluster",
    "ProcessingStateMachine": "components.state_machine",
    "ProcessingStateMachineArgs": "components.state_machine_args",
    "StatusApi": "components.status_api",
    "StatusApiArgs": "components.status_api_args",
    "ConfigError": "components.config",
    "StackSettings": "components.config",
    "load_settings": "components.config_loading",
    "collect_raw_config": "components.config_loading",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
