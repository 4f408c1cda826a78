"""ICE and partial dependence curves of one table column, with scikit-learn.

:func:`sklearn.inspection.partial_dependence` runs on the whole pipeline and the raw rows
(``method="brute"``): each grid value is written into every row and the model predicts. We
give it the grid ourselves (``custom_values``) because its own grid refuses integer columns
and categorical columns holding missing values: a numeric grid is ``grid_points`` quantiles
of the rows (5th to 95th percentile), a categorical grid the most frequent values.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError

__all__ = ["Curve", "feature_curve"]

Kind = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class Curve:
    """The ICE curves (one per row) and their mean, the PDP, over a grid of one column.

    ``individual`` has one row per explained row and one column per grid value; for a
    multiclass model they are the probabilities of ``output_class`` (the most predicted one).
    """

    column: str
    categorical: bool
    grid: list[Any]
    average: list[float]
    individual: npt.NDArray[np.float64]
    output: str

    def to_dict(self, *, max_lines: int = 50) -> dict[str, Any]:
        """JSON-ready data; at most ``max_lines`` ICE curves are kept (spread over rows)."""
        keep = np.unique(np.linspace(0, len(self.individual) - 1, max_lines).astype(int))
        return {
            "column": self.column,
            "categorical": self.categorical,
            "grid": [_json_value(v) for v in self.grid],
            "average": [float(v) for v in self.average],
            "individual": self.individual[keep].round(6).tolist() if len(keep) else [],
            "output": self.output,
            "rows": len(self.individual),
        }


def feature_curve(
    pipeline: Any,
    rows: pd.DataFrame,
    column: str,
    *,
    kind: Kind,
    grid_points: int = 20,
    classes: list[str] | None = None,
) -> Curve:
    """ICE curves of ``rows`` and their PDP over a grid of ``column`` (raw table rows).

    ``classes`` (labels by class code) names the class of a multiclass curve. With feature
    functions, ``column`` is a model input (engineered columns included), moved after the
    functions ran.
    """
    from sklearn.inspection import partial_dependence

    from boucle.train.pipeline import split_feature_functions

    pipeline, rows = split_feature_functions(pipeline, rows)
    values = rows[column]
    categorical = not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
        values.dtype
    )
    frame = rows.copy()
    if categorical:
        grid: npt.NDArray[Any] = np.array(
            values.dropna().value_counts().index[:grid_points].tolist(), dtype=object
        )
    else:
        # partial_dependence refuses integer columns (implicit rounding); floats are exact here.
        frame[column] = values.astype(np.float64)
        finite = frame[column].to_numpy(dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        grid = np.unique(np.quantile(finite, np.linspace(0.05, 0.95, grid_points)))
    if len(grid) == 0:
        raise DataError(
            f"column '{column}' has no values in the {len(rows)} rows sampled for ICE curves.",
            hint="Raise explain.ice_rows, or check the column is not empty.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = partial_dependence(
                pipeline,
                frame,
                [column],
                kind="both",
                method="brute",
                custom_values={column: grid},
                categorical_features=[column] if categorical else None,
            )
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"partial dependence of '{column}' failed: {type(exc).__name__}: {exc}",
            hint="Set explain.curve_features: 0 to skip the ICE/PDP curves.",
        ) from exc
    individual = np.asarray(result["individual"], dtype=np.float64)
    average = np.asarray(result["average"], dtype=np.float64)
    index, output = _output_index(pipeline, frame, kind, len(average), classes)
    return Curve(
        column=column,
        categorical=categorical,
        grid=list(grid),
        average=average[index].tolist(),
        individual=individual[index],
        output=output,
    )


def _output_index(
    pipeline: Any, rows: pd.DataFrame, kind: Kind, outputs: int, classes: list[str] | None
) -> tuple[int, str]:
    if kind == "regression":
        return 0, "predicted value"
    if kind == "binary" or outputs == 1:
        return 0, "probability of the positive class"
    predicted = np.asarray(pipeline.predict_proba(rows)).argmax(axis=1)
    top = int(np.bincount(predicted, minlength=outputs).argmax())
    label = classes[top] if classes is not None and top < len(classes) else str(top)
    return top, f"probability of class '{label}'"


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
