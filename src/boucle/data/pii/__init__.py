"""PII detection for tables (French and English): patterns and checksums, no ML model.

``detect_pii(frame)`` returns a :class:`PiiReport` with one :class:`ColumnFinding` per column:
the PII type it holds (or None), the share of sampled values that match, masked examples and
the reason. The checksum validators are public too, for validation rules and tests.
"""

from __future__ import annotations

from boucle.data.pii.checksums import (
    card_is_valid,
    iban_is_valid,
    luhn_is_valid,
    nir_is_valid,
    siren_is_valid,
    siret_is_valid,
)
from boucle.data.pii.detect import detect_pii
from boucle.data.pii.mask import drop_pii_columns, hash_column, mask_value
from boucle.data.pii.patterns import PII_TYPES
from boucle.data.pii.report import ColumnFinding, PiiReport

__all__ = [
    "PII_TYPES",
    "ColumnFinding",
    "PiiReport",
    "card_is_valid",
    "detect_pii",
    "drop_pii_columns",
    "hash_column",
    "iban_is_valid",
    "luhn_is_valid",
    "mask_value",
    "nir_is_valid",
    "siren_is_valid",
    "siret_is_valid",
]
