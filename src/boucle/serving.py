"""From the registry to a running server: load verified ONNX models for ``boucle serve``.

Each alias in ``serve.routes`` (and the shadow) is resolved in the registry; its ONNX file is
read from the artifact store by the digest the registry recorded (``boucle.onnx_digest``), so
the bytes are hash-verified twice: by the store on read and by the server before loading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, ConfigError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.serve import ServeConfig, ServedModel

__all__ = ["build_serve_config", "load_served_models"]


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
    from boucle.api import show
    from boucle.registry import resolve_version
    from boucle.runner.session import open_store
    from boucle.serve import ServedModel

    aliases = [route.alias for route in serve.routes]
    if serve.shadow is not None and serve.shadow not in aliases:
        aliases.append(serve.shadow)
    store = open_store(config)
    models = []
    for alias in aliases:
        info = resolve_version(config.stores.tracking or "", config.project, alias)
        digest = info.tags.get("boucle.onnx_digest")
        if not digest:
            raise BoucleError(
                f"version {info.version} of '{info.model_name}' ({alias}) has no ONNX export.",
                hint=f"Run `boucle export {alias}` first.",
            )
        train = show(info.boucle_run_id, config)["steps"]["train"]["manifest"]
        models.append(
            ServedModel(
                alias=alias,
                name=info.model_name,
                version=info.version,
                onnx_bytes=store.get_bytes(digest),
                expected_hash=digest,
                task_kind=train["kind"],
                classes=tuple(train["classes"]) if train.get("classes") else None,
                positive_class=train.get("positive_class"),
                lineage_id=info.tags.get("boucle.lineage_id") or None,
            )
        )
    return models
