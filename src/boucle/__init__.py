"""boucle: the whole ML lifecycle for tabular models as one closed, governed loop.

The public API is loaded lazily so that ``import boucle`` (and ``boucle --help``) stay fast::

    import boucle
    outcome = boucle.run("boucle.yaml")
    boucle.audit_verify("boucle.yaml").ok
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from boucle._version import __version__

# boucle sends nothing anywhere: switch off the telemetry of the libraries we drive.
for _name, _value in (
    ("MLFLOW_DISABLE_TELEMETRY", "true"),
    ("DO_NOT_TRACK", "1"),
    ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false"),
):
    os.environ.setdefault(_name, _value)

if TYPE_CHECKING:
    from boucle.api import audit_log, audit_verify, reproduce, run, runs, show
    from boucle.config import BoucleConfig, load_config
    from boucle.errors import BoucleError
    from boucle.quickstart import create_quickstart

__all__ = [
    "BoucleConfig",
    "BoucleError",
    "__version__",
    "audit_log",
    "audit_verify",
    "create_quickstart",
    "load_config",
    "reproduce",
    "run",
    "runs",
    "show",
]

_LAZY = {
    "BoucleConfig": "boucle.config",
    "BoucleError": "boucle.errors",
    "audit_log": "boucle.api",
    "audit_verify": "boucle.api",
    "create_quickstart": "boucle.quickstart",
    "load_config": "boucle.config",
    "reproduce": "boucle.api",
    "run": "boucle.api",
    "runs": "boucle.api",
    "show": "boucle.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'boucle' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
