"""The explain step's evidence: global importance, SHAP summary, explained predictions, curves.

:func:`explain_model` samples the held-out rows, computes their SHAP values (see
:mod:`boucle.explain.shap_values`), picks a few predictions across the score range to explain
one by one, and draws ICE/PDP curves for the most important columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from boucle.explain.curves import Curve, feature_curve
from boucle.explain.record import contributions
from boucle.explain.shap_values import ShapResult, compute_shap

__all__ = ["ExplainReport", "background_sample", "explain_model"]

Kind = Literal["binary", "multiclass", "regression"]

#: Points per feature kept for the SHAP summary (the beeswarm stays small and readable).
SUMMARY_POINTS = 500


@dataclass(frozen=True)
class ExplainReport:
    """What the explain step found; :meth:`to_dict` is the stored JSON report."""

    method: str
    approximate: bool
    output: str
    rows: int
    importance: list[tuple[str, float]]
    summary: list[dict[str, Any]]
    examples: list[dict[str, Any]]
    curves: list[Curve] = field(default_factory=list)

    def top_features(self, count: int) -> list[dict[str, Any]]:
        """The ``count`` most important columns as ``{"feature", "importance"}`` dicts."""
        return [{"feature": f, "importance": round(v, 8)} for f, v in self.importance[:count]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (numbers rounded to 6 decimals where they are many)."""
        return {
            "method": self.method,
            "approximate": self.approximate,
            "output": self.output,
            "rows": self.rows,
            "importance": [{"feature": f, "importance": v} for f, v in self.importance],
            "summary": self.summary,
            "examples": self.examples,
            "curves": [curve.to_dict() for curve in self.curves],
        }


def explain_model(
    pipeline: Any,
    x_train: pd.DataFrame,
    x_test: pd.DataFrame,
    *,
    kind: Kind,
    classes: list[str] | None = None,
    method: str = "auto",
    sample_rows: int = 1000,
    kernel_rows: int = 100,
    kernel_samples: int = 200,
    background_rows: int = 100,
    top_features: int = 10,
    curve_features: int = 4,
    ice_rows: int = 200,
    grid_points: int = 20,
    examples: int = 5,
    seed: int = 0,
    background: pd.DataFrame | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> ExplainReport:
    """Explain ``pipeline`` on a sample of the held-out rows ``x_test``.

    The linear and kernel explainers compare with ``background`` rows (default: a sample of
    ``background_rows`` rows of ``x_train``). The SHAP sample holds ``sample_rows`` rows
    (``kernel_rows`` for the slow kernel explainer); the ICE curves another ``ice_rows``.
    ``on_progress(done, total, note)`` is called before each phase.
    """
    from boucle.explain.features import split_pipeline
    from boucle.explain.shap_values import choose_method

    chosen = choose_method(split_pipeline(pipeline)[1], method)
    limit = kernel_rows if chosen == "kernel" else sample_rows
    sample = _sample(x_test, limit, seed)
    if background is None:
        background = background_sample(x_train, background_rows, seed)
    progress = on_progress or (lambda done, total, note: None)
    total = 1 + min(curve_features, top_features)
    progress(0, total, f"SHAP values of {len(sample)} rows ({chosen})")
    result = compute_shap(
        pipeline,
        sample,
        kind=kind,
        method=chosen,
        background=background,
        kernel_samples=kernel_samples,
        seed=seed,
    )
    importance = result.importance()
    top = [name for name, _ in importance[:top_features]]
    ice = _sample(x_test, ice_rows, seed + 2)
    curves = []
    for index, name in enumerate(top[:curve_features], start=1):
        progress(index, total, f"ICE/PDP of {name}")
        curves.append(
            feature_curve(pipeline, ice, name, kind=kind, grid_points=grid_points, classes=classes)
        )
    return ExplainReport(
        method=result.method,
        approximate=result.approximate,
        output=result.output,
        rows=len(sample),
        importance=importance,
        summary=_summary(result, top),
        examples=_examples(result, sample, pipeline, kind, classes, examples, top_features),
        curves=curves,
    )


def background_sample(x_train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """The training rows the linear and kernel explainers compare with (a seeded sample)."""
    return _sample(x_train, rows, seed + 1)


def _sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    return frame.sample(rows, random_state=seed).reset_index(drop=True)


def _summary(result: ShapResult, top: list[str]) -> list[dict[str, Any]]:
    """Per top column: SHAP values of up to SUMMARY_POINTS rows and a colour in [0, 1]."""
    keep = np.arange(min(len(result.values), SUMMARY_POINTS))
    rows = []
    for name in top:
        j = result.columns.index(name)
        raw = result.rows[name].iloc[keep]
        colour: list[float | None] = [None] * len(keep)
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            ranks = raw.rank(pct=True, method="average")
            colour = [None if pd.isna(v) else round(float(v), 4) for v in ranks]
        rows.append(
            {
                "feature": name,
                "values": result.values[keep, j].round(6).tolist(),
                "colour": colour,
            }
        )
    return rows


def _examples(
    result: ShapResult,
    sample: pd.DataFrame,
    pipeline: Any,
    kind: Kind,
    classes: list[str] | None,
    count: int,
    top: int,
) -> list[dict[str, Any]]:
    """Explain ``count`` rows spread from the lowest to the highest explained output."""
    if count == 0 or len(result.values) == 0:
        return []
    score = result.base_values + result.values.sum(axis=1)
    order = np.argsort(score, kind="stable")
    picks = sorted({int(order[i]) for i in np.linspace(0, len(order) - 1, count).astype(int)})
    predictions = _predictions(pipeline, sample.iloc[picks], kind, classes)
    return [
        {
            "row": row,
            "prediction": prediction,
            "base_value": float(result.base_values[row]),
            "output": float(score[row]),
            "contributions": contributions(result, row, top),
        }
        for row, prediction in zip(picks, predictions, strict=True)
    ]


def _predictions(
    pipeline: Any, rows: pd.DataFrame, kind: Kind, classes: list[str] | None
) -> list[str]:
    if kind == "regression":
        return [f"{float(v):.6g}" for v in pipeline.predict(rows)]
    proba = np.asarray(pipeline.predict_proba(rows), dtype=np.float64)
    labels = classes or [str(i) for i in range(proba.shape[1])]
    shown = []
    for row in proba:
        code = int(row.argmax())
        label = labels[code] if code < len(labels) else str(code)
        shown.append(f"{label} (p={row[code]:.3f})")
    return shown
