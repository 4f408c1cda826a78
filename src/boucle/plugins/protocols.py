"""The contracts plug-ins implement, one small protocol per kind.

=============  ======================  ===================================================
kind           entry-point group       protocol
=============  ======================  ===================================================
model          ``boucle.models``       :class:`ModelPlugin`: a scikit-learn estimator class
data check     ``boucle.checks``       :class:`DataCheck`: ``check(frame, context)``
drift test     ``boucle.drift``        :class:`DriftTest`: ``compare(reference, values)``
gate           ``boucle.gates``        :class:`boucle.registry.gates.Gate`
alert sink     ``boucle.alerts``       :class:`AlertSinkFactory` making an
                                       :class:`boucle.monitor.alerts.AlertSink`
=============  ======================  ===================================================

Every protocol has an executable check in :mod:`boucle.testing` (``check_model``,
``check_data_check``, ``check_drift_test``, ``check_gate``, ``check_alert_sink``), run by
boucle's own tests on every built-in implementation.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from boucle.data.validate.report import CheckResult
    from boucle.monitor.alerts.model import AlertSink
    from boucle.monitor.profile import CategoricalProfile, NumericProfile

__all__ = [
    "AlertSinkFactory",
    "CheckContext",
    "DataCheck",
    "DriftStatistic",
    "DriftTest",
    "FeatureKind",
    "ModelPlugin",
]

FeatureKind = Literal["numeric", "categorical"]
Severity = Literal["error", "warn", "off"]


@runtime_checkable
class ModelPlugin(Protocol):
    """A model plug-in: a scikit-learn estimator *class* (``boucle.models`` entry point).

    The class must be constructible with no arguments; ``get_params()`` of that default
    instance gives the default parameters, and ``train.params`` may set any of them.
    ``random_state`` and ``n_jobs``, when they are parameters, are set by boucle (the split
    seed, a fixed thread count). A classifier (``sklearn.base.is_classifier``) must handle
    binary and multiclass targets and have ``predict_proba``; a regressor predicts numbers.

    Two optional class members:

    - ``search_space(trial) -> dict``, a static or class method: one parameter set drawn
      from an Optuna ``trial`` (``trial.suggest_float(...)`` ...); its keys are parameters of
      the class and the default of each lies in its range (the defaults are tried first).
      Without it, ``train.search.trials`` is ignored and the defaults are fitted.
    - ``onnx_convertible: bool`` (default ``False``): ``True`` claims that skl2onnx converts
      the fitted estimator (a converter is registered), which export and serving need;
      :func:`boucle.testing.check_model` verifies the claim.
    """

    def fit(self, X: Any, y: Any) -> Any:
        """Fit on the preprocessed feature matrix (dense float64) and the encoded target."""
        ...

    def predict(self, X: Any) -> Any:
        """Predict class codes (classifier) or values (regressor)."""
        ...

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn convention)."""
        ...

    def set_params(self, **params: Any) -> Any:
        """Set constructor parameters (scikit-learn convention)."""
        ...


@dataclass(frozen=True)
class CheckContext:
    """What a data check knows besides the table: the task and its own configuration.

    ``severity`` is the one configured for this check (``error`` stops the run); every
    result the check returns carries it. ``options`` are the check's ``options:`` from
    ``data.checks.custom``.
    """

    target: str
    task: Literal["classification", "regression"]
    sensitive: tuple[str, ...] = ()
    severity: Severity = "error"
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class DataCheck(Protocol):
    """A data check run by the validate step (``boucle.checks`` entry point).

    ``check(frame, context)`` returns one :class:`~boucle.data.validate.CheckResult` or a
    sequence of them (one per column, say), each named ``name`` and carrying
    ``context.severity``. It must not modify ``frame`` and must not raise for bad data: a
    problem found is a failed result, with the numbers in ``message`` and ``details``.
    """

    name: str

    def check(
        self, frame: pd.DataFrame, context: CheckContext
    ) -> CheckResult | Sequence[CheckResult]:
        """Check ``frame`` (the whole snapshot, target included)."""
        ...


@dataclass(frozen=True)
class DriftStatistic:
    """What a drift test found on one feature: its statistic, and a p-value if it is a test.

    ``p_value`` (in [0, 1]) joins the feature's built-in p-values: the smallest of them,
    Bonferroni-adjusted, is the feature's p-value, and the false discovery rate is
    controlled across features. ``None``: a descriptive statistic, recorded only.
    """

    value: float
    p_value: float | None = None

    def __post_init__(self) -> None:
        p = self.p_value
        if p is not None and not (isinstance(p, float | int) and 0.0 <= p <= 1.0):
            raise ValueError(f"p_value must be a number in [0, 1] or None, got {p!r}")
        if not isinstance(self.value, float | int) or isinstance(self.value, bool):
            raise ValueError(f"value must be a number, got {self.value!r}")

    @property
    def finite(self) -> bool:
        """Whether ``value`` is a finite number."""
        return math.isfinite(float(self.value))


@runtime_checkable
class DriftTest(Protocol):
    """A drift statistic computed on one feature (``boucle.drift`` entry point).

    ``kinds`` says which features it applies to (``"numeric"``, ``"categorical"`` or both).
    ``compare(reference, values)`` gets the feature's reference profile (a
    :class:`~boucle.monitor.profile.NumericProfile`: quantile cut points, bin counts and
    means, moments; or a :class:`~boucle.monitor.profile.CategoricalProfile`: top-K category
    counts, the categories seen) and the current window's values of that feature: a float64
    array with NaN for missing (numeric), an object array of str with None for missing
    (categorical). It returns a :class:`DriftStatistic`; deterministic, no side effects.
    The built-in statistics (``ks``, ``wasserstein``, ``psi``, ``chi2``, ``js``,
    ``missing``, ``unseen``) satisfy it through thin adapters
    (:func:`boucle.plugins.drift_builtins.builtin_drift_tests`).
    """

    name: str
    kinds: Collection[str]

    def compare(
        self,
        reference: NumericProfile | CategoricalProfile,
        values: npt.NDArray[np.float64] | npt.NDArray[np.object_],
    ) -> DriftStatistic:
        """Compare the window's ``values`` with the ``reference`` profile of the feature."""
        ...


class AlertSinkFactory(Protocol):
    """An alert-sink plug-in (``boucle.alerts`` entry point): usually the sink class.

    ``alerts.sinks.<name>: {type: <plug-in>, options: {...}}`` calls
    ``factory(name, **options)``; the result is an
    :class:`~boucle.monitor.alerts.AlertSink` (``name`` and ``send(alert)``).
    """

    def __call__(self, name: str, **options: Any) -> AlertSink:
        """Create the sink called ``name``."""
        ...
