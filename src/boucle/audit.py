"""``boucle audit export``: one lineage's events, run manifests and artifacts as a zip.

The zip format and its offline check live in :mod:`boucle.ledger.bundle`; this module takes
them from a project's stores. The ledger is verified first and the result is stated in the
returned :class:`AuditExport` and in the bundle's manifest (an altered ledger is still
exported, as it is: hiding it would help nobody, and the bundle's own check names the altered
event, even when that event belongs to another lineage and is not in the bundle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, LedgerError, StoreError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import VerifyResult

__all__ = ["AuditExport", "export_lineage"]


@dataclass(frozen=True)
class AuditExport:
    """Where the bundle went, what it holds, and the state of the ledger it came from."""

    path: Path
    lineage_id: str
    events: int
    runs: int
    artifacts: int
    missing_artifacts: list[str]
    head_hash: str
    ledger: VerifyResult
    bundle_hash: str


def export_lineage(config: BoucleConfig, lineage_id: str, out: Path | str) -> AuditExport:
    """Write the audit bundle of ``lineage_id`` to ``out`` (a .zip; never overwritten)."""
    from boucle.hashing import blake3_hex
    from boucle.ledger.bundle import build_bundle, collect_lineage
    from boucle.runner.session import open_ledger, open_store, run_manifest_path
    from boucle.store._local import write_atomic

    target = Path(out)
    if target.suffix.lower() != ".zip":
        raise BoucleError(
            f"audit bundle path '{target}' does not end in .zip.",
            hint="Name the output file like bundle.zip.",
        )
    if target.exists():
        raise BoucleError(
            f"'{target}' already exists; an audit bundle is never overwritten.",
            hint="Choose another --out path, or move the old bundle away first.",
        )
    with open_ledger(config) as ledger:
        state = ledger.verify()
        chain = ledger.events()
    contents = collect_lineage(chain, lineage_id)
    skeleton = [(e.index, e.prev_hash, e.hash) for e in chain]
    store = open_store(config)
    manifests: dict[str, bytes] = {}
    for run_id in contents.run_ids:
        try:
            manifests[run_id] = store.read_bytes(run_manifest_path(run_id))
        except StoreError:
            continue  # a run that failed before writing its manifest: its events say so

    def fetch(digest: str) -> bytes | None:
        try:
            return store.get_bytes(digest)
        except StoreError:
            return None

    data, manifest = build_bundle(
        contents,
        skeleton=skeleton,
        run_manifests=manifests,
        fetch=fetch,
        source=f"{config.project} ({ledger.url})",
        ledger_verified=state,
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(str(target.absolute()), [data])
    except OSError as exc:
        raise BoucleError(
            f"cannot write the audit bundle to '{target}': {exc.strerror or exc}.",
            hint="Choose a writable folder for --out.",
        ) from exc
    files: dict[str, Any] = manifest["files"]
    return AuditExport(
        path=target,
        lineage_id=lineage_id,
        events=len(contents.events),
        runs=len(manifests),
        artifacts=sum(1 for name in files if name.startswith("artifacts/")),
        missing_artifacts=list(manifest["missing_artifacts"]),
        head_hash=str(manifest["ledger"]["head_hash"]),
        ledger=state,
        bundle_hash=blake3_hex(data),
    )


def lineage_of_version(config: BoucleConfig, ref: str) -> str:
    """The lineage id of a registered version (alias or number), from its registry tags."""
    from boucle.registry import resolve_version

    info = resolve_version(config.stores.tracking or "", config.project, ref)
    lineage = info.tags.get("boucle.lineage_id")
    if not lineage:
        raise LedgerError(
            f"version {info.version} of '{info.model_name}' has no lineage id tag.",
            hint="Versions registered by `boucle run` carry boucle.lineage_id; give --lineage.",
        )
    return str(lineage)


def describe(export: AuditExport) -> dict[str, Any]:
    """A JSON-ready summary of an export (for ``--json`` and logs)."""
    return {
        "path": str(export.path),
        "lineage_id": export.lineage_id,
        "events": export.events,
        "runs": export.runs,
        "artifacts": export.artifacts,
        "missing_artifacts": export.missing_artifacts,
        "head_hash": export.head_hash,
        "bundle_blake3": export.bundle_hash,
        "ledger_ok": export.ledger.ok,
        "ledger_first_bad_index": export.ledger.first_bad_index,
    }
