"""The values alert rules look at: ``drift.*`` from a drift report, or any JSON of numbers.

A rule's path reads nested keys, so a values document is a JSON object such as::

    {"drift": {"share_drifted": 0.4, "dataset_drift": true,
               "features": {"age": {"p_value": 1e-9, "effect_size": 0.31, "drifted": true}}},
     "performance": {"f1": 0.71},
     "ops": {"p99_ms": 63.0}}

A drift report (``monitor/<run>.json`` in the store, :meth:`DriftReport.to_dict`) given as a
whole, or under ``drift``, is turned into the ``drift`` part by :func:`drift_values`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from boucle.errors import ConfigError

__all__ = ["drift_values", "load_values", "normalise_values"]


def drift_values(report: Mapping[str, Any]) -> dict[str, Any]:
    """The ``drift.*`` values of a drift report document.

    ``share_drifted``, ``dataset_drift``, ``n_drifted``, ``n_features``, ``multivariate.auc``
    / ``p_value`` / ``drifted`` and, per feature, ``features.<name>.p_value`` / ``q_value`` /
    ``effect_size`` / ``drifted``.
    """
    features = report.get("features") or []
    drifted = report.get("drifted_features") or [f["feature"] for f in features if f.get("drifted")]
    values: dict[str, Any] = {
        "share_drifted": report.get("share_drifted"),
        "dataset_drift": report.get("dataset_drift"),
        "n_drifted": len(drifted),
        "n_features": len(features),
        "features": {
            str(row["feature"]): {
                key: row.get(key) for key in ("p_value", "q_value", "effect_size", "drifted")
            }
            for row in features
            if "feature" in row
        },
    }
    multivariate = report.get("multivariate")
    if isinstance(multivariate, Mapping):
        values["multivariate"] = {k: multivariate.get(k) for k in ("auc", "p_value", "drifted")}
    return values


def _is_drift_report(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("features"), list) and "share_drifted" in document


def normalise_values(document: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a drift report (whole, or under ``drift``) into values; keep anything else."""
    if _is_drift_report(document):
        return {"drift": drift_values(document)}
    values = dict(document)
    drift = values.get("drift")
    if isinstance(drift, Mapping) and _is_drift_report(drift):
        values["drift"] = drift_values(drift)
    return values


def load_values(path: str | Path) -> dict[str, Any]:
    """Read a values JSON file (or a drift report) for the alert rules."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"values file '{file}' does not exist.",
            hint="Pass a JSON file of monitored values, e.g. monitor/<run>.json from the store.",
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"values file '{file}' is not readable JSON: {exc}.",
            hint='Write a JSON object such as {"drift": {"share_drifted": 0.4}}.',
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"values file '{file}' holds a JSON {type(document).__name__}, not an object.",
            hint='Write a JSON object such as {"performance": {"f1": 0.71}}.',
        )
    return normalise_values(document)
