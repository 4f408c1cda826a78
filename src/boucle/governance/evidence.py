"""The evidence of a registered version, read from the ledger, and the hash approvals bind to.

A version's evidence is:

* the ``explained``, ``fairness_checked``, ``robustness_checked`` and ``skew_checked`` events
  of its lineage (MLflow tag ``boucle.lineage_id``) that are *its own*. An event naming a
  version in its payload (``model`` and ``version``, as the ``mitigate`` step writes for the
  fair challenger it registers) is the evidence of that version only; an event naming none
  is the evidence of the version the run trained, never of a fair challenger
  (:attr:`VersionRef.mitigation_of`), which shares the lineage but not the model;
* the ``data_validated`` event of the data gate its training data passed (matched by the
  report digest in its run's manifest, since the data gate runs before the lineage is known);
* the ``gate_evaluated`` (as challenger), ``model_exported`` and ``model_export_blocked``
  events naming the version.

The evidence hash is blake3 over the model digest, those events' hashes in chain order and the
recorded classification (risk class + use-case hash). Any new evidence changes it, so an
approval given earlier stops counting.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.hashing import hash_json

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger, LedgerEvent

__all__ = [
    "EVIDENCE_KINDS",
    "Evidence",
    "VersionRef",
    "collect_evidence",
    "evidence_hash",
    "resolve_version_ref",
]

EVIDENCE_KINDS = (
    "data_validated",
    "explained",
    "fairness_checked",
    "robustness_checked",
    "skew_checked",
    "gate_evaluated",
    "model_exported",
    "model_export_blocked",
)
_LINEAGE_KINDS = ("explained", "fairness_checked", "robustness_checked", "skew_checked")


@dataclass(frozen=True)
class VersionRef:
    """A registered version and the ids that link it to its evidence."""

    model: str
    version: int
    model_digest: str
    lineage_id: str | None = None
    run_id: str | None = None
    validation_digest: str | None = None
    """Digest of the data-gate report its training data passed (from the run manifest)."""
    mitigation_of: int | None = None
    """The base version of a fair challenger (MLflow tags ``boucle.mitigation`` and
    ``boucle.base_version``); None for a version the loop trained."""


@dataclass(frozen=True)
class Evidence:
    """The evidence events of one version (chain order), its classification and its hash."""

    ref: VersionRef
    events: tuple[LedgerEvent, ...]
    classification: LedgerEvent | None
    hash: str

    def latest(self, kind: str) -> LedgerEvent | None:
        """The most recent evidence event of ``kind``."""
        return next((e for e in reversed(self.events) if e.kind == kind), None)

    def newer_than(self, index: int) -> list[LedgerEvent]:
        """Evidence (and classification) events appended after ledger index ``index``."""
        newer = [e for e in self.events if e.index > index]
        if self.classification is not None and self.classification.index > index:
            newer.append(self.classification)
        return sorted(newer, key=lambda e: e.index)

    def counts(self) -> dict[str, int]:
        """How many events of each kind the evidence holds."""
        return dict(Counter(e.kind for e in self.events))


def evidence_hash(
    model_digest: str, event_hashes: list[str], classification: dict[str, Any] | None
) -> str:
    """blake3 over the model digest, the evidence event hashes and the classification."""
    return hash_json(
        {"model_digest": model_digest, "events": event_hashes, "classification": classification}
    )


def collect_evidence(ledger: Ledger, ref: VersionRef) -> Evidence:
    """Read the evidence of ``ref`` from the ledger (see the module docstring)."""
    found: dict[int, LedgerEvent] = {}
    if ref.lineage_id:
        for event in ledger.events(lineage_id=ref.lineage_id):
            if event.kind in _LINEAGE_KINDS and _binds_to(event, ref):
                found[event.index] = event
    for event in ledger.events(kind="data_validated"):
        if _feeds_version(event, ref):
            found[event.index] = event
    for kind in ("gate_evaluated", "model_exported", "model_export_blocked"):
        for event in ledger.events(kind=kind):
            if _names_version(event, ref):
                found[event.index] = event
    events = tuple(found[index] for index in sorted(found))
    classified = ledger.events(kind="use_case_classified")
    classification = classified[-1] if classified else None
    summary = (
        None
        if classification is None
        else {k: classification.payload.get(k) for k in ("risk_class", "use_case_hash")}
    )
    digest = evidence_hash(ref.model_digest, [e.hash for e in events], summary)
    return Evidence(ref=ref, events=events, classification=classification, hash=digest)


def _binds_to(event: LedgerEvent, ref: VersionRef) -> bool:
    """Whether a lineage event is evidence of ``ref`` (see the module docstring)."""
    if "version" not in event.payload:
        return ref.mitigation_of is None
    return _names_version(event, ref)


def _feeds_version(event: LedgerEvent, ref: VersionRef) -> bool:
    if ref.validation_digest is not None:
        return bool(event.payload.get("report_digest") == ref.validation_digest)
    # No manifest to read the digest from: the data gate of the version's own run.
    return ref.run_id is not None and event.run_id == ref.run_id


def _names_version(event: LedgerEvent, ref: VersionRef) -> bool:
    payload = event.payload
    version = payload.get("challenger_version" if event.kind == "gate_evaluated" else "version")
    return payload.get("model") == ref.model and str(version) == str(ref.version)


def resolve_version_ref(config: BoucleConfig, version: str) -> VersionRef:
    """Resolve a version number or alias of the project's model to a :class:`VersionRef`.

    The registry supplies the lineage id, run id and model digest (MLflow tags set by the
    register step); the run's manifest in the artifact store supplies the data-gate report.
    """
    from boucle.errors import BoucleError
    from boucle.registry import resolve_version
    from boucle.runner.session import open_store, run_manifest_path

    info = resolve_version(config.stores.tracking or "", config.project, version)
    run_id = info.boucle_run_id or None
    base = info.tags.get("boucle.base_version", "")
    validation = None
    if run_id is not None:
        try:
            manifest = json.loads(open_store(config).read_bytes(run_manifest_path(run_id)))
            validate = manifest.get("steps", {}).get("validate", {}).get("manifest", {})
            validation = validate.get("report_digest")
        except (BoucleError, ValueError):
            validation = None  # no manifest: fall back to the run's own data_validated event
    return VersionRef(
        model=info.model_name,
        version=int(info.version),
        model_digest=info.tags.get("boucle.model_digest", ""),
        lineage_id=info.tags.get("boucle.lineage_id") or None,
        run_id=run_id,
        validation_digest=validation,
        mitigation_of=int(base) if info.tags.get("boucle.mitigation") and base.isdigit() else None,
    )
