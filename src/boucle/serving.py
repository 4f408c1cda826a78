"""From the registry to a running server: load verified ONNX models for ``boucle serve``.

Each alias in ``serve.routes`` (and the shadow) is resolved in the registry; its ONNX file is
read from the artifact store by the digest the registry recorded (``boucle.onnx_digest``), so
the bytes are hash-verified twice: by the store on read and by the server before loading.
A version with no ONNX form (feature functions, a model without converter, a fair challenger)
gets its native model instead, on the flagged Python path (:mod:`boucle.serve.native`).
The categories seen in training come from the version's reference profile (the ``reference``
step profiles the training rows), so that the server can refuse a category the model never saw.

The registry is MLflow, whose client takes about 150 MiB of resident memory once imported and
never gives it back, and seconds to import, while a server needs a handful of facts from it
(version number, tags). So the serving process never imports MLflow nor pandas:

* **it starts from boucle's last-known registry state**: the alias cache boucle writes
  itself whenever it registers, exports, promotes or rolls back
  (:mod:`boucle.registry.alias_cache`, ``<stores.root>/registry/<model>.json``), read in a
  millisecond;
* **and reconciles within seconds**: once serving, the aliases are resolved in the registry
  itself, in a short-lived child process (``python -m boucle.serving``) that refreshes the
  cache and exits (:func:`reload_served_models`); if the registry disagrees (an alias moved
  outside boucle, e.g. in the MLflow UI), a warning is logged and the models are swapped as
  by ``POST /admin/reload``. Without a usable cache (none yet, another tracking store, a
  damaged file, a ref it lacks, a non-SQLite registry) the child process is asked first.

The rest (run manifest, profile, ONNX bytes) is read here from the artifact store, which is
light.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle import errors
from boucle.errors import BoucleError, ConfigError, StoreError, TrackingError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.registry import ModelVersionInfo
    from boucle.serve import ServeConfig, ServedModel
    from boucle.store import ArtifactStore

__all__ = [
    "build_serve_config",
    "load_served_models",
    "reload_served_models",
    "resolve_in_registry",
    "resolve_versions",
    "training_categories",
]

_log = logging.getLogger("boucle.serve")
#: Longest wait for the registry lookup (MLflow's import alone takes a few seconds).
RESOLVE_TIMEOUT_S = 300


def build_serve_config(config: BoucleConfig) -> ServeConfig:
    """Validate the ``serve:`` section of boucle.yaml; the prediction log goes in the store."""
    from pydantic import ValidationError

    from boucle.serve import ServeConfig

    section: dict[str, Any] = dict(config.serve)
    root = config.stores.root
    if "log_dir" not in section and "://" not in root:
        section["log_dir"] = f"{root}/predictions"
    try:
        return ServeConfig.model_validate(section)
    except ValidationError as exc:
        problems = "; ".join(
            f"serve.{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        raise ConfigError(
            f"invalid serve section in {config.path}: {problems}.",
            hint="See docs/serving.md for the keys (routes, shadow, sticky_key, ...).",
        ) from None


def load_served_models(config: BoucleConfig, serve: ServeConfig) -> list[ServedModel]:
    """The ServedModel of every alias the routes and the shadow name."""
    from boucle.runner.session import open_store, run_manifest_path
    from boucle.serve import ServedModel

    aliases = serve.routing().aliases
    store = open_store(config)
    onnx: dict[str, bytes] = {}  # champion and challenger are often one version: one copy
    models = []
    for alias, info in zip(aliases, resolve_versions(config, aliases), strict=True):
        run_id = info.boucle_run_id
        try:
            manifest = json.loads(store.read_bytes(run_manifest_path(run_id)))
            train = manifest["steps"]["train"]["manifest"]
        except (StoreError, KeyError, TypeError, ValueError) as exc:
            raise StoreError(
                f"the run '{run_id}' that trained version {info.version} of "
                f"'{info.model_name}' ({alias}) has no readable manifest in {store.root}: {exc}.",
                hint="Serve with the stores.root the version was trained with, or re-run "
                "`boucle run` to register a new version.",
            ) from exc
        categories = training_categories(store, manifest)
        if categories is None:
            _log.warning(
                "version %s of %r has no reference profile: unseen categories are accepted",
                info.version,
                info.model_name,
            )
        digest = info.tags.get("boucle.onnx_digest")
        runtime: dict[str, Any] = {
            "model_digest": info.tags.get("boucle.model_digest") or train.get("model_digest")
        }
        if digest:
            if digest not in onnx:
                onnx[digest] = store.get_bytes(digest)  # verified against the digest on read
            runtime.update(onnx_bytes=onnx[digest], expected_hash=digest)
        else:
            runtime.update(_python_path(store, manifest, info, alias, serve))
        models.append(
            ServedModel(
                alias=alias,
                name=info.model_name,
                version=info.version,
                **runtime,
                task_kind=train["kind"],
                classes=tuple(train["classes"]) if train.get("classes") else None,
                positive_class=train.get("positive_class"),
                lineage_id=info.tags.get("boucle.lineage_id") or None,
                categories=categories,
                background_digest=_background_digest(manifest),
                store=store,
            )
        )
    return models


def _python_path(
    store: ArtifactStore,
    manifest: dict[str, Any],
    info: ModelVersionInfo,
    alias: str,
    serve: ServeConfig,
) -> dict[str, Any]:
    """The ServedModel fields of a version without ONNX: its native model, if allowed.

    A fair challenger's native model is its skops file, which ``POST /explain`` (a joblib
    pipeline's SHAP) cannot read: its explanation is its base's, cited in its documents.
    """
    from boucle.serve.native import native_pipeline

    label = f"version {info.version} of '{info.model_name}' ({alias})"
    native = native_pipeline(
        store, manifest, info, label=label, fallback=serve.python_fallback, ref=alias
    )
    fields: dict[str, Any] = {
        "onnx_bytes": b"",
        "expected_hash": native.digest,
        "runtime": "python",
        "native_bytes": native.data,
        "native_format": native.format,
        "labels_from": native.labels_from,
        "inputs": native.inputs,
    }
    if native.format == "skops":
        fields["model_digest"] = None
    return fields


def _background_digest(manifest: dict[str, Any]) -> str | None:
    """The explain step's background sample of a run (``None`` without an explain step)."""
    explain = manifest.get("steps", {}).get("explain", {}).get("manifest") or {}
    digest = explain.get("background_digest")
    return str(digest) if digest else None


def training_categories(
    store: ArtifactStore, manifest: dict[str, Any]
) -> dict[str, tuple[str, ...]] | None:
    """Per categorical feature, the categories seen in the training rows of a run.

    They are read from the run's reference profile (``steps.reference``), which lists every
    category of a feature with at most 10,000 of them; a feature with more is left out (any
    value accepted). ``None`` when the run has no reference profile.
    """
    reference = manifest.get("steps", {}).get("reference", {}).get("manifest")
    if not reference or not reference.get("reference_digest"):
        return None
    try:
        profile = json.loads(store.get_bytes(reference["reference_digest"]))
        features = profile["features"]
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(
            f"the reference profile {reference['reference_digest']} is not readable: {exc}.",
            hint="Re-run `boucle run` to rebuild it.",
        ) from exc
    return {
        str(entry["name"]): tuple(str(value) for value in entry["seen"])
        for entry in features
        if entry.get("kind") == "categorical" and entry.get("seen")
    }


def resolve_versions(config: BoucleConfig, refs: list[str]) -> list[ModelVersionInfo]:
    """Resolve ``refs`` (aliases or versions): from boucle's alias cache, else in the registry.

    The cache is boucle's last-known registry state (:mod:`boucle.registry.alias_cache`):
    when it answers every ref, no process is started and MLflow is not touched; a server
    built from it checks it with :func:`reload_served_models` once it is up. Otherwise (no
    cache, another tracking store, a damaged file, a ref it lacks) the refs are resolved by
    :func:`resolve_in_registry`, which also rewrites the cache.
    """
    cached = _resolve_from_cache(config, refs)
    if cached is not None:
        return cached
    return resolve_in_registry(config, refs)


def reload_served_models(config: BoucleConfig, serve: ServeConfig) -> list[ServedModel]:
    """The models the registry serves now: the cache refreshed from the registry, then loaded.

    What ``POST /admin/reload`` and the reconciliation after start call: the child process
    rewrites boucle's cache with the registry's current state, and
    :func:`load_served_models` then reads it (or, with no cache for this tracking store,
    asks the registry itself).
    """
    from boucle.registry.alias_cache import alias_cache_path

    if alias_cache_path(config.stores.tracking or "", config.project) is not None:
        resolve_in_registry(config, serve.routing().aliases)  # rewrites the cache it reads
    return load_served_models(config, serve)


def _resolve_from_cache(config: BoucleConfig, refs: list[str]) -> list[ModelVersionInfo] | None:
    """Every ref resolved from the alias cache, or ``None`` if one of them is not in it."""
    from boucle.registry.alias_cache import alias_cache_path, read_alias_cache
    from boucle.registry.versions import split_ref

    tracking = config.stores.tracking or ""
    snapshots = {}
    found = []
    for ref in refs:
        name, _ = split_ref(config.project, ref)
        if name not in snapshots:
            snapshots[name] = read_alias_cache(tracking, name)
        snapshot = snapshots[name]
        info = snapshot.lookup(ref) if snapshot is not None else None
        if info is None:
            if snapshot is not None:
                _log.info("boucle's registry cache of %r has no %r: asking the registry", name, ref)
            return None
        found.append(info)
    _log.info(
        "resolved %s from boucle's registry cache %s (its last-known registry state)",
        ", ".join(f"{ref}=v{info.version}" for ref, info in zip(refs, found, strict=True)),
        ", ".join(str(alias_cache_path(tracking, name)) for name in snapshots),
    )
    return found


def resolve_in_registry(config: BoucleConfig, refs: list[str]) -> list[ModelVersionInfo]:
    """Resolve ``refs`` in the registry itself, in a child process that also rewrites the cache.

    Raises the registry's own error (a :class:`~boucle.errors.TrackingError` naming the
    unknown alias and the known ones) as if it had been raised here.
    """
    from boucle.registry import ModelVersionInfo

    _log.info("resolving %s in the registry (child process)", ", ".join(refs))

    request = {"tracking": config.stores.tracking or "", "model": config.project, "refs": refs}
    with tempfile.TemporaryDirectory(prefix="boucle-resolve-") as folder:
        result_path = Path(folder) / "versions.json"
        try:
            done = subprocess.run(
                [sys.executable, "-m", "boucle.serving", str(result_path)],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                timeout=RESOLVE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TrackingError(
                f"resolving {', '.join(refs)} in the registry {request['tracking']} failed: {exc}.",
                hint="Check that the MLflow tracking store is reachable (stores.tracking).",
            ) from exc
        if not result_path.is_file():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise TrackingError(
                f"resolving {', '.join(refs)} in the registry failed (the lookup process "
                f"exited with code {done.returncode}: {last}).",
                hint="Check that the MLflow tracking store is reachable (stores.tracking).",
            )
        result = json.loads(result_path.read_text(encoding="utf-8"))
    if "error" in result:
        error = result["error"]
        kind = getattr(errors, str(error["class"]), BoucleError)
        if (
            not (isinstance(kind, type) and issubclass(kind, BoucleError))
            or kind is errors.StepError
        ):
            kind = BoucleError
        raise kind(error["message"], hint=error["hint"])
    return [
        ModelVersionInfo(
            model_name=v["model_name"],
            version=v["version"],
            aliases=tuple(v["aliases"]),
            tags=dict(v["tags"]),
            mlflow_run_id=v["mlflow_run_id"],
        )
        for v in result["versions"]
    ]


def _resolve_in_child(result_path: str) -> None:
    """The child side of :func:`resolve_in_registry`: request on stdin, result in a JSON file.

    The alias cache of every model named is rewritten from the registry first, so that the
    parent (and the next ``boucle serve``) reads the registry's current state from it.
    """
    from boucle.registry import resolve_version
    from boucle.registry.alias_cache import write_alias_cache
    from boucle.registry.mlflow_bridge import mlflow_session
    from boucle.registry.versions import split_ref
    from boucle.store._local import write_atomic

    request = json.loads(sys.stdin.read())
    tracking, model = request["tracking"], request["model"]
    try:
        with mlflow_session(tracking):
            from mlflow import MlflowClient

            client = MlflowClient(tracking_uri=tracking)
            for name in dict.fromkeys(split_ref(model, ref)[0] for ref in request["refs"]):
                write_alias_cache(client, tracking, name)
        versions = [asdict(resolve_version(tracking, model, ref)) for ref in request["refs"]]
        result: dict[str, Any] = {"versions": versions}
    except BoucleError as exc:
        result = {"error": {"class": type(exc).__name__, "message": exc.message, "hint": exc.hint}}
    write_atomic(os.fspath(result_path), [json.dumps(result).encode("utf-8")])


if __name__ == "__main__":
    _resolve_in_child(sys.argv[1])
