"""Every step's cache key hashes the code it runs: its own module and the shared loaders.

A step's ``code`` names the source files hashed into its cache key. If a step's function
lives in, or loads its inputs through, a module missing from that list, editing that module
would leave the step cached with stale results.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import boucle
from boucle.runner.evidence_steps import EXPLAIN_STEP, FAIRNESS_STEP, ROBUSTNESS_STEP
from boucle.runner.export_step import EXPORT_STEP
from boucle.runner.graph import Step
from boucle.runner.mitigation_step import MITIGATE_STEP
from boucle.runner.monitor_step import REFERENCE_STEP
from boucle.runner.quality_step import QUALITY_STEP
from boucle.runner.skew_step import SKEW_SKIPPED_STEP, SKEW_STEP
from boucle.runner.steps import FOUNDATION_STEPS

ALL_STEPS: tuple[Step, ...] = (
    *FOUNDATION_STEPS, EXPLAIN_STEP, FAIRNESS_STEP, ROBUSTNESS_STEP, EXPORT_STEP, MITIGATE_STEP,
    REFERENCE_STEP, QUALITY_STEP, SKEW_STEP, SKEW_SKIPPED_STEP,
)  # fmt: skip
ROOT = Path(boucle.__file__).parent
# Helpers through which steps load their inputs, and the module that defines them.
SHARED = {"load_split_frames": "runner/step_inputs", "load_model": "runner/step_inputs"}


def _covered(module: str, code: tuple[str, ...]) -> bool:
    return any(module == entry or module.startswith(entry + "/") for entry in code)


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: s.name)
def test_the_step_hashes_its_own_module(step: Step) -> None:
    module = step.func.__module__.removeprefix("boucle.").replace(".", "/")
    assert _covered(module, step.code), f"{step.name}: {module} not in {step.code}"


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: s.name)
def test_the_step_hashes_the_loaders_it_calls(step: Step) -> None:
    source = inspect.getsource(step.func)
    for helper, module in SHARED.items():
        if f"{helper}(" in source:
            assert _covered(module, step.code), f"{step.name} calls {helper}: add {module}"
    for entry in step.code:
        target = ROOT / entry
        assert target.is_dir() or target.with_suffix(".py").is_file(), f"{step.name}: {entry}"
