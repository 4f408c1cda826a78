"""boucle: the whole ML lifecycle for tabular models as one closed, governed loop.

The public API is loaded lazily so that ``import boucle`` (and ``boucle --help``) stay fast::

    import boucle
    outcome = boucle.run("boucle.yaml")
    boucle.audit_verify("boucle.yaml").ok
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from boucle._lazy import lazy_attributes
from boucle._version import __version__

# boucle sends nothing anywhere: switch off the telemetry of the libraries we drive.
for _name, _value in (
    ("MLFLOW_DISABLE_TELEMETRY", "true"),
    ("DO_NOT_TRACK", "1"),
    ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false"),
):
    os.environ.setdefault(_name, _value)

if TYPE_CHECKING:
    from boucle.api import (
        ab_report,
        alerts_check,
        approve,
        audit_export,
        audit_log,
        audit_verify,
        classify,
        export,
        gate,
        monitor,
        monitor_log,
        profile,
        promote,
        reproduce,
        run,
        runs,
        show,
    )
    from boucle.config import BoucleConfig, load_config
    from boucle.errors import BoucleError
    from boucle.quickstart import create_quickstart

__all__ = [
    "BoucleConfig",
    "BoucleError",
    "__version__",
    "ab_report",
    "alerts_check",
    "approve",
    "audit_export",
    "audit_log",
    "audit_verify",
    "classify",
    "create_quickstart",
    "export",
    "gate",
    "load_config",
    "monitor",
    "monitor_log",
    "profile",
    "promote",
    "reproduce",
    "run",
    "runs",
    "show",
]

_LAZY = {
    "BoucleConfig": "boucle.config",
    "BoucleError": "boucle.errors",
    "ab_report": "boucle.api",
    "alerts_check": "boucle.api",
    "approve": "boucle.api",
    "audit_export": "boucle.api",
    "audit_log": "boucle.api",
    "audit_verify": "boucle.api",
    "classify": "boucle.api",
    "create_quickstart": "boucle.quickstart",
    "export": "boucle.api",
    "gate": "boucle.api",
    "load_config": "boucle.config",
    "monitor": "boucle.api",
    "monitor_log": "boucle.api",
    "profile": "boucle.api",
    "promote": "boucle.api",
    "reproduce": "boucle.api",
    "run": "boucle.api",
    "runs": "boucle.api",
    "show": "boucle.api",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
