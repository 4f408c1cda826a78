"""Audit bundles: one lineage's evidence in a zip an auditor verifies offline.

A bundle holds

* ``events.jsonl``: every ledger event of the lineage (its runs, steps, registrations,
  approvals, promotions…), complete, one canonical JSON object per line;
* ``runs/<run_id>.json``: the run manifests (every step's manifest), each checked against the
  ``manifest_hash`` its ``run_finished`` event recorded;
* ``artifacts/<blake3>``: every stored object the events and manifests name (snapshots,
  reports, ONNX files…), named by their own hash;
* ``manifest.json``: the *skeleton* of the whole ledger at export time — ``[index, prev_hash,
  hash]`` of every event, other lineages included, without their payloads — the head hash,
  the result of verifying the whole ledger at export (``ledger_verified``) and the blake3 of
  every file; ``manifest.blake3`` is the hash of ``manifest.json``.

:func:`verify_bundle` needs nothing but the zip: each exported event must hash to its stored
hash and sit at its index in the skeleton, the skeleton must link from the genesis hash to the
head, every file must match its hash, and the ledger must have verified at export: an event
altered in *another* lineage leaves this lineage's events and the skeleton intact, and only
the export-time check (which read every payload) can say so. Compare the head hash with one
obtained independently (the Annex IV document records it; ``boucle audit verify`` prints it)
to rule out a rewritten ledger.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boucle.errors import LedgerError
from boucle.hashing import blake3_hex, canonical_json, hash_json
from boucle.ledger.chain import GENESIS_HASH, LedgerEvent, VerifyResult, event_hash

__all__ = [
    "BUNDLE_FORMAT",
    "BundleCheck",
    "BundleContents",
    "build_bundle",
    "collect_lineage",
    "referenced_digests",
    "verify_bundle",
]

BUNDLE_FORMAT = "boucle.audit-bundle.v1"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class BundleContents:
    """What :func:`collect_lineage` selected: the events, their runs and the digests named."""

    lineage_id: str
    events: list[LedgerEvent]
    run_ids: list[str]
    versions: list[tuple[str, int]]


def collect_lineage(events: Iterable[LedgerEvent], lineage_id: str) -> BundleContents:
    """Every event of ``lineage_id``: tagged with it, of one of its runs, or naming one of its
    model versions (approvals, aliases, gates and promotions written outside a run)."""
    chain = list(events)
    runs = {e.run_id for e in chain if e.lineage_id == lineage_id and e.run_id}
    versions = {
        (str(e.payload.get("model")), version)
        for e in chain
        if e.lineage_id == lineage_id and e.kind == "model_registered"
        for version in [_version(e.payload.get("version"))]
        if version is not None
    }
    selected = [e for e in chain if _belongs(e, lineage_id, runs, versions)]
    if not selected:
        raise LedgerError(
            f"no ledger event belongs to lineage '{lineage_id}'.",
            hint="List lineages with `boucle runs` (column lineage) or `boucle audit log`.",
        )
    return BundleContents(lineage_id, selected, sorted(runs), sorted(versions))


def _version(value: Any) -> int | None:
    """A version number written as an int or as a string of digits (``"3"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _belongs(
    event: LedgerEvent, lineage_id: str, runs: set[str], versions: set[tuple[str, int]]
) -> bool:
    if event.lineage_id == lineage_id or (event.run_id is not None and event.run_id in runs):
        return True
    model, payload = event.payload.get("model"), event.payload
    for key in ("version", "challenger_version"):
        value = _version(payload.get(key))
        if value is not None and (str(model), value) in versions:
            return True
    return False


def referenced_digests(document: Any) -> set[str]:
    """Blake3 digests a payload or manifest names (``*_digest`` keys, ``artifacts`` lists)."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, str(name))
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif (
            isinstance(value, str)
            and _DIGEST.match(value)
            and (key.endswith("digest") or key == "artifacts")
        ):
            found.add(value)

    walk(document)
    return found


def build_bundle(
    contents: BundleContents,
    *,
    skeleton: list[tuple[int, str, str]],
    run_manifests: dict[str, bytes],
    fetch: Callable[[str], bytes | None],
    source: str,
    ledger_verified: VerifyResult | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """Build the zip (bytes, reproducible for the same input) and return it with its manifest.

    ``skeleton`` is ``(index, prev_hash, hash)`` of every ledger event, ``run_manifests`` the
    stored manifest of each run, ``fetch(digest)`` the verified bytes of a stored object
    (``None`` when the store no longer has it: listed as missing, never silently dropped).
    ``ledger_verified`` is the ledger's own verify result, taken with the skeleton; it is
    recorded in the manifest, and a broken one makes :func:`verify_bundle` fail. Without it the
    manifest has no ``ledger_verified`` and the check says "not recorded" (as for bundles
    written before the field existed).
    """
    from boucle.ledger.export import export_events

    events_bytes = export_events(contents.events, "jsonl").encode("utf-8")
    files: dict[str, bytes] = {"events.jsonl": events_bytes}
    digests: set[str] = set()
    for event in contents.events:
        digests |= referenced_digests(event.payload)
    for run_id, data in sorted(run_manifests.items()):
        files[f"runs/{run_id}.json"] = data
        digests |= referenced_digests(json.loads(data))
    missing: list[str] = []
    for digest in sorted(digests):
        blob = fetch(digest)
        if blob is None:
            missing.append(digest)
        else:
            files[f"artifacts/{digest}"] = blob
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "lineage_id": contents.lineage_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "ledger": {
            "count": len(skeleton),
            "head_hash": skeleton[-1][2] if skeleton else GENESIS_HASH,
            "skeleton": [list(row) for row in skeleton],
        },
        "events": [e.index for e in contents.events],
        "runs": contents.run_ids,
        "versions": [{"model": m, "version": v} for m, v in contents.versions],
        "missing_artifacts": missing,
        "files": {name: blake3_hex(data) for name, data in sorted(files.items())},
    }
    if ledger_verified is not None:
        manifest["ledger_verified"] = {
            "ok": ledger_verified.ok,
            "first_bad_index": ledger_verified.first_bad_index,
            "reason": ledger_verified.reason,
            "count": ledger_verified.count,
            "head": ledger_verified.last_hash,
        }
    manifest_bytes = canonical_json(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("manifest.json", manifest_bytes), *sorted(files.items())]:
            archive.writestr(_entry(name), data)
        archive.writestr(_entry("manifest.blake3"), blake3_hex(manifest_bytes) + "\n")
    return buffer.getvalue(), manifest


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@dataclass
class BundleCheck:
    """Outcome of :func:`verify_bundle`: ``ok`` or the problems found, first one first.

    ``ledger_at_export`` says what the manifest records of the whole ledger's own check at
    export: ``"ok"``, ``"broken at event N: reason"``, or ``"not recorded"`` (older bundles).
    """

    ok: bool
    lineage_id: str | None = None
    events: int = 0
    head_hash: str | None = None
    problems: list[str] = field(default_factory=list)
    first_bad_index: int | None = None
    ledger_at_export: str = "not recorded"


def verify_bundle(path: Path) -> BundleCheck:
    """Check a bundle with nothing but its own bytes (see the module docstring)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise LedgerError(
            f"cannot open audit bundle '{path}': {exc}.",
            hint="Give the .zip written by `boucle audit export`.",
        ) from exc
    with archive:
        names = set(archive.namelist())
        for required in ("manifest.json", "manifest.blake3", "events.jsonl"):
            if required not in names:
                return BundleCheck(False, problems=[f"{required} is missing from the bundle"])
        manifest_bytes = archive.read("manifest.json")
        check = BundleCheck(True)
        problems = check.problems
        stated = archive.read("manifest.blake3").decode("utf-8", "replace").strip()
        if blake3_hex(manifest_bytes) != stated:
            problems.append("manifest.json does not match manifest.blake3 (manifest altered)")
        manifest = json.loads(manifest_bytes)
        check.lineage_id = manifest.get("lineage_id")
        ledger = manifest.get("ledger", {})
        check.head_hash = ledger.get("head_hash")
        skeleton = [tuple(row) for row in ledger.get("skeleton", [])]
        problems.extend(_skeleton_problems(skeleton, check.head_hash))
        problems.extend(_ledger_state_problems(manifest, check))
        for name, digest in manifest.get("files", {}).items():
            if name not in names:
                problems.append(f"{name} is listed in the manifest but missing")
            elif blake3_hex(archive.read(name)) != digest:
                problems.append(f"{name} does not match its hash in the manifest (file altered)")
            elif name.startswith("artifacts/") and name.split("/", 1)[1] != digest:
                problems.append(f"{name} is not the object its name says")
        events = list(_events(archive.read("events.jsonl")))
        check.events = len(events)
        if [e.get("index") for e in events] != manifest.get("events"):
            problems.append("events.jsonl does not hold the events the manifest lists")
        for event in events:
            problem = _event_problem(event, skeleton)
            if problem is not None:
                problems.append(problem)
                if check.first_bad_index is None:
                    check.first_bad_index = int(event.get("index", -1))
        problems.extend(_run_problems(archive, events, names))
    check.ok = not problems
    return check


def _skeleton_problems(skeleton: list[tuple[Any, ...]], head: str | None) -> list[str]:
    previous = GENESIS_HASH
    for position, row in enumerate(skeleton):
        index, prev_hash, hash_ = row
        if index != position:
            return [f"ledger skeleton: index {index} at position {position} (rows removed)"]
        if prev_hash != previous:
            return [f"ledger skeleton: event {index} does not link to event {index - 1}"]
        previous = hash_
    if skeleton and previous != head:
        return ["ledger skeleton: the last hash is not the head hash"]
    return []


def _ledger_state_problems(manifest: dict[str, Any], check: BundleCheck) -> list[str]:
    """What the recorded export-time verify says; sets ``check.ledger_at_export``."""
    state = manifest.get("ledger_verified")
    if state is None:
        return []  # a bundle written before the field existed: "not recorded"
    if not isinstance(state, dict) or not isinstance(state.get("ok"), bool):
        check.ledger_at_export = "unreadable"
        return ["manifest.json: ledger_verified is not an object with a boolean 'ok'"]
    ledger = manifest.get("ledger", {})
    recorded = (state.get("count"), state.get("head") or GENESIS_HASH)
    if state["ok"]:
        check.ledger_at_export = "ok"
        if recorded != (ledger.get("count"), ledger.get("head_hash")):
            return [
                f"manifest.json: the ledger verified at export had {state.get('count')} events "
                f"up to head {state.get('head')}, but the skeleton has {ledger.get('count')} "
                f"up to {ledger.get('head_hash')} (manifest altered)"
            ]
        return []
    index = state.get("first_bad_index")
    reason = state.get("reason") or f"event {index}: no reason recorded"
    check.ledger_at_export = f"broken ({reason})"
    if check.first_bad_index is None and isinstance(index, int):
        check.first_bad_index = index
    return [
        f"{reason}: the ledger was already broken at event {index} when this bundle was "
        "exported (the event may belong to another lineage and not be in the bundle)"
    ]


def _events(data: bytes) -> Iterator[dict[str, Any]]:
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def _event_problem(event: dict[str, Any], skeleton: list[tuple[Any, ...]]) -> str | None:
    index = event.get("index")
    if not isinstance(index, int) or not 0 <= index < len(skeleton):
        return f"event {index}: not in the ledger skeleton"
    try:
        recomputed = event_hash(
            index=index,
            time=event["time"],
            kind=event["kind"],
            lineage_id=event["lineage_id"],
            run_id=event["run_id"],
            actor=event["actor"],
            payload=event["payload"],
            prev_hash=event["prev_hash"],
        )
    except (KeyError, TypeError, ValueError):
        return f"event {index}: fields missing or not hashable (event altered)"
    if recomputed != event.get("hash"):
        return f"event {index}: hash mismatch (event altered)"
    _, prev_hash, hash_ = skeleton[index]
    if (prev_hash, hash_) != (event["prev_hash"], event["hash"]):
        return f"event {index}: not the event the ledger skeleton holds at that index"
    return None


def _run_problems(
    archive: zipfile.ZipFile, events: list[dict[str, Any]], names: set[str]
) -> list[str]:
    problems = []
    for event in events:
        if event.get("kind") != "run_finished":
            continue
        expected = event.get("payload", {}).get("manifest_hash")
        name = f"runs/{event.get('run_id')}.json"
        if expected is None or name not in names:
            continue
        if hash_json(json.loads(archive.read(name))) != expected:
            problems.append(f"{name} does not match the manifest_hash of its run_finished event")
    return problems
