"""The estimators boucle trains: defaults, Optuna search spaces and deterministic builders.

Four model names, each usable for binary and multiclass classification and for regression:

==================== ============================== ==============================
name                 classification                 regression
==================== ============================== ==============================
logistic_regression  LogisticRegression (lbfgs)     Ridge, with ``alpha = 1 / C``
random_forest        RandomForestClassifier         RandomForestRegressor
lightgbm             LGBMClassifier                 LGBMRegressor
xgboost              XGBClassifier                  XGBRegressor
==================== ============================== ==============================

``logistic_regression`` keeps one knob, ``C`` (inverse regularisation strength), for both
tasks so one config works for both; for regression it is a Ridge regression with
``alpha = 1 / C``. Every builder fixes the seed and thread count so the same inputs give the
same model, bit for bit.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boucle.errors import TrainingError
from boucle.train.targets import TargetKind

__all__ = ["DEFAULT_N_JOBS", "MODEL_NAMES", "EstimatorSpec", "get_estimator_spec"]

#: Threads per fit (``train.threads``). Fixed, never -1: gradient boosting results depend on
#: it. One thread: on small tables and on a shared machine, OpenMP threads that spin-wait for a
#: busy core make a 2-thread LightGBM fit 2-10x slower than one thread (measured on 2 cores).
DEFAULT_N_JOBS = 1

Params = dict[str, Any]


@dataclass(frozen=True)
class EstimatorSpec:
    """One trainable model: its default parameters, search space and builder.

    ``suggest(trial)`` draws one parameter set from an Optuna trial; its keys are a subset
    of ``default_params`` and the defaults lie inside the space, so the defaults can be
    enqueued as the first trial. ``make(params, task, seed)`` builds an unfitted estimator.
    ``searchable`` is False for a plug-in without a search space (only the defaults are
    fitted); ``onnx_convertible`` says whether skl2onnx can convert the estimator.
    """

    name: str
    default_params: Params
    suggest: Callable[[Any], Params]
    builder: Callable[[Params, TargetKind, int, int], Any] = field(repr=False)
    onnx_convertible: bool = True
    searchable: bool = True

    def make(
        self, params: Params, task: TargetKind, seed: int, *, n_jobs: int = DEFAULT_N_JOBS
    ) -> Any:
        """Build an unfitted estimator for ``task`` from the defaults overridden by ``params``."""
        unknown = sorted(set(params) - set(self.default_params))
        if unknown:
            raise TrainingError(
                f"Unknown parameters for model '{self.name}': {', '.join(unknown)}.",
                hint=f"Valid parameters: {', '.join(sorted(self.default_params))}.",
            )
        return self.builder({**self.default_params, **params}, task, seed, n_jobs)


# --- logistic_regression ---------------------------------------------------------------


def _suggest_linear(trial: Any) -> Params:
    return {"C": trial.suggest_float("C", 1e-3, 1e2, log=True)}


def _make_linear(params: Params, task: TargetKind, seed: int, n_jobs: int) -> Any:
    if task == "regression":
        from sklearn.linear_model import Ridge

        return Ridge(alpha=1.0 / params["C"], random_state=seed)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=params["C"], max_iter=params["max_iter"], solver="lbfgs", random_state=seed
    )


# --- random_forest ---------------------------------------------------------------------


def _suggest_forest(trial: Any) -> Params:
    # Feature shares stay small: with one-hot columns, a share of 1.0 makes every split scan
    # every column (a 10-trial search on Adult took 81 s with it, 39 s without).
    return {
        "n_estimators": trial.suggest_int("n_estimators", 100, 300, step=50),
        "max_depth": trial.suggest_categorical("max_depth", [None, 8, 12, 16, 24]),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20, log=True),
        "max_features": trial.suggest_categorical("max_features", ["sqrt", 0.2, 0.4]),
    }


def _make_forest(params: Params, task: TargetKind, seed: int, n_jobs: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestRegressor if task == "regression" else RandomForestClassifier
    return cls(**params, random_state=seed, n_jobs=n_jobs)


# --- lightgbm --------------------------------------------------------------------------


def _suggest_lightgbm(trial: Any) -> Params:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 500, step=50),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 8, 128, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
        "subsample": trial.suggest_float("subsample", 0.6, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _make_lightgbm(params: Params, task: TargetKind, seed: int, n_jobs: int) -> Any:
    import lightgbm

    cls = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
    # deterministic + force_row_wise: identical trees on every run with the same n_jobs.
    return cls(
        **params,
        subsample_freq=1,
        random_state=seed,
        n_jobs=n_jobs,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
    )


# --- xgboost ---------------------------------------------------------------------------


def _suggest_xgboost(trial: Any) -> Params:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 500, step=50),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "max_depth": trial.suggest_int("max_depth", 3, 10),
        "min_child_weight": trial.suggest_float("min_child_weight", 0.5, 20.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.6, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def _make_xgboost(params: Params, task: TargetKind, seed: int, n_jobs: int) -> Any:
    import xgboost

    cls = xgboost.XGBRegressor if task == "regression" else xgboost.XGBClassifier
    return cls(**params, tree_method="hist", random_state=seed, n_jobs=n_jobs, verbosity=0)


_SPECS: dict[str, EstimatorSpec] = {
    spec.name: spec
    for spec in (
        EstimatorSpec(
            "logistic_regression", {"C": 1.0, "max_iter": 2000}, _suggest_linear, _make_linear
        ),
        EstimatorSpec(
            "random_forest",
            {"n_estimators": 200, "max_depth": None, "min_samples_leaf": 1, "max_features": "sqrt"},
            _suggest_forest,
            _make_forest,
        ),
        EstimatorSpec(
            "lightgbm",
            {
                "n_estimators": 200,
                "learning_rate": 0.05,
                "num_leaves": 31,
                "min_child_samples": 20,
                "subsample": 1.0,
                "colsample_bytree": 1.0,
                "reg_lambda": 0.001,
            },
            _suggest_lightgbm,
            _make_lightgbm,
        ),
        EstimatorSpec(
            "xgboost",
            {
                "n_estimators": 200,
                "learning_rate": 0.1,
                "max_depth": 6,
                "min_child_weight": 1.0,
                "subsample": 1.0,
                "colsample_bytree": 1.0,
                "reg_lambda": 1.0,
            },
            _suggest_xgboost,
            _make_xgboost,
        ),
    )
}

#: Valid values of ``train.model``, sorted.
MODEL_NAMES: tuple[str, ...] = tuple(sorted(_SPECS))


def get_estimator_spec(model: str) -> EstimatorSpec:
    """Return the :class:`EstimatorSpec` of ``model``; TrainingError names the valid ones.

    ``model`` is a built-in name, the name of a ``boucle.models`` entry point or a
    ``module:Class`` path (see :mod:`boucle.plugins`); a plug-in that cannot be loaded
    raises :class:`~boucle.plugins.PluginError`.
    """
    spec = _SPECS.get(model)
    if spec is not None:
        return spec
    from boucle.plugins import available_plugins, discover_plugins, is_dotted_path

    if is_dotted_path(str(model)) or any(e.name == model for e in discover_plugins("model")):
        from boucle.plugins.models import plugin_estimator_spec

        return plugin_estimator_spec(model)
    valid = available_plugins("model")
    close = difflib.get_close_matches(str(model), valid, n=1)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    raise TrainingError(
        f"Unknown model '{model}'. Valid models: {', '.join(valid)}.",
        hint=f"{hint}Set train.model to one of them, or to a plug-in's module:Class path.",
    )
