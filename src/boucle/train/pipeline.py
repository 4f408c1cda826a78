"""Feature preprocessing: one ColumnTransformer per table, chosen by column dtype and model.

Numeric columns are median-imputed (and standardised for the linear model). Categorical
columns (string, object, category) are imputed with their most frequent value, then one-hot
encoded for the linear model and the random forest (an unseen category encodes as all
zeros), or ordinal-encoded for the gradient boosted trees, which split on codes well and
train faster on fewer columns (an unseen category encodes as -1). Boolean columns pass
through as 0/1.

Every step has an ONNX converter (skl2onnx; onnxmltools for LightGBM and XGBoost): the four
fitted pipelines convert with probabilities equal within 1e-6, unseen categories included
(checked with skl2onnx 1.20, onnxmltools 1.16, onnxruntime 1.32). ONNX string
tensors cannot hold NaN, so the exporter sets ``missing_values = ""`` on a copy of the
categorical imputer (``preprocess`` → ``cat`` → ``impute``) and callers send ``""`` for a
missing category; the fitted statistics are unchanged.

A project's feature functions (``features:`` in boucle.yaml) run before all of this, as a
first pipeline step named ``features`` (:func:`with_feature_functions`): plain Python, so such
a pipeline has no ONNX form (the exporter says which function blocks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from boucle.errors import DataError

__all__ = [
    "FEATURES_STEP",
    "LINEAR_MODELS",
    "ORDINAL_MODELS",
    "ColumnKinds",
    "build_preprocessor",
    "classify_columns",
    "feature_function_specs",
    "feature_names",
    "split_feature_functions",
    "with_feature_functions",
]

#: Name of the pipeline step that applies the project's feature functions.
FEATURES_STEP = "features"

#: Models that need standardised inputs.
LINEAR_MODELS = frozenset({"logistic_regression"})
#: Models that take ordinal codes for categorical columns instead of one-hot columns.
ORDINAL_MODELS = frozenset({"lightgbm", "xgboost"})


@dataclass(frozen=True)
class ColumnKinds:
    """Feature columns grouped by how they are preprocessed."""

    numeric: list[str]
    categorical: list[str]
    boolean: list[str]


def classify_columns(X: pd.DataFrame) -> ColumnKinds:
    """Group the columns of ``X`` into numeric, categorical and boolean features.

    Raises :class:`~boucle.errors.DataError` for a column whose dtype cannot be a feature
    (datetimes, timedeltas, complex numbers, ...) or for an empty feature table.
    """
    if X.shape[1] == 0:
        raise DataError(
            "The feature table has no columns.",
            hint="Check data.features / data.exclude: every column was excluded.",
        )
    numeric: list[str] = []
    categorical: list[str] = []
    boolean: list[str] = []
    unsupported: list[str] = []
    types = pd.api.types
    for column in X.columns:
        dtype = X[column].dtype
        name = str(column)
        if types.is_bool_dtype(dtype) and not isinstance(dtype, pd.BooleanDtype):
            boolean.append(name)  # numpy bool cannot hold missing values
        elif isinstance(dtype, pd.BooleanDtype) or (
            types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype)
        ):
            numeric.append(name)
        elif (
            isinstance(dtype, pd.CategoricalDtype)
            or types.is_string_dtype(dtype)
            or types.is_object_dtype(dtype)
        ):
            categorical.append(name)
        else:
            unsupported.append(f"'{name}' ({dtype})")
    if unsupported:
        raise DataError(
            f"Feature columns with unsupported dtypes: {', '.join(unsupported)}.",
            hint="Exclude them (data.exclude) or derive numeric features from them first.",
        )
    return ColumnKinds(numeric=numeric, categorical=categorical, boolean=boolean)


def build_preprocessor(X: pd.DataFrame, model: str) -> Any:
    """Build an unfitted ``ColumnTransformer`` for the columns of ``X`` and ``model``.

    Output is a dense float array; after fitting, ``get_feature_names_out()`` (or
    :func:`feature_names` on the whole pipeline) names every output column.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    kinds = classify_columns(X)
    transformers: list[tuple[str, Any, list[str]]] = []
    if kinds.numeric:
        steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))]
        if model in LINEAR_MODELS:
            steps.append(("scale", StandardScaler()))
        transformers.append(("num", Pipeline(steps), kinds.numeric))
    if kinds.categorical:
        encoder: Any
        if model in ORDINAL_MODELS:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, dtype=float
            )
        else:
            # No min_frequency / infrequent_if_exist: skl2onnx 1.20 raises "Infrequent
            # categories are not implemented" on such an encoder. Unknown -> all zeros.
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        categorical = Pipeline(
            [("impute", SimpleImputer(strategy="most_frequent")), ("encode", encoder)]
        )
        transformers.append(("cat", categorical, kinds.categorical))
    if kinds.boolean:
        transformers.append(("bool", "passthrough", kinds.boolean))
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)


def feature_names(pipeline: Any) -> list[str]:
    """Names of the columns the estimator of a fitted ``[features →] preprocess → model`` sees."""
    return [str(name) for name in pipeline[:-1].get_feature_names_out()]


def with_feature_functions(pipeline: Any, features: Any) -> Any:
    """Prepend the fitted feature-function step to a fitted ``preprocess → model`` pipeline.

    ``features`` is a :class:`~boucle.project.transformer.FeatureFunctionTransformer` fitted
    on the raw training rows; ``pipeline`` was fitted on its output. The result takes raw
    rows, like a pipeline without feature functions.
    """
    from sklearn.pipeline import Pipeline

    return Pipeline([(FEATURES_STEP, features), *pipeline.steps])


def feature_function_specs(pipeline: Any) -> list[str]:
    """The ``features:`` entries a fitted pipeline applies (empty without feature functions)."""
    named = getattr(pipeline, "named_steps", None)
    step = named.get(FEATURES_STEP) if named is not None else None
    return [str(spec) for spec in getattr(step, "specs", ())] if step is not None else []


def split_feature_functions(pipeline: Any, rows: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """``(preprocess → model part, rows as that part receives them)`` of a fitted pipeline.

    With feature functions, ``rows`` (raw table rows) go through the ``features`` step and the
    pipeline without it is returned: what is computed on the pair (explanations, curves) is in
    terms of the model's inputs, engineered columns included. Without, both come back as given.
    """
    named = getattr(pipeline, "named_steps", None)
    if named is None or FEATURES_STEP not in named:
        return pipeline, rows
    return pipeline[1:], named[FEATURES_STEP].transform(rows)
