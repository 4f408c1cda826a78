"""Model versions: resolve an alias or a number to a version, tag it, attach files."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boucle.errors import TrackingError
from boucle.registry.mlflow_bridge import mlflow_session

__all__ = ["ModelVersionInfo", "attach_files", "resolve_version", "split_ref", "tag_version"]


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered version: its number, aliases, tags and the MLflow run that made it."""

    model_name: str
    version: str
    aliases: tuple[str, ...]
    tags: dict[str, str]
    mlflow_run_id: str

    @property
    def boucle_run_id(self) -> str:
        """The boucle run that trained this version (``boucle.run_id`` tag)."""
        return self.tags.get("boucle.run_id", "")


def resolve_version(tracking_uri: str, model_name: str, ref: str) -> ModelVersionInfo:
    """Resolve ``ref`` — an alias (``champion``), a version (``3``) or ``name@alias`` / ``name/3``.

    Raises :class:`TrackingError` naming the known aliases and versions when it does not exist.
    """
    name, tail = split_ref(model_name, ref)
    with mlflow_session(tracking_uri):
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=tracking_uri)
        try:
            found = (
                client.get_model_version(name, tail)
                if tail.isdigit()
                else client.get_model_version_by_alias(name, tail)
            )
        except MlflowException as exc:
            raise TrackingError(
                f"model '{name}' has no version or alias '{tail}' in {tracking_uri}.",
                hint=f"Known: {_known(client, name)}. Run `boucle run` to register a version.",
            ) from exc
        return ModelVersionInfo(
            model_name=name,
            version=str(found.version),
            aliases=tuple(found.aliases or ()),
            tags=dict(found.tags or {}),
            mlflow_run_id=str(found.run_id),
        )


def split_ref(model_name: str, ref: str) -> tuple[str, str]:
    """``(model, alias or version)`` of a ref: ``champion``, ``3``, ``name@alias``, ``name/3``."""
    name, _, tail = ref.rpartition("@") if "@" in ref else ref.rpartition("/")
    return (name or model_name), (tail or ref)


def tag_version(tracking_uri: str, model_name: str, version: str, tags: dict[str, str]) -> None:
    """Set tags on a model version (e.g. ``boucle.onnx_digest``); boucle's alias cache follows."""
    from boucle.registry.alias_cache import write_alias_cache

    with mlflow_session(tracking_uri):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri)
        for key, value in tags.items():
            client.set_model_version_tag(model_name, version, key, value)
        write_alias_cache(client, tracking_uri, model_name)  # e.g. a new boucle.onnx_digest


def attach_files(
    tracking_uri: str,
    mlflow_run_id: str,
    files: dict[str, bytes],
    *,
    folder: str,
    storage_options: dict[str, Any] | None = None,
) -> None:
    """Log ``files`` (name → bytes) as artifacts of an MLflow run, under ``folder``."""
    from boucle.registry.mlflow_bridge import s3_environment

    with mlflow_session(tracking_uri), s3_environment(storage_options or {}):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri)
        with tempfile.TemporaryDirectory(prefix="boucle-attach-") as staging:
            for name, data in files.items():
                (Path(staging) / name).write_bytes(data)
            client.log_artifacts(mlflow_run_id, staging, artifact_path=folder)


def _known(client: Any, name: str) -> str:
    try:
        model = client.get_registered_model(name)
    except Exception:  # the model itself is unknown: say so rather than fail again
        return f"no registered model '{name}'"
    versions = [str(v.version) for v in client.search_model_versions(f"name = '{name}'")]
    aliases = ", ".join(f"{a}→v{v}" for a, v in dict(model.aliases).items()) or "no aliases"
    return f"versions {', '.join(sorted(versions, key=int)) or 'none'}; {aliases}"
