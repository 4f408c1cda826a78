"""Registration of the onnxmltools converters for LightGBM and XGBoost with skl2onnx.

skl2onnx only knows scikit-learn estimators; the boosted-tree converters live in
onnxmltools and are plugged into skl2onnx's (process-wide) converter registry, so a pipeline
holding an ``LGBMClassifier`` converts in one ``convert_sklearn`` call with its
preprocessing. Registering twice is harmless; :func:`register_converters` does it once.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["register_converters"]

_CLASSIFIER_OPTIONS: dict[str, Any] = {"nocl": [True, False], "zipmap": [True, False, "columns"]}


@functools.cache
def register_converters() -> None:
    """Register the LightGBM and XGBoost classifiers and regressors with skl2onnx (once)."""
    import lightgbm
    import xgboost
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import (  # type: ignore[import-untyped]
        convert_lightgbm,
    )
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import (  # type: ignore[import-untyped]
        convert_xgboost,
    )
    from skl2onnx import update_registered_converter  # type: ignore[import-untyped]
    from skl2onnx.common.shape_calculator import (  # type: ignore[import-untyped]
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    registrations: list[tuple[Any, str, Any, Any, dict[str, Any] | None]] = [
        (
            lightgbm.LGBMClassifier,
            "LightGbmLGBMClassifier",
            calculate_linear_classifier_output_shapes,
            convert_lightgbm,
            _CLASSIFIER_OPTIONS,
        ),
        (
            lightgbm.LGBMRegressor,
            "LightGbmLGBMRegressor",
            calculate_linear_regressor_output_shapes,
            convert_lightgbm,
            None,
        ),
        (
            xgboost.XGBClassifier,
            "XGBoostXGBClassifier",
            calculate_linear_classifier_output_shapes,
            convert_xgboost,
            _CLASSIFIER_OPTIONS,
        ),
        (
            xgboost.XGBRegressor,
            "XGBoostXGBRegressor",
            calculate_linear_regressor_output_shapes,
            convert_xgboost,
            None,
        ),
    ]
    for model_type, alias, shape_calculator, converter, options in registrations:
        update_registered_converter(model_type, alias, shape_calculator, converter, options=options)
