"""The first step of a pipeline with feature functions: apply them, by reference, in order.

The fitted step keeps the *references* (``features.py:add_ratio``, the project folder and
each file's blake3 hash), never the code itself: the model file (joblib in our store, skops in
MLflow) stays loadable without unpickling user code, and the functions are imported when the
step first transforms. If a function's file changed since the model was fitted, transforming
refuses: a model must not silently compute different features than it was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from boucle.errors import ConfigError, DataError
from boucle.project.features import load_feature_function, resolve_feature

__all__ = ["FeatureFunctionTransformer"]


class FeatureFunctionTransformer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Apply the project's feature functions (``DataFrame -> DataFrame``) one after another.

    Parameters are the ``features:`` entries (``specs``) and the folder they resolve against
    (``base_dir``, the folder of boucle.yaml). After ``fit``: ``feature_names_in_`` (the raw
    columns), ``feature_names_out_`` (what the column transformer receives) and ``refs_``
    (spec, file, function, source hash of each function).
    """

    def __init__(self, specs: tuple[str, ...] = (), base_dir: str = ".") -> None:
        self.specs = specs
        self.base_dir = base_dir

    def fit(self, X: pd.DataFrame, y: Any = None) -> FeatureFunctionTransformer:
        """Resolve the functions, record the columns in and out."""
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **_: Any) -> pd.DataFrame:
        """Fit, and return the transformed frame (each function runs once)."""
        frame = _as_frame(X)
        base = Path(self.base_dir)
        refs = [resolve_feature(spec, base) for spec in self.specs]
        self.refs_ = [ref.to_dict() for ref in refs]
        self._functions = [load_feature_function(ref, base) for ref in refs]
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        out = self._apply(frame)
        self.feature_names_out_ = np.asarray([str(c) for c in out.columns], dtype=object)
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Apply the functions in order to a copy of ``X``."""
        check_is_fitted(self, "refs_")
        return self._apply(_as_frame(X))

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """The columns the next step receives (raw columns plus what the functions add)."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    @property
    def function_specs(self) -> list[str]:
        """The ``features:`` entries this step applies, in order."""
        return list(self.specs)

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("_functions", None)  # references only: the code is imported again on use
        return state

    def _loaded(self) -> list[Callable[..., Any]]:
        functions: list[Callable[..., Any]] | None = getattr(self, "_functions", None)
        if functions is None:
            base = Path(self.base_dir)
            functions = []
            for recorded in self.refs_:
                ref = resolve_feature(recorded["spec"], base)
                if ref.source_hash != recorded["source_hash"]:
                    raise ConfigError(
                        f"feature function '{ref.spec}' changed since this model was trained: "
                        f"{ref.file} has blake3 {ref.source_hash[:12]}..., the model was "
                        f"fitted with {recorded['source_hash'][:12]}....",
                        hint="Retrain with `boucle run` (the train step re-runs on its own), "
                        "or restore the file as it was (see the run's train manifest).",
                    )
                functions.append(load_feature_function(ref, base))
            self._functions = functions
        return functions

    def _apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for spec, function in zip(self.specs, self._loaded(), strict=True):
            rows = len(out)
            try:
                result = function(out)
            except Exception as exc:  # user code may raise anything
                raise DataError(
                    f"feature function '{spec}' failed on {rows} rows: {type(exc).__name__}: {exc}",
                    hint="Reproduce it in the project's tests (tests/test_features.py) with "
                    "a few rows of the data, and fix the function.",
                ) from exc
            out = _checked_result(spec, result, rows)
        return out


def _as_frame(X: Any) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"feature functions need a pandas DataFrame with named columns, got "
            f"{type(X).__name__}.",
            hint="Pass the rows as a DataFrame whose columns are the training columns.",
        )
    return X


def _checked_result(spec: str, result: Any, rows: int) -> pd.DataFrame:
    if not isinstance(result, pd.DataFrame):
        raise DataError(
            f"feature function '{spec}' returned {type(result).__name__}, not a DataFrame.",
            hint="Return the frame with the new columns, e.g. `return frame.assign(x=...)`.",
        )
    if len(result) != rows:
        raise DataError(
            f"feature function '{spec}' returned {len(result)} rows for {rows} rows in.",
            hint="Feature functions are row-wise: keep every row, in order (no filtering, "
            "no dropna); leave missing values to the model's imputer.",
        )
    bad = [repr(c) for c in result.columns if not isinstance(c, str)]
    if bad:
        raise DataError(
            f"feature function '{spec}' returned columns that are not strings: "
            f"{', '.join(bad[:5])}.",
            hint="Name every column with a string.",
        )
    return result
