"""Resolve the paths of a loaded config against its file's folder.

Reading may go anywhere (``data.source`` may point at ``../shared/data``), but every
embedded store (artifacts, SQLite ledger, SQLite tracking) must live inside ``stores.root``:
nothing boucle writes may land outside it.
"""

from __future__ import annotations

from pathlib import Path

from boucle.config.models import BoucleConfig
from boucle.errors import ConfigError

__all__ = ["is_url", "resolve_paths", "sqlite_path"]


def is_url(value: str) -> bool:
    """True for ``scheme://...`` locations (fsspec or database URLs), False for plain paths."""
    return "://" in value and not value.startswith("file://")


def sqlite_path(url: str) -> str | None:
    """The file path of a ``sqlite:///path`` URL, or None for other databases / in-memory."""
    if not url.startswith("sqlite:"):
        return None
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    rest = rest.split("?", 1)[0]
    return rest or None


def resolve_paths(config: BoucleConfig) -> BoucleConfig:
    """Return a copy of ``config`` whose relative paths are absolute and defaults filled."""
    base = config.base_dir
    source = config.data.source
    if not is_url(source):
        source = str((base / Path(source.removeprefix("file://")).expanduser()).resolve())
    root = config.stores.root
    remote_root = is_url(root)
    if not remote_root:
        root = str((base / Path(root).expanduser()).resolve())
    # With a remote artifact root the embedded databases still live next to the config.
    local_root = Path(root) if not remote_root else (base / ".boucle").resolve()
    ledger = (
        _resolve_sqlite(config.stores.ledger, base, local_root, "stores.ledger")
        if config.stores.ledger is not None
        else f"sqlite:///{local_root / 'ledger.db'}"
    )
    tracking = (
        _resolve_sqlite(config.stores.tracking, base, local_root, "stores.tracking")
        if config.stores.tracking is not None
        else f"sqlite:///{local_root / 'mlflow.db'}"
    )
    data = config.data.model_copy(update={"source": source})
    stores = config.stores.model_copy(update={"root": root, "ledger": ledger, "tracking": tracking})
    resolved = config.model_copy(update={"data": data, "stores": stores})
    resolved._path = config.path
    return resolved


def _resolve_sqlite(url: str, base: Path, root: Path, key: str) -> str:
    path = sqlite_path(url)
    if path is None:
        return url
    full = (base / Path(path).expanduser()).resolve()
    if not full.is_relative_to(root):
        raise ConfigError(
            f"{key} '{url}' would write {full}, outside stores.root ({root}).",
            hint=f"Put the database inside stores.root (e.g. sqlite:///{root.name}/"
            f"{Path(path).name}) or use a server URL (postgresql+psycopg://...).",
        )
    return f"sqlite:///{full}"
