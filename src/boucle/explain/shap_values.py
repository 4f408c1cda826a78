"""SHAP values of a fitted pipeline, on the preprocessed features, summed back to table columns.

The explainer follows the estimator: ``TreeExplainer`` for forests and boosted trees (exact,
fast), ``LinearExplainer`` for the linear model, a sampled ``KernelExplainer`` for anything
else. Each explains one output per row:

- binary classification: the positive class, in the estimator's own space (log-odds for the
  boosted trees and the linear model, probability for the random forest);
- multiclass: the class the model predicts for that row;
- regression: the predicted value.

Additivity holds per row: ``base_values + values.sum(axis=1)`` is that output.

Exact TreeSHAP costs about ``leaves x depth²`` per tree and row: a fully grown random forest
on 30k rows (200 trees, ~5,000 leaves, depth ~57) takes seconds per row. Above
:data:`TREE_BUDGET` for the requested rows the tree explainer switches to Saabas
attributions (``approximate=True``: additive too, one pass down each tree), and the result
says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError
from boucle.explain.features import group_matrix, original_columns, split_pipeline

__all__ = [
    "TREE_BUDGET",
    "Method",
    "ShapResult",
    "choose_method",
    "compute_shap",
    "output_label",
    "tree_cost",
]

Method = Literal["tree", "linear", "kernel"]
Kind = Literal["binary", "multiclass", "regression"]

_TREE_PREFIXES = ("RandomForest", "ExtraTrees", "LGBM", "XGB", "GradientBoosting", "Decision")
_LINEAR_NAMES = frozenset({"LogisticRegression", "Ridge", "LinearRegression", "Lasso"})

#: Largest exact TreeSHAP cost (sum over trees of leaves x depth², times rows) we pay;
#: about 20 s on one core. Boosted trees (≤ 128 leaves) stay far below it.
TREE_BUDGET = 2e10


@dataclass(frozen=True)
class ShapResult:
    """SHAP values of ``rows`` per table column, for the output explained in each row.

    ``values[i, j]`` is the contribution of ``columns[j]`` to row ``i``; ``explained_class``
    holds the class code explained per row (``None`` for regression).
    """

    method: Method
    columns: list[str]
    values: npt.NDArray[np.float64]
    base_values: npt.NDArray[np.float64]
    explained_class: npt.NDArray[np.int64] | None
    output: str
    rows: pd.DataFrame
    approximate: bool = False

    def importance(self) -> list[tuple[str, float]]:
        """Mean absolute SHAP value per column, largest first (ties by name)."""
        means = np.abs(self.values).mean(axis=0) if len(self.values) else np.zeros(0)
        pairs = [(c, float(m)) for c, m in zip(self.columns, means, strict=True)]
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def choose_method(estimator: Any, requested: str = "auto") -> Method:
    """The explainer for ``estimator``: ``requested`` unless ``auto``, then by model family."""
    if requested in ("tree", "linear", "kernel"):
        return requested  # type: ignore[return-value]
    name = type(estimator).__name__
    if name.startswith(_TREE_PREFIXES):
        return "tree"
    if name in _LINEAR_NAMES:
        return "linear"
    return "kernel"


def output_label(estimator: Any, method: Method, kind: Kind) -> str:
    """What the SHAP values add up to, in words (for the report)."""
    if kind == "regression":
        return "predicted value"
    name = type(estimator).__name__
    margin = method == "linear" or (method == "tree" and not name.startswith("RandomForest"))
    what = "log-odds" if margin else "probability"
    target = "the positive class" if kind == "binary" else "the predicted class"
    return f"{what} of {target}"


def compute_shap(
    pipeline: Any,
    rows: pd.DataFrame,
    *,
    kind: Kind,
    method: str = "auto",
    background: pd.DataFrame | None = None,
    kernel_samples: int = 200,
    seed: int = 0,
) -> ShapResult:
    """SHAP values of ``rows`` (raw table rows) for a fitted ``[features →] preprocess → model``.

    ``background`` (raw training rows) is required by the linear and kernel explainers; the
    tree explainer uses the trees' own cover statistics. With feature functions, the values
    are per model input (engineered columns included) and ``rows`` of the result holds the
    rows as the model received them. Raises :class:`DataError` when the explainer cannot run
    on this model (the message names the estimator and the method).
    """
    from boucle.train.pipeline import split_feature_functions

    if background is not None:
        background = split_feature_functions(pipeline, background)[1]
    pipeline, rows = split_feature_functions(pipeline, rows)
    preprocess, estimator = split_pipeline(pipeline)
    chosen = choose_method(estimator, method)
    owners = original_columns(preprocess)
    columns, matrix = group_matrix(owners)
    encoded = _dense(preprocess.transform(rows))
    approximate = chosen == "tree" and tree_cost(estimator) * len(encoded) > TREE_BUDGET
    if chosen != "tree" and (background is None or background.empty):
        raise DataError(
            f"the {chosen} explainer needs background rows (the training data).",
            hint="Pass background= (a sample of the training rows).",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw, base = _explain(
                chosen,
                estimator,
                encoded,
                _reference(preprocess, background),
                kind=kind,
                seed=seed,
                kernel_samples=kernel_samples,
                approximate=approximate,
            )
    except (ValueError, TypeError, RuntimeError, IndexError) as exc:
        raise DataError(
            f"SHAP ({chosen} explainer) failed on {type(estimator).__name__}: "
            f"{type(exc).__name__}: {exc}",
            hint="Set explain.method to another explainer (kernel works on any model), "
            "or explain.enabled: false.",
        ) from exc
    values, base_values, explained = _select_output(raw, base, estimator, encoded, kind)
    return ShapResult(
        method=chosen,
        columns=columns,
        values=values @ matrix,
        base_values=base_values,
        explained_class=explained,
        output=output_label(estimator, chosen, kind),
        rows=rows.reset_index(drop=True),
        approximate=approximate,
    )


def tree_cost(estimator: Any) -> float:
    """Exact TreeSHAP cost of one row: sum over trees of leaves x depth² (0 if unknown).

    Only scikit-learn forests expose their trees cheaply; boosted trees are bounded by their
    ``num_leaves`` / ``max_depth`` and are always cheap enough.
    """
    trees = getattr(estimator, "estimators_", None)
    if not isinstance(trees, list):
        return 0.0
    return float(
        sum(t.tree_.n_leaves * max(t.tree_.max_depth, 1) ** 2 for t in trees if hasattr(t, "tree_"))
    )


def _dense(matrix: Any) -> npt.NDArray[np.float64]:
    array = matrix.toarray() if hasattr(matrix, "toarray") else matrix
    return np.asarray(array, dtype=np.float64)


def _explain(
    method: Method,
    estimator: Any,
    encoded: npt.NDArray[np.float64],
    reference: npt.NDArray[np.float64] | None,
    *,
    kind: Kind,
    seed: int,
    kernel_samples: int,
    approximate: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Raw SHAP values (rows, encoded[, outputs]) and base values (rows[, outputs])."""
    import shap

    if method == "tree":
        explainer = shap.TreeExplainer(estimator)
        if approximate:
            values = np.asarray(explainer.shap_values(encoded, approximate=True))
            expected = np.asarray(explainer.expected_value, dtype=np.float64)
            return values, np.broadcast_to(expected, (len(encoded), *expected.shape)).copy()
        explanation = explainer(encoded, check_additivity=False)
        return np.asarray(explanation.values), np.asarray(explanation.base_values)
    assert reference is not None
    if method == "linear":
        explanation = shap.LinearExplainer(estimator, reference)(encoded)
        return np.asarray(explanation.values), np.asarray(explanation.base_values)
    model = _kernel_function(estimator, kind)
    explainer = shap.KernelExplainer(model, reference, seed=seed)
    values = np.asarray(explainer.shap_values(encoded, nsamples=kernel_samples, silent=True))
    expected = np.asarray(explainer.expected_value, dtype=np.float64)
    base = np.broadcast_to(expected, (len(encoded), *expected.shape)).copy()
    return values, base


def _reference(preprocess: Any, background: pd.DataFrame | None) -> Any:
    return None if background is None else _dense(preprocess.transform(background))


def _kernel_function(estimator: Any, kind: Kind) -> Any:
    if kind == "regression":
        return estimator.predict
    if kind == "binary":
        return lambda data: estimator.predict_proba(data)[:, 1]
    return estimator.predict_proba


def _select_output(
    raw: npt.NDArray[np.float64],
    base: npt.NDArray[np.float64],
    estimator: Any,
    encoded: npt.NDArray[np.float64],
    kind: Kind,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64] | None]:
    """Reduce multi-output SHAP arrays to the one output explained per row."""
    n = len(encoded)
    if raw.ndim == 2:
        explained = None if kind == "regression" else np.ones(n, dtype=np.int64)
        flat = np.broadcast_to(base.reshape(-1), (n,)) if base.size in (1, n) else base[:, -1]
        return raw.astype(np.float64), np.asarray(flat, dtype=np.float64), explained
    if kind == "binary":
        chosen = np.full(n, raw.shape[2] - 1, dtype=np.int64)
    else:
        chosen = np.asarray(estimator.predict_proba(encoded)).argmax(axis=1).astype(np.int64)
    picked = raw[np.arange(n), :, chosen]
    base_2d = base if base.ndim == 2 else np.broadcast_to(base, (n, raw.shape[2]))
    picked_base = base_2d[np.arange(n), chosen]
    if kind == "regression":
        return picked.astype(np.float64), picked_base.astype(np.float64), None
    return picked.astype(np.float64), picked_base.astype(np.float64), chosen
