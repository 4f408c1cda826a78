"""Training: target encoding, the train/test split, feature pipelines, estimators, search.

Each function is a plain typed step the runner calls; heavy libraries (scikit-learn, Optuna,
LightGBM, XGBoost) are imported inside the functions that use them.
"""

from boucle.train.estimators import MODEL_NAMES, EstimatorSpec, get_estimator_spec
from boucle.train.pipeline import build_preprocessor, feature_names
from boucle.train.scoring import CLASSIFICATION_METRICS, REGRESSION_METRICS
from boucle.train.search import FitResult, fit_model
from boucle.train.split import Split, split_table
from boucle.train.targets import TargetEncoding, encode_target

__all__ = [
    "CLASSIFICATION_METRICS",
    "MODEL_NAMES",
    "REGRESSION_METRICS",
    "EstimatorSpec",
    "FitResult",
    "Split",
    "TargetEncoding",
    "build_preprocessor",
    "encode_target",
    "feature_names",
    "fit_model",
    "get_estimator_spec",
    "split_table",
]
