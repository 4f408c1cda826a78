"""Model plug-ins as :class:`~boucle.train.estimators.EstimatorSpec`: the same road as built-ins.

The estimator class gives the default parameters (``get_params()`` of an instance made with
no arguments), its optional ``search_space(trial)`` the Optuna space, and its optional
``onnx_convertible`` flag whether export may convert it. ``random_state`` and ``n_jobs`` are
set by boucle when the class has them, so a plug-in is as reproducible as a built-in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.errors import TrainingError
from boucle.plugins.discovery import PluginError

if TYPE_CHECKING:
    from boucle.train.estimators import EstimatorSpec
    from boucle.train.targets import TargetKind

__all__ = ["estimator_class_spec", "plugin_estimator_spec"]


def plugin_estimator_spec(ref: str) -> EstimatorSpec:
    """The spec of model plug-in ``ref`` (entry-point name or ``module:Class``)."""
    from boucle.plugins.loading import load_plugin

    return estimator_class_spec(ref, load_plugin("model", ref))


def estimator_class_spec(name: str, cls: type) -> EstimatorSpec:
    """Wrap a scikit-learn estimator class as a spec called ``name``.

    Raises :class:`~boucle.plugins.PluginError` when the class cannot be created with no
    arguments or its ``get_params()`` is not a dict.
    """
    from boucle.train.estimators import EstimatorSpec

    try:
        defaults = cls().get_params(deep=False)
    except Exception as exc:  # the plug-in's constructor may raise anything
        raise PluginError(
            f"model plug-in '{name}': {cls.__name__}() or its get_params() failed: "
            f"{type(exc).__name__}: {exc}.",
            hint="Give every constructor parameter a default (scikit-learn convention).",
        ) from exc
    if not isinstance(defaults, dict):
        raise PluginError(
            f"model plug-in '{name}': {cls.__name__}().get_params() returned "
            f"{type(defaults).__name__}, not a dict.",
            hint="Derive the class from sklearn.base.BaseEstimator.",
        )
    search_space = getattr(cls, "search_space", None)

    def suggest(trial: Any) -> dict[str, Any]:
        if search_space is None:
            return {}
        drawn = search_space(trial)
        return dict(drawn)

    def build(params: dict[str, Any], task: TargetKind, seed: int, n_jobs: int) -> Any:
        fixed = {"random_state": seed, "n_jobs": n_jobs}
        estimator = cls(**{**params, **{k: v for k, v in fixed.items() if k in defaults}})
        _check_task(name, cls, estimator, task)
        return estimator

    return EstimatorSpec(
        name,
        dict(defaults),
        suggest,
        build,
        onnx_convertible=bool(getattr(cls, "onnx_convertible", False)),
        searchable=search_space is not None,
    )


def _check_task(name: str, cls: type, estimator: Any, task: TargetKind) -> None:
    from sklearn.base import is_classifier, is_regressor

    if task == "regression" and not is_regressor(estimator):
        raise TrainingError(
            f"model plug-in '{name}' ({cls.__name__}) is not a regressor; the task is regression.",
            hint="Set train.model to a regressor, or task: classification.",
        )
    if task != "regression" and not is_classifier(estimator):
        raise TrainingError(
            f"model plug-in '{name}' ({cls.__name__}) is not a classifier; the task is "
            f"{task} classification.",
            hint="Set train.model to a classifier (sklearn.base.ClassifierMixin), or "
            "task: regression.",
        )
