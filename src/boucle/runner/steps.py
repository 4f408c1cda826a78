"""The foundation steps: snapshot → split → train → evaluate → register.

Each step is a plain function ``(ctx, **inputs) -> Manifest``; its parameters after ``ctx``
name the steps it reads. This module declares them as the graph's :class:`Step` nodes: the
configuration each one's cache key reads, the source modules of its code version and its
fingerprint. The step functions live in :mod:`boucle.runner.data_steps`,
:mod:`boucle.runner.model_steps` and :mod:`boucle.runner.register_step`; the loaders the
later steps share in :mod:`boucle.runner.step_inputs` (re-exported here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.runner.data_steps import snapshot, source_hash, split
from boucle.runner.graph import Step
from boucle.runner.model_steps import evaluate, train, train_fingerprint
from boucle.runner.profile_step import PROFILE_STEP
from boucle.runner.register_step import register
from boucle.runner.step_inputs import load_model, load_split_frames
from boucle.runner.validate_step import VALIDATE_STEP

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["FOUNDATION_STEPS", "load_model", "load_split_frames"]


def _source_config(cfg: Any) -> dict[str, Any]:
    return {"source": cfg.data.source, "read": cfg.data.read}


def _target_config(cfg: Any) -> dict[str, Any]:
    return {"task": cfg.task, "target": cfg.data.target, "positive_class": cfg.data.positive_class}


def _source_fingerprint(ctx: RunContext) -> dict[str, Any]:
    return {"source_hash": source_hash(ctx)}


# Each step's ``code`` lists the modules of its function and of the helpers it calls, so an
# edit of any of them invalidates the step's cache; ``runner/steps`` holds its config selector.
FOUNDATION_STEPS: tuple[Step, ...] = (
    Step(
        "snapshot",
        snapshot,
        config=lambda c: {**_source_config(c), **_target_config(c), "sensitive": c.data.sensitive},
        code=("data", "store", "runner/steps", "runner/data_steps", "runner/step_inputs"),
        fingerprint=_source_fingerprint,
    ),
    VALIDATE_STEP,
    PROFILE_STEP,
    Step(
        "split",
        split,
        config=lambda c: {
            **_target_config(c),
            "split": c.section("split"),
            "sensitive": c.data.sensitive,
            "representation": c.data.checks.representation.model_dump(mode="json"),
        },
        code=(
            "train/split",
            "train/targets",
            "data/validate",
            "runner/steps",
            "runner/data_steps",
            "runner/step_inputs",
        ),
    ),
    Step(
        "train",
        train,
        config=lambda c: {
            **_target_config(c),
            "train": c.section("train"),
            "seed": c.split.seed,
            "features": list(c.features),
        },
        code=(
            "train",
            "runner/steps",
            "runner/model_steps",
            "runner/step_inputs",
            "project/features",
            "project/transformer",
        ),
        fingerprint=train_fingerprint,
    ),
    Step(
        "evaluate",
        evaluate,
        config=lambda c: {**_target_config(c), "sensitive": c.data.sensitive},
        code=(
            "evaluate",
            "train/targets",
            "runner/steps",
            "runner/model_steps",
            "runner/step_inputs",
        ),
    ),
    Step(
        "register",
        register,
        config=lambda c: {"project": c.project, "tracking": c.stores.tracking},
        code=(
            "registry",
            "runner/steps",
            "runner/register_step",
            "runner/step_inputs",
            "runner/quality_step",
        ),
    ),
)
