"""The closed loop: monitor → retrain rules → retrain → challenger → gates → promote or keep.

::

    from boucle.config import load_config
    from boucle.loop import run_iteration

    iteration = run_iteration(load_config("boucle.yaml"))
    iteration.decision, iteration.fired_rules, iteration.challenger_version

``boucle loop`` runs one iteration; ``boucle loop --every 1h`` repeats it
(:func:`run_every`). Every iteration is a ``loop_iteration`` ledger event under the
champion's lineage id.
"""

from __future__ import annotations

from boucle.loop.errors import LoopBusyError
from boucle.loop.iteration import run_iteration
from boucle.loop.lock import lock_path, loop_lock
from boucle.loop.result import RETRAINED, Decision, LoopIteration
from boucle.loop.rules import RuleOutcome, evaluate_retrain_rules, loop_values, performance_drop
from boucle.loop.schedule import run_every
from boucle.loop.window import (
    ServedRecords,
    TrainingData,
    build_training_data,
    read_served,
    with_source,
)

__all__ = [
    "RETRAINED",
    "Decision",
    "LoopBusyError",
    "LoopIteration",
    "RuleOutcome",
    "ServedRecords",
    "TrainingData",
    "build_training_data",
    "evaluate_retrain_rules",
    "lock_path",
    "loop_lock",
    "loop_values",
    "performance_drop",
    "read_served",
    "run_every",
    "run_iteration",
    "with_source",
]
