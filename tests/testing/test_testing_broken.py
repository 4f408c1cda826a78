"""Deliberately broken plug-ins: each check fails with a message saying what is wrong.

Every kind also gets one small working plug-in, which must pass: the suite accepts code
that is not boucle's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from boucle.data.validate import CheckResult
from boucle.errors import BoucleError
from boucle.monitor.alerts import Alert, AlertSinkError
from boucle.plugins.protocols import CheckContext, DriftStatistic
from boucle.registry.gates import GateCheck, GateContext
from boucle.testing import (
    ConformanceError,
    check_alert_sink,
    check_data_check,
    check_drift_test,
    check_gate,
    check_model,
)


def _fails(check: Any, plugin: object, aspect: str, fragment: str) -> ConformanceError:
    with pytest.raises(ConformanceError) as caught:
        check(plugin)
    error = caught.value
    assert isinstance(error, BoucleError) and isinstance(error, AssertionError)
    assert f"({aspect})" in error.check, error.check
    assert fragment in error.problem, error.problem
    assert error.plugin in str(error) and error.check in str(error)
    assert error.hint and "docs/plugins.md" in error.hint
    return error


# --- models ----------------------------------------------------------------------------


class GoodModel(ClassifierMixin, BaseEstimator):
    """A working model plug-in: a logistic regression behind the protocol."""

    def __init__(self, C: float = 1.0, random_state: int | None = None) -> None:
        self.C = C
        self.random_state = random_state

    @staticmethod
    def search_space(trial: Any) -> dict[str, Any]:
        return {"C": trial.suggest_float("C", 0.01, 100.0, log=True)}

    def fit(self, X: Any, y: Any) -> GoodModel:
        self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: Any) -> Any:
        return self.model_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model_.predict_proba(X)


class NoPredict:
    def fit(self, X: Any, y: Any) -> NoPredict:
        return self

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> NoPredict:
        return self


class NeedsArgument(GoodModel):
    def __init__(self, alpha: float) -> None:
        self.alpha = alpha


class NeitherKind(BaseEstimator):
    def fit(self, X: Any, y: Any) -> NeitherKind:
        return self

    def predict(self, X: Any) -> Any:
        return np.zeros(len(X))


class FitReturnsNone(GoodModel):
    def fit(self, X: Any, y: Any) -> Any:
        super().fit(X, y)
        return None


class ProbabilitiesDoNotSum(GoodModel):
    def predict_proba(self, X: Any) -> Any:
        return super().predict_proba(X) * 0.5


class Unseeded(GoodModel):
    def predict_proba(self, X: Any) -> Any:
        noise = np.random.default_rng().uniform(0, 0.01, size=len(X))
        proba = super().predict_proba(X)
        proba[:, 0] = np.clip(proba[:, 0] - noise, 0, 1)
        proba[:, 1:] = (1 - proba[:, [0]]) * proba[:, 1:] / proba[:, 1:].sum(axis=1, keepdims=True)
        return proba


class SearchesUnknown(GoodModel):
    @staticmethod
    def search_space(trial: Any) -> dict[str, Any]:
        return {"gamma": trial.suggest_float("gamma", 0.1, 1.0)}


class ClaimsOnnx(GoodModel):
    onnx_convertible = True  # no skl2onnx converter is registered for it


class ObjectParameter(GoodModel):
    def __init__(self, C: float = 1.0, scaler: Any = None) -> None:
        self.C = C
        self.scaler = object() if scaler is None else scaler


def test_a_working_model_plugin_passes() -> None:
    check_model(GoodModel)
    check_model(GoodModel(), name="good")


@pytest.mark.parametrize(
    ("plugin", "aspect", "fragment"),
    [
        (NoPredict, "estimator API", "lacks predict"),
        (NeedsArgument, "constructor", "every parameter needs a default"),
        (NeitherKind, "estimator type", "neither a classifier nor a regressor"),
        (FitReturnsNone, "fit", "fit() must return the estimator itself"),
        (ProbabilitiesDoNotSum, "predict_proba", "sum to 1"),
        (Unseeded, "deterministic", "two fits with the same seed predict differently"),
        (SearchesUnknown, "search_space", "gamma"),
        (ClaimsOnnx, "onnx_convertible", "onnx_convertible is true but"),
        (ObjectParameter, "get_params", "plain JSON values"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_broken_models_fail_with_the_reason(plugin: type, aspect: str, fragment: str) -> None:
    error = _fails(check_model, plugin, aspect, fragment)
    assert plugin.__name__ in error.plugin


# --- data checks -----------------------------------------------------------------------


class GoodCheck:
    """No number below zero: one result per numeric column."""

    name = "non_negative"

    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        results = []
        for column in frame.select_dtypes("number").columns:
            negative = int((frame[column] < 0).sum())
            results.append(
                CheckResult(self.name, str(column), context.severity, negative == 0,
                            f"{negative} negative values", {"negative": negative})
            )  # fmt: skip
        return results


class Unnamed:
    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        return []


class CrashesOnMissing(GoodCheck):
    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        if frame.isna().any().any() and len(frame) < 20:
            raise ValueError("cannot handle NaN")
        return super().check(frame, context)


class AlwaysError(GoodCheck):
    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        return [CheckResult(self.name, None, "error", True, "fine")]


class OverwritesColumn(GoodCheck):
    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        frame["x0"] = 0.0
        return super().check(frame, context)


class ReturnsDict(GoodCheck):
    def check(self, frame: pd.DataFrame, context: CheckContext) -> Any:
        return {"passed": True}


class Misnamed(GoodCheck):
    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        return [CheckResult("something_else", None, context.severity, True, "fine")]


class InventsColumn(GoodCheck):
    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        return [CheckResult(self.name, "ghost", context.severity, True, "fine")]


def test_a_working_data_check_passes() -> None:
    check_data_check(GoodCheck())


@pytest.mark.parametrize(
    ("plugin", "aspect", "fragment"),
    [
        (Unnamed(), "protocol", "is not a DataCheck"),
        (CrashesOnMissing(), "raises", "raised ValueError on a messy 14-row table"),
        (AlwaysError(), "severity", "use context.severity"),
        (OverwritesColumn(), "leaves the table", "changed the table"),
        (ReturnsDict(), "result type", "returned dict"),
        (Misnamed(), "result name", "'something_else'"),
        (InventsColumn(), "column", "'ghost' is not a column"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else None,
)
def test_broken_data_checks_fail_with_the_reason(
    plugin: object, aspect: str, fragment: str
) -> None:
    _fails(check_data_check, plugin, aspect, fragment)


# --- drift tests -----------------------------------------------------------------------


class GoodDrift:
    """Mean shift in reference standard deviations (descriptive: no p-value)."""

    name = "mean_shift"
    kinds = ("numeric",)

    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        present = values[~np.isnan(values)]
        if present.size == 0:
            return DriftStatistic(float("nan"))
        return DriftStatistic(float((present.mean() - reference.mean) / (reference.std or 1.0)))


class KindsAsText(GoodDrift):
    kinds = "numeric"  # type: ignore[assignment]


class ReturnsFloat(GoodDrift):
    def compare(self, reference: Any, values: Any) -> Any:
        return 0.5


class NeverReacts(GoodDrift):
    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        return DriftStatistic(0.0, 0.5)


class AlwaysDrifted(GoodDrift):
    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        return DriftStatistic(super().compare(reference, values).value, 1e-6)


class CrashesOnEmpty(GoodDrift):
    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        present = values[~np.isnan(values)]
        return DriftStatistic(float(present.max() - reference.high))


class SortsInPlace(GoodDrift):
    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        values.sort()
        return super().compare(reference, values)


class Noisy(GoodDrift):
    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        return DriftStatistic(float(np.random.default_rng().normal()))


def test_a_working_drift_test_passes() -> None:
    check_drift_test(GoodDrift())


@pytest.mark.parametrize(
    ("plugin", "aspect", "fragment"),
    [
        (KindsAsText(), "kinds", "non-empty collection"),
        (ReturnsFloat(), "result type", "returned float"),
        (NeverReacts(), "reacts to drift", "no shifted window changed the result"),
        (AlwaysDrifted(), "no drift", "identical data must not look drifted"),
        (CrashesOnEmpty(), "raises", "all-missing values"),
        (SortsInPlace(), "leaves the values", "changed the values array"),
        (Noisy(), "deterministic", "two comparisons of the same values differ"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else None,
)
def test_broken_drift_tests_fail_with_the_reason(
    plugin: object, aspect: str, fragment: str
) -> None:
    _fails(check_drift_test, plugin, aspect, fragment)


# --- gates -----------------------------------------------------------------------------


class GoodGate:
    """At least 100 rows to decide on."""

    name = "min_rows"

    def check(self, context: GateContext) -> GateCheck:
        rows = len(context.y)
        return GateCheck.outcome(self.name, rows >= 100, rows, 100, f"{rows} rows (need 100)")


class OtherName(GoodGate):
    def check(self, context: GateContext) -> GateCheck:
        return GateCheck.skipped("holdout_size", "named after another gate")


class Crashing(GoodGate):
    def check(self, context: GateContext) -> GateCheck:
        return GateCheck.outcome(self.name, True, 1 / 0, 0, "never")


class WritesLedger(GoodGate):
    def check(self, context: GateContext) -> GateCheck:
        context.ledger.append("gate_evaluated", {"by": "plugin"})
        return super().check(context)


class Coin(GoodGate):
    def check(self, context: GateContext) -> GateCheck:
        return GateCheck.outcome(
            self.name, True, float(np.random.default_rng().random()), 0, "coin"
        )


class ReturnsBool(GoodGate):
    def check(self, context: GateContext) -> Any:
        return True


class Contradicts(GoodGate):
    def check(self, context: GateContext) -> GateCheck:
        return GateCheck(self.name, False, 1, 2, "passed but failed", "passed")


def test_a_working_gate_passes() -> None:
    check_gate(GoodGate())


@pytest.mark.parametrize(
    ("plugin", "aspect", "fragment"),
    [
        (OtherName(), "result name", "its check is named 'holdout_size'"),
        (Crashing(), "raises", "check() raised ZeroDivisionError"),
        (WritesLedger(), "no side effects", "ledger event(s); the decision is recorded once"),
        (Coin(), "deterministic", "two checks of the same context differ"),
        (ReturnsBool(), "result type", "must return a GateCheck, returned bool"),
        (Contradicts(), "status", "contradicts status 'passed'"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else None,
)
def test_broken_gates_fail_with_the_reason(plugin: object, aspect: str, fragment: str) -> None:
    _fails(check_gate, plugin, aspect, fragment)


# --- alert sinks -----------------------------------------------------------------------


class GoodSink:
    def __init__(self, name: str = "collect") -> None:
        self.name = name
        self.alerts: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.alerts.append(alert)


class RaisesPlainError(GoodSink):
    def send(self, alert: Alert) -> None:
        raise RuntimeError("plug-in bug")


class ReturnsTrue(GoodSink):
    def send(self, alert: Alert) -> Any:
        return True


class TwoArguments(GoodSink):
    def send(self, alert: Alert, channel: str) -> None:  # type: ignore[override]
        return None


class Refusing(GoodSink):
    def send(self, alert: Alert) -> None:
        raise AlertSinkError("quota exhausted", transient=False)


def test_a_working_sink_passes_and_receives_two_alerts() -> None:
    sink = GoodSink()
    check_alert_sink(sink)
    assert [alert.rule for alert in sink.alerts] == ["conformance", "conformance"]
    check_alert_sink(Refusing(), expect_delivery=False)
    quiet = GoodSink()
    check_alert_sink(quiet, send=False)
    assert quiet.alerts == []


@pytest.mark.parametrize(
    ("plugin", "aspect", "fragment"),
    [
        (RaisesPlainError(), "failure", "raise AlertSinkError"),
        (ReturnsTrue(), "send result", "send() must return None, returned True"),
        (TwoArguments(), "send signature", "exactly one required argument"),
        (GoodSink("has space"), "name", "sink name 'has space'"),
        (Refusing(), "delivery", "attempt 1 failed: quota exhausted"),
        (object(), "protocol", "is not an AlertSink"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else None,
)
def test_broken_sinks_fail_with_the_reason(plugin: object, aspect: str, fragment: str) -> None:
    _fails(check_alert_sink, plugin, aspect, fragment)
