"""Everything the ledger, the artifact store and the registry know about one registered version.

:func:`gather_version_facts` verifies the ledger's hash chain first (a document built on an
altered ledger would certify altered facts), then reads:

* the version from the registry and its evidence (:func:`~boucle.governance.collect_evidence`)
  with the promotion checklist of its risk class (read only);
* the manifest of the run that trained it (checked against the ``manifest_hash`` its
  ``run_finished`` event recorded) and the step events of that run;
* the evaluation, data-gate, explanation, fairness and robustness reports from the store, by
  the digests the events and manifests name (the store verifies every digest); for a fair
  challenger (:attr:`VersionRef.mitigation_of`) the evaluation is its own, from the
  ``mitigate`` step's manifest, and its per-group thresholds are read too;
* the approvals, the model's lifecycle events, the lineage's monitoring events and the
  documents generated before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, IntegrityError, LedgerError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.governance.approvals import Approval
    from boucle.governance.evidence import Evidence, VersionRef
    from boucle.governance.promote import PromotionCheck
    from boucle.ledger import LedgerEvent
    from boucle.store import ArtifactStore

__all__ = [
    "LIFECYCLE_KINDS",
    "MONITORING_KINDS",
    "LedgerHead",
    "RunRecord",
    "StoredReport",
    "VersionFacts",
    "gather_version_facts",
]

LIFECYCLE_KINDS = (
    "model_registered",
    "alias_set",
    "gate_evaluated",
    "model_exported",
    "model_export_blocked",
    "package_built",
    "promotion_refused",
    "model_promoted",
    "model_rolled_back",
)
MONITORING_KINDS = ("drift_checked", "performance_checked", "alert_fired", "batch_scored")


@dataclass(frozen=True)
class LedgerHead:
    """The last event of the verified chain a document was built from."""

    hash: str
    count: int


@dataclass(frozen=True)
class StoredReport:
    """A JSON report read from the artifact store, and the ledger events that name it."""

    digest: str
    document: dict[str, Any]
    events: tuple[LedgerEvent, ...]


@dataclass(frozen=True)
class RunRecord:
    """One run: its manifest (None when not in the store) and its ledger events."""

    run_id: str
    manifest: dict[str, Any] | None
    started: LedgerEvent | None
    finished: LedgerEvent | None
    steps: dict[str, LedgerEvent]

    def step(self, name: str) -> dict[str, Any]:
        """The manifest of step ``name`` ({} when unknown)."""
        steps = (self.manifest or {}).get("steps", {})
        found: dict[str, Any] = steps.get(name, {}).get("manifest", {})
        return found

    def sources(self, step: str | None = None) -> tuple[LedgerEvent, ...]:
        """The events binding a step's manifest: its step event and ``run_finished``."""
        found = [self.steps.get(step) if step else None, self.finished]
        return tuple(e for e in found if e is not None)


@dataclass(frozen=True)
class VersionFacts:
    """What a model card or an Annex IV document is built from (see the module docstring)."""

    config: BoucleConfig
    ref: VersionRef
    head: LedgerHead
    chain: tuple[LedgerEvent, ...]
    check: PromotionCheck
    registered: LedgerEvent | None
    run: RunRecord
    evaluation: StoredReport | None
    validation: StoredReport | None
    explanation: StoredReport | None
    fairness: StoredReport | None
    robustness: StoredReport | None
    approvals: tuple[Approval, ...]
    lifecycle: tuple[LedgerEvent, ...]
    monitoring: tuple[LedgerEvent, ...]
    documents: tuple[LedgerEvent, ...]
    mitigation: StoredReport | None = None
    """A fair challenger's per-group thresholds (``thresholds_digest`` of its mitigate step)."""

    @property
    def evaluated_by(self) -> str:
        """The step whose manifest holds the version's held-out evaluation.

        ``evaluate`` for the model a run trained; ``mitigate`` for a fair challenger, which is
        evaluated on its own decisions (never on the base model's).
        """
        return _evaluated_by(self.ref)

    @property
    def skew_skipped(self) -> str | None:
        """Why the run recorded no skew check for this version (None: not known as skipped).

        A fair challenger has no ONNX form, so nothing was compared; otherwise the skew
        step's manifest says why it did nothing (export disabled, export blocked).
        """
        if self.ref.mitigation_of is not None:
            onnx = self.run.step("mitigate").get("onnx")
            return (
                f"the fair challenger is {onnx}" if onnx else "the fair challenger has no ONNX form"
            )
        skipped = self.run.step("skew").get("skipped")
        return str(skipped) if skipped else None

    @property
    def evidence(self) -> Evidence:
        """The version's evidence (events and hash approvals bind to)."""
        return self.check.evidence

    @property
    def aliases(self) -> list[str]:
        """Aliases pointing at this version now, from the model's alias moves in the ledger."""
        current: dict[str, str] = {}
        for event in self.lifecycle:
            if event.kind in ("alias_set", "model_rolled_back") and "alias" in event.payload:
                current[str(event.payload.get("alias"))] = str(event.payload.get("version"))
        return sorted(a for a, v in current.items() if v == str(self.ref.version))


def gather_version_facts(config: BoucleConfig, version: str = "champion") -> VersionFacts:
    """Read the facts of ``version`` (number or alias) of the project's model.

    Raises :class:`LedgerError` when the ledger's chain is broken or empty and
    :class:`IntegrityError` when a run manifest no longer matches its ledger record.
    """
    from boucle.governance.approvals import approvals_of
    from boucle.governance.promote import check_promotion
    from boucle.ledger import Ledger
    from boucle.runner.session import open_store

    # The checklist exactly as `boucle promote --dry-run` judges it (read only); it resolves
    # the version in the registry and reads its evidence. The chain is read after it, so
    # every evidence event is at or before the head the document states.
    check = check_promotion(config, version)
    ref = check.ref
    with Ledger(config.stores.ledger or "") as ledger:
        chain = tuple(ledger.events())
        state = ledger.verify()
        if not state.ok:
            raise LedgerError(
                f"the audit ledger is broken at event {state.first_bad_index}: {state.reason}. "
                "A document built from it would certify altered facts; nothing was written.",
                hint="Run `boucle audit verify`, restore the ledger from a backup, then "
                "generate the document again.",
            )
        if not chain:
            raise LedgerError(
                f"the audit ledger {ledger.url} is empty.",
                hint="Point stores.ledger at the project's ledger, or `boucle run` first.",
            )
        approvals = tuple(approvals_of(ledger, ref.model, ref.version))
    store = open_store(config)
    runs = _RunReader(config, chain)
    run = runs.record(ref.run_id) if ref.run_id else RunRecord("", None, None, None, {})
    evidence = check.evidence
    evaluated_by = _evaluated_by(ref)
    return VersionFacts(
        config=config,
        ref=ref,
        head=LedgerHead(hash=chain[-1].hash, count=len(chain)),
        chain=chain,
        check=check,
        registered=_registered(chain, ref),
        run=run,
        evaluation=_report(
            store, run.step(evaluated_by).get("evaluation_digest"), run.sources(evaluated_by)
        ),
        validation=_event_report(store, evidence.latest("data_validated")),
        explanation=_event_report(store, evidence.latest("explained")),
        fairness=_event_report(store, evidence.latest("fairness_checked")),
        robustness=_robustness_report(store, runs, evidence.latest("robustness_checked")),
        approvals=approvals,
        lifecycle=tuple(e for e in chain if e.kind in LIFECYCLE_KINDS and _of_model(e, ref.model)),
        monitoring=tuple(e for e in chain if e.kind in MONITORING_KINDS and _of_version(e, ref)),
        documents=tuple(
            e for e in chain if e.kind == "documents_generated" and _names_version(e, ref)
        ),
        mitigation=None
        if ref.mitigation_of is None
        else _report(store, run.step("mitigate").get("thresholds_digest"), run.sources("mitigate")),
    )


def _evaluated_by(ref: VersionRef) -> str:
    return "evaluate" if ref.mitigation_of is None else "mitigate"


class _RunReader:
    """Run manifests (via :func:`boucle.api.show`) checked against their ledger events."""

    def __init__(self, config: BoucleConfig, chain: tuple[LedgerEvent, ...]) -> None:
        self._config = config
        self._chain = chain
        self._records: dict[str, RunRecord] = {}

    def record(self, run_id: str) -> RunRecord:
        if run_id not in self._records:
            self._records[run_id] = self._read(run_id)
        return self._records[run_id]

    def _read(self, run_id: str) -> RunRecord:
        from boucle import api
        from boucle.hashing import hash_json

        events = [e for e in self._chain if e.run_id == run_id]
        started = next((e for e in events if e.kind == "run_started"), None)
        finished = next((e for e in events if e.kind == "run_finished"), None)
        steps = {
            str(e.payload.get("step")): e
            for e in events
            if e.kind in ("step_finished", "step_cached")
        }
        try:
            manifest: dict[str, Any] | None = api.show(run_id, self._config)
        except BoucleError:
            manifest = None  # not in the store any more: the facts it held are not recorded
        except ValueError as exc:
            raise IntegrityError(
                f"the manifest of run {run_id} in the artifact store is not valid JSON: {exc}.",
                hint=f"The artifact store was altered: restore runs/{run_id}.json from a "
                "backup or an audit bundle (`boucle audit export`).",
            ) from exc
        if finished is not None and manifest is not None:
            recorded = finished.payload.get("manifest_hash")
            if recorded and hash_json(manifest) != recorded:
                raise IntegrityError(
                    f"the manifest of run {run_id} in the artifact store no longer matches "
                    f"the manifest_hash its run_finished event (#{finished.index}) recorded.",
                    hint="The artifact store was altered: restore runs/"
                    f"{run_id}.json from a backup or an audit bundle (`boucle audit export`).",
                )
        return RunRecord(run_id, manifest, started, finished, steps)


def _report(
    store: ArtifactStore, digest: object, sources: tuple[LedgerEvent, ...]
) -> StoredReport | None:
    """The JSON object stored under ``digest`` (verified by the store), or None when absent."""
    from boucle.errors import StoreError

    if not isinstance(digest, str) or not digest:
        return None
    try:
        document = json.loads(store.get_bytes(digest))
    except IntegrityError:
        raise
    except (StoreError, ValueError):
        return None
    return StoredReport(digest, document, sources) if isinstance(document, dict) else None


def _event_report(store: ArtifactStore, event: LedgerEvent | None) -> StoredReport | None:
    if event is None:
        return None
    return _report(store, event.payload.get("report_digest"), (event,))


def _robustness_report(
    store: ArtifactStore, runs: _RunReader, event: LedgerEvent | None
) -> StoredReport | None:
    """The report a ``robustness_checked`` names, else the one its run's manifest names.

    The robustness step's event names no digest (its manifest does); the fair challenger's
    (written by the mitigate step) does.
    """
    if event is None or event.run_id is None:
        return None
    if event.payload.get("report_digest"):
        return _event_report(store, event)
    run = runs.record(event.run_id)
    digest = run.step("robustness").get("report_digest")
    return _report(store, digest, (event, *run.sources("robustness")))


def _registered(chain: tuple[LedgerEvent, ...], ref: VersionRef) -> LedgerEvent | None:
    return next((e for e in chain if e.kind == "model_registered" and _names_version(e, ref)), None)


def _of_model(event: LedgerEvent, model: str) -> bool:
    return event.payload.get("model") == model


def _names_version(event: LedgerEvent, ref: VersionRef) -> bool:
    payload = event.payload
    version = payload.get("challenger_version", payload.get("version"))
    return payload.get("model") == ref.model and str(version) == str(ref.version)


def _of_version(event: LedgerEvent, ref: VersionRef) -> bool:
    """Monitoring of the version: its lineage's events, events naming the version, and the
    project-wide alerts (``boucle alerts check`` records them without a lineage)."""
    if ref.lineage_id is not None and event.lineage_id == ref.lineage_id:
        return True
    if event.kind == "alert_fired" and event.lineage_id is None:
        return True
    return _names_version(event, ref)
