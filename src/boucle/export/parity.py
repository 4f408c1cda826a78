"""Parity of an exported model with the pipeline it came from, row by row.

A row is *over tolerance* when its largest probability difference (classifiers) exceeds the
tolerance, or, for regressors, when ``|onnx - native| > tolerance * max(1, |native|)`` (an
absolute bound near zero, a relative one for large values). The check passes when no row is
over tolerance; label agreement is reported beside it, since labels can only differ where
two classes are tied within the tolerance.

Default tolerances come from measurements (skl2onnx 1.20, onnxmltools 1.16, onnxruntime 1.32
CPU; default parameters, 80/20 split, every held-out row; classifiers: max |Δp|, regressors:
max relative difference as defined above):

=============== ============== ============== ============== ============== ========
family          Adult binary   German binary  multiclass     regression     default
=============== ============== ============== ============== ============== ========
linear          1.8e-7         1.2e-7         2.8e-7         8.8e-6         1e-4
random forest   6.6e-7         4.6e-7         6.6e-7         9.2e-7         1e-5
LightGBM        2.3e-7         1.5e-7         5.9e-7         1.1e-6         1e-5
XGBoost         4.3e-7         2.1e-7         7.5e-7         1.6e-6         1e-5
=============== ============== ============== ============== ============== ========

(multiclass: worst of Adult ``relationship`` and German ``purpose``; regression: worst of
Adult ``hours-per-week`` and German ``credit_amount``.) ONNX computes in float32, so these
are float32 rounding accumulated over many leaves or weights: 500 boosting rounds (the top of
the search space) give 4.3e-7 (LightGBM) and 6.0e-7 (XGBoost) on Adult, and two real-valued
features added to Adult (``fnlwgt / age``, ``log fnlwgt``) flipped no split on any of its
32,561 rows. The tree default, 1e-5, is 6 times the worst tree value (1.6e-6, XGBoost
regression) and 13 times the worst classifier one; a flipped split moves a prediction by the
difference of two sibling leaves, far more (LightGBM on Adult: 0.019 in margin at the 5th
percentile of sibling pairs, median 0.062, i.e. up to 5e-3 and 1.6e-2 in probability), so
it still fails. The linear default, 1e-4, is 11 times the worst linear value: a Ridge
prediction sums large standardised terms, whose float32 rounding (8.8e-6 on German
``credit_amount``) exceeds the tree default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.export.errors import ExportError
from boucle.export.runtime import (
    OnnxInput,
    open_session,
    read_input_schema,
    run_session,
    to_onnx_inputs,
)
from boucle.train.targets import TargetKind

__all__ = ["DEFAULT_TOLERANCES", "ParityReport", "check_parity", "default_tolerance"]

#: Default tolerance per model family (see the module docstring for the measurements).
DEFAULT_TOLERANCES: dict[str, float] = {"linear": 1e-4, "tree": 1e-5}
_LINEAR = frozenset({"LogisticRegression", "Ridge", "LinearRegression"})
_WORST = 5


@dataclass(frozen=True)
class ParityReport:
    """How far the ONNX model's outputs are from the native pipeline's on the same rows.

    ``max_abs_diff`` is over probabilities (classifiers) or predictions (regressors);
    ``max_rel_diff`` (regressors only) divides by ``max(1, |native|)``. ``label_agreement``
    (classifiers only) is the share of rows whose ONNX label equals the native one.
    ``worst_rows`` lists the rows with the largest differences, worst first.
    """

    estimator: str
    task_kind: TargetKind
    rows: int
    tolerance: float
    tolerance_source: str
    max_abs_diff: float
    max_rel_diff: float | None
    label_agreement: float | None
    rows_over_tolerance: int
    worst_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no row differs by more than the tolerance."""
        return self.rows_over_tolerance == 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-serialisable data."""
        return {
            "estimator": self.estimator,
            "task_kind": self.task_kind,
            "rows": self.rows,
            "tolerance": self.tolerance,
            "tolerance_source": self.tolerance_source,
            "max_abs_diff": self.max_abs_diff,
            "max_rel_diff": self.max_rel_diff,
            "label_agreement": self.label_agreement,
            "rows_over_tolerance": self.rows_over_tolerance,
            "passed": self.passed,
            "worst_rows": [dict(row) for row in self.worst_rows],
        }

    def raise_for_failure(self, model: str) -> None:
        """Raise :class:`ExportError` with the numbers and the fix when the check failed."""
        if self.passed:
            return
        worst = self.worst_rows[0] if self.worst_rows else {}
        labels = ""
        if self.label_agreement is not None:
            labels = f", labels agree on {100 * self.label_agreement:.2f} % of rows"
        raise ExportError(
            f"ONNX parity failed for model '{model}' ({self.estimator}): "
            f"{self.rows_over_tolerance} of {self.rows} rows differ by more than "
            f"{self.tolerance:g} (max abs diff {self.max_abs_diff:.3g} at row "
            f"{worst.get('row')!r}{labels}).",
            hint="If the difference is float32 rounding (below ~1e-5), pass a larger "
            "tolerance; if single rows jump, a numeric input lies within float32 rounding of a "
            "split threshold: round the numeric features to float32 before training "
            "(X.astype('float32')) and retrain.",
        )


def default_tolerance(estimator: Any) -> float:
    """The default parity tolerance of ``estimator``: linear models 1e-4, tree models 1e-5."""
    linear = type(estimator).__name__ in _LINEAR
    return DEFAULT_TOLERANCES["linear" if linear else "tree"]


def check_parity(
    pipeline: Any,
    onnx_bytes: bytes,
    X: pd.DataFrame,
    *,
    task_kind: TargetKind,
    tolerance: float | None = None,
    inputs: list[OnnxInput] | None = None,
) -> ParityReport:
    """Score ``X`` with the native pipeline and with onnxruntime (CPU), and compare.

    ``tolerance`` defaults to :func:`default_tolerance` of the pipeline's estimator;
    ``inputs`` to the schema stored in the ONNX file. The report is returned whether or not
    the check passed; :meth:`ParityReport.raise_for_failure` turns a failure into an error.
    """
    if len(X) == 0:
        raise ExportError(
            "The parity check got 0 rows.", hint="Pass the held-out rows of the split."
        )
    estimator = pipeline[-1]
    name = type(estimator).__name__
    source = "default" if tolerance is None else "given"
    tol = default_tolerance(estimator) if tolerance is None else float(tolerance)
    session = open_session(onnx_bytes, model=name)
    schema = read_input_schema(onnx_bytes) if inputs is None else inputs
    outputs = run_session(session, to_onnx_inputs(X, schema), model=name)
    agreement: float | None = None
    rel: npt.NDArray[np.float64] | None = None
    if task_kind == "regression":
        native = np.asarray(pipeline.predict(X), dtype=np.float64).ravel()
        onnx = outputs[0].astype(np.float64).ravel()
        diff = np.abs(onnx - native)
        rel = diff / np.maximum(1.0, np.abs(native))
        over = rel > tol
        shown_native, shown_onnx = native, onnx
    else:
        native = np.asarray(pipeline.predict_proba(X), dtype=np.float64)
        onnx = outputs[1].astype(np.float64).reshape(native.shape)
        diff = np.abs(onnx - native).max(axis=1)
        over = diff > tol
        labels = np.asarray(pipeline.predict(X)).ravel()
        agreement = float(np.mean(outputs[0].ravel() == labels))
        # Worst rows show the probability of the class the native model ranks first.
        top = native.argmax(axis=1)
        shown_native, shown_onnx = native.max(axis=1), onnx[np.arange(len(onnx)), top]
    order = np.argsort(-diff, kind="stable")[:_WORST]
    worst = [
        {
            "row": _json_label(X.index[i]),
            "abs_diff": float(diff[i]),
            "native": float(shown_native[i]),
            "onnx": float(shown_onnx[i]),
        }
        for i in order
    ]
    return ParityReport(
        estimator=name,
        task_kind=task_kind,
        rows=len(X),
        tolerance=tol,
        tolerance_source=source,
        max_abs_diff=float(diff.max()),
        max_rel_diff=None if rel is None else float(rel.max()),
        label_agreement=agreement,
        rows_over_tolerance=int(over.sum()),
        worst_rows=worst,
    )


def _json_label(label: Any) -> Any:
    """An index label as JSON data (numpy scalars become Python numbers)."""
    return label.item() if isinstance(label, np.generic) else label
