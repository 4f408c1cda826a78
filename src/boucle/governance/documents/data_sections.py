"""The data blocks shared by the model card and Annex IV: where the training data came from,
its shape, the split, and every check of the data gate it passed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.governance.documents.evidence_sections import passed_badge
from boucle.governance.documents.facts import Citations, Fact, fact_table, short_hash
from boucle.reports import Block, Table, Text, format_number

if TYPE_CHECKING:
    from boucle.governance.documents.gather import VersionFacts

__all__ = ["data_blocks", "data_gate_blocks"]

_RUN = "`boucle run`"


def data_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Where the training data came from, its shape, the split and the data gate."""
    run = facts.run
    snapshot, split = run.step("snapshot"), run.step("split")
    config = (run.manifest or {}).get("config", {}).get("data", {})
    snap_src = cite(*run.sources("snapshot"))
    split_src = cite(*run.sources("split"))
    train_src = cite(*run.sources("train"))
    how = f"{_RUN} (the version's run manifest is not in the store)"

    def known(label: str, value: Any, source: str) -> Fact:
        if value is None or value == "" or value == []:
            return Fact(label, None, how=how)
        return Fact(label, value if isinstance(value, str) else format_number(value), source)

    sources_cfg = facts.config.data.checks.sources
    rows = [
        known("source", snapshot.get("source"), snap_src),
        known("source file blake3", snapshot.get("source_hash"), snap_src),
        known("snapshot id", snapshot.get("snapshot_id"), snap_src),
        known("rows x columns", _shape(snapshot), snap_src),
        known("target", config.get("target"), train_src),
        known("positive class", config.get("positive_class"), train_src),
        known("features", ", ".join(run.step("train").get("features") or []), train_src),
        known("training rows", split.get("train_rows"), split_src),
        known("held-out test rows", split.get("test_rows"), split_src),
        known("stratified split", _yes_no(split.get("stratified")), split_src),
        known("sensitive columns", ", ".join(config.get("sensitive") or []), train_src)
        if config.get("sensitive")
        else Fact("sensitive columns", None, how="list them in data.sensitive, then " + _RUN),
        Fact("data owner", sources_cfg.owner, "boucle.yaml data.checks.sources.owner")
        if sources_cfg.owner
        else Fact("data owner", None, how="set data.checks.sources.owner in boucle.yaml"),
        Fact("data licence", sources_cfg.licence, "boucle.yaml data.checks.sources.licence")
        if sources_cfg.licence
        else Fact("data licence", None, how="set data.checks.sources.licence in boucle.yaml"),
    ]
    blocks: list[Block] = [fact_table(rows)]
    blocks.extend(data_gate_blocks(facts, cite))
    return blocks


def data_gate_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The data gate the training data passed: verdict and every check."""
    event = facts.evidence.latest("data_validated")
    if event is None:
        return [fact_table([Fact("data gate", None, how=f"{_RUN} (its validate step)")])]
    source = cite(event)
    passed = bool(event.payload.get("passed"))
    blocks: list[Block] = [
        Text(
            f"Data gate {'passed' if passed else 'failed'}: {event.payload.get('errors')} "
            f"error(s), {event.payload.get('warnings')} warning(s). Source: {source}",
            "good" if passed else "bad",
        ),
    ]
    results = (facts.validation.document if facts.validation else {}).get("results") or []
    if results:
        blocks.append(
            Table(
                header=("Check", "Column", "Severity", "Verdict", "Finding"),
                rows=[
                    [
                        str(r.get("name")),
                        r.get("column"),
                        str(r.get("severity")),
                        passed_badge(r.get("passed")),
                        str(r.get("message") or ""),
                    ]
                    for r in results
                ],
                caption="Data gate checks (validation report "
                f"{short_hash(facts.validation.digest if facts.validation else '')}).",
            )
        )
    return blocks


def _shape(snapshot: dict[str, Any]) -> str | None:
    rows, columns = snapshot.get("rows"), snapshot.get("columns")
    if rows is None or columns is None:
        return None
    return f"{format_number(rows)} x {format_number(len(columns))}"


def _yes_no(value: object) -> str | None:
    return None if value is None else ("yes" if value else "no")
