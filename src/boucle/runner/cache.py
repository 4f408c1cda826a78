"""Step cache: manifests filed by cache key in the artifact store, and code versions."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle._version import __version__
from boucle.hashing import blake3_hex, canonical_json

if TYPE_CHECKING:
    from boucle.store import ArtifactStore

__all__ = ["StepCache", "code_version"]


@cache
def code_version(packages: tuple[str, ...]) -> str:
    """Hash of boucle's version and the source files of the given subpackages/modules.

    Reading the files (not importing them) keeps a fully cached run free of heavy imports.
    """
    root = Path(__file__).resolve().parents[1]
    parts = [__version__.encode()]
    for package in sorted(packages):
        target = root / package.replace(".", "/")
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
        for file in files:
            parts.append(str(file.relative_to(root)).encode())
            parts.append(file.read_bytes())
    return blake3_hex(*parts)


class StepCache:
    """Looks up and saves step manifests under ``cache/<step>/<key>.json``."""

    def __init__(self, store: ArtifactStore) -> None:
        self._store = store

    def lookup(self, step: str, key: str) -> dict[str, Any] | None:
        """The manifest saved for ``key``, if it and every object it lists still exist."""
        path = f"cache/{step}/{key}.json"
        if not self._store.file_exists(path):
            return None
        manifest: dict[str, Any] = json.loads(self._store.read_bytes(path))
        if not all(self._store.exists(digest) for digest in manifest.get("artifacts", [])):
            return None
        return manifest

    def save(self, step: str, key: str, manifest: dict[str, Any]) -> None:
        """File ``manifest`` under ``key`` (atomically)."""
        self._store.write_bytes_atomic(f"cache/{step}/{key}.json", canonical_json(manifest))
