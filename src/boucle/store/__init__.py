"""Artifact store: content-addressed blobs (blake3) and atomic named files, local or fsspec.

Stores import nothing above them: only :mod:`boucle.errors` and :mod:`boucle.hashing`.
"""

from __future__ import annotations

from boucle.store.artifacts import CHUNK_SIZE, ArtifactStore
from boucle.store.paths import normalise_relative, safe_join, validate_digest
from boucle.store.verified import VerifiedReader

__all__ = [
    "CHUNK_SIZE",
    "ArtifactStore",
    "VerifiedReader",
    "normalise_relative",
    "safe_join",
    "validate_digest",
]
