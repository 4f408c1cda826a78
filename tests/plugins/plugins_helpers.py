"""Helpers of the plug-in tests: real distributions (``*.dist-info`` + modules) in a folder.

``importlib.metadata`` finds a distribution through a ``NAME-VERSION.dist-info`` folder on
``sys.path``; putting one (with its ``entry_points.txt``) and the plug-in's module in a
folder, and that folder on ``sys.path`` or ``PYTHONPATH``, is what installing does, without
touching the shared environment.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BROKEN_ENTRY_POINTS", "BROKEN_PLUGINS", "DEMO_ENTRY_POINTS", "DEMO_PLUGINS",
           "write_distribution"]  # fmt: skip

EntryPoints = dict[str, dict[str, str]]


def write_distribution(
    folder: Path, name: str, version: str, entry_points: EntryPoints, modules: dict[str, str]
) -> Path:
    """Write distribution ``name`` (its metadata, entry points and modules) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, points in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{point} = {target}" for point, target in points.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    for module, source in modules.items():
        (folder / f"{module}.py").write_text(source)
    return folder


DEMO_ENTRY_POINTS: EntryPoints = {
    "boucle.models": {"demo_logistic": "demo_plugins:DemoLogistic"},
    "boucle.checks": {"no_negative": "demo_plugins:NoNegative"},
    "boucle.drift": {"mean_shift": "demo_plugins:MeanShift"},
    "boucle.gates": {"min_rows": "demo_plugins:MinRows"},
    "boucle.alerts": {"jsonl": "demo_plugins:JsonlSink"},
}

DEMO_PLUGINS = '''\
"""One working plug-in of each kind."""

import json
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from boucle.data.validate import CheckResult
from boucle.plugins.protocols import DriftStatistic
from boucle.registry.gates import GateCheck


class DemoLogistic(ClassifierMixin, BaseEstimator):
    """A logistic regression with its own search space and an ONNX converter."""

    onnx_convertible = True

    def __init__(self, C=1.0, max_iter=500, random_state=None):
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    @staticmethod
    def search_space(trial):
        return {"C": trial.suggest_float("C", 0.01, 100.0, log=True)}

    def fit(self, X, y):
        self.model_ = LogisticRegression(
            C=self.C, max_iter=self.max_iter, random_state=self.random_state
        ).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def _register_converter():
    from skl2onnx import update_registered_converter
    from skl2onnx.operator_converters.linear_classifier import (
        convert_sklearn_linear_classifier,
    )
    from skl2onnx.shape_calculators.linear_classifier import (
        calculate_linear_classifier_output_shapes,
    )

    def convert(scope, operator, container):
        operator.raw_operator = operator.raw_operator.model_
        convert_sklearn_linear_classifier(scope, operator, container)

    update_registered_converter(
        DemoLogistic, "DemoLogistic", calculate_linear_classifier_output_shapes, convert,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False],
                 "raw_scores": [True, False]},
    )


_register_converter()


class NoNegative:
    """No negative number in the numeric columns (or those of options.columns)."""

    name = "no_negative"

    def check(self, frame, context):
        wanted = context.options.get("columns")
        columns = wanted or [str(c) for c in frame.select_dtypes("number").columns]
        results = []
        for column in columns:
            negative = int((frame[column] < 0).sum())
            results.append(CheckResult(self.name, column, context.severity, negative == 0,
                                       f"{negative} negative values", {"negative": negative}))
        return results or [CheckResult(self.name, None, context.severity, True, "no numbers")]


class MeanShift:
    """How far the mean moved, in reference standard deviations (no p-value)."""

    name = "mean_shift"
    kinds = ("numeric",)

    def compare(self, reference, values):
        present = values[~np.isnan(values)]
        if present.size == 0:
            return DriftStatistic(float("nan"))
        return DriftStatistic(float((present.mean() - reference.mean) / (reference.std or 1.0)))


class MinRows:
    """The gate decides on at least 100 rows."""

    name = "min_rows"

    def check(self, context):
        rows = len(context.y)
        return GateCheck.outcome(self.name, rows >= 100, rows, 100, f"{rows} compared rows")


class JsonlSink:
    """Appends each alert as one JSON line to a file."""

    def __init__(self, name, path="alerts.jsonl"):
        self.name = name
        self.path = Path(path)

    def send(self, alert):
        with self.path.open("a") as out:
            out.write(json.dumps(alert.to_dict()) + "\\n")
'''

BROKEN_ENTRY_POINTS: EntryPoints = {
    "boucle.models": {"not_a_model": "broken_plugins:NotAModel"},
    "boucle.checks": {"crashy": "broken_plugins:Crashy"},
    "boucle.drift": {"wrong_attr": "broken_plugins:DoesNotExist"},
    "boucle.gates": {"ghost": "no_such_module_for_boucle:Gate"},
    "boucle.alerts": {"needs_url": "broken_plugins:NeedsUrl"},
}

BROKEN_PLUGINS = '''\
"""One broken plug-in of each kind."""


class NotAModel:
    def fit(self, X, y):
        return self

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


class Crashy:
    name = "crashy"

    def check(self, frame, context):
        raise KeyError("the column I expected")


class NeedsUrl:
    def __init__(self, name, url):
        self.name = name
        self.url = url

    def send(self, alert):
        return None
'''
