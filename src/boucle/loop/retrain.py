"""The retrain branch of an iteration: rows → pipeline → challenger → gates → promote or keep."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from boucle.errors import BoucleError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.loop.result import Decision, LoopIteration, Progress
    from boucle.loop.window import ServedRecords
    from boucle.runner.hooks import RunHooks

__all__ = ["retrain"]


def retrain(
    config: BoucleConfig,
    iteration: LoopIteration,
    records: ServedRecords | None,
    *,
    say: Progress,
    hooks: RunHooks | None,
) -> LoopIteration:
    """Build the rows, run the pipeline, gate the new version, promote it or keep the champion."""
    from boucle import api
    from boucle.governance.errors import PromotionRefusedError
    from boucle.loop.window import build_training_data, with_source
    from boucle.runner.session import open_store

    try:
        data = build_training_data(config, records, open_store(config))
        iteration = replace(iteration, training_data=data)
        say(
            f"retraining on {data.rows} rows ({data.source_rows} from data.source, "
            f"{data.recent_rows} labelled records; {data.gate_rows} kept for the gates)"
        )
        outcome = api.run(with_source(config, data.source), hooks=hooks)
    except BoucleError as exc:
        return replace(iteration, decision="retrain_failed", reasons=(_message(exc),))
    register = outcome.steps.get("register")
    if register is None:
        return replace(
            iteration, decision="retrain_failed", reasons=("the run registered no version",)
        )
    version = int(register.manifest["version"])
    iteration = replace(
        iteration,
        retrain_run_id=outcome.run_id,
        challenger_version=version,
        challenger_lineage=outcome.lineage_id,
    )
    if version == iteration.champion_version:
        return replace(
            iteration,
            decision="no_change",
            reasons=(f"the retrain reproduced the champion v{version} (same rows, same model)",),
        )
    say(f"gates: v{version} against champion v{iteration.champion_version}")
    try:
        gate = api.gate(
            str(version), config, against=str(iteration.champion_version), recent=data.gate_path
        )
    except BoucleError as exc:
        return replace(
            iteration,
            decision="kept_champion",
            gate_passed=False,
            reasons=(f"the gates could not run: {_message(exc)}",),
        )
    iteration = replace(iteration, gate_passed=gate.passed, gate_event_index=gate.event_index)
    if not gate.passed:
        failed = [check for check in gate.checks if not check.passed]
        return replace(
            iteration,
            decision="kept_champion",
            reasons=tuple(f"gate {check.name} failed: {check.detail}" for check in failed),
        )
    automatic = config.retrain.promote
    say(f"{'promoting' if automatic else 'checking the promotion policy of'} v{version}")
    waiting: Decision = "awaiting_promotion"
    try:
        api.promote(str(version), config, dry_run=not automatic)
    except PromotionRefusedError as exc:
        missing = tuple(f"promotion policy: missing {name}" for name in exc.check.missing)
        return replace(iteration, decision="kept_champion" if automatic else waiting,
                       reasons=missing)  # fmt: skip
    except BoucleError as exc:
        return replace(iteration, decision="kept_champion", reasons=(_message(exc),))
    if not automatic:
        reason = f"retrain.promote is false: `boucle promote {version}` makes it champion"
        return replace(iteration, decision=waiting, reasons=(reason,))
    return replace(iteration, decision="promoted", promoted=True)


def _message(exc: BoucleError) -> str:
    return exc.message if not exc.hint else f"{exc.message} {exc.hint}"
