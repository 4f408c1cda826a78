"""Masking for reports, salted hashing and dropping: what a PII policy does to a column.

Masks keep the shape of a value (its separators, its length class) and a few characters
that help a human recognise the type without revealing the person: ``j***@e***.fr``,
``06 ** ** ** 78``, ``FR76 **** **** 0189``, ``**** **** **** 1111``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from boucle.errors import DataError
from boucle.hashing import blake3_hex

if TYPE_CHECKING:
    import pandas as pd

    from boucle.data.pii.report import PiiReport

__all__ = ["drop_pii_columns", "hash_column", "mask_value"]

_MIN_SALT_BYTES = 16
# How many leading / trailing digits each digit-based type keeps visible.
_DIGITS_KEPT: dict[str, tuple[int, int]] = {
    "phone_fr": (2, 2),
    "phone_intl": (2, 2),
    "payment_card": (0, 4),
    "nir": (1, 2),
    "siren": (3, 0),
    "siret": (3, 0),
    "date_of_birth": (0, 0),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _mask_digits(value: str, head: int, tail: int) -> str:
    positions = [i for i, char in enumerate(value) if char.isdigit()]
    hidden = set(positions[head : len(positions) - tail])
    return "".join("*" if i in hidden else char for i, char in enumerate(value))


def _mask_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    labels = domain.split(".")
    host = ".".join(labels[:-1])
    return f"{local[:1]}***@{host[:1]}***.{labels[-1]}" if host else f"{local[:1]}***@***"


def _mask_iban(value: str) -> str:
    compact = re.sub(r"\s", "", value)
    return f"{compact[:4]} **** **** {compact[-4:]}"


def _mask_ip(value: str) -> str:
    if ":" in value:
        return ":".join([*value.split(":")[:2], "*"])
    parts = value.split(".")
    return ".".join([*parts[:2], "*", "*"]) if len(parts) == 4 else _mask_words(value)


def _mask_words(value: str) -> str:
    masked = _WORD.sub(lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 1), value)
    return re.sub(r"\d", "*", masked)


def mask_value(value: str, pii_type: str) -> str:
    """Return ``value`` masked for display in a report, according to its ``pii_type``.

    Digits are replaced by ``*`` except a few that identify the type (the 06 of a mobile
    phone, the last 4 of a card); words keep their first letter. Raises
    :class:`~boucle.errors.DataError` for an unknown ``pii_type``.
    """
    from boucle.data.pii.patterns import PII_TYPES

    if pii_type not in PII_TYPES:
        raise DataError(
            f"unknown PII type '{pii_type}'.", hint=f"Use one of: {', '.join(PII_TYPES)}."
        )
    text = str(value).strip()
    if not text:
        return text
    if pii_type == "email" and "@" in text:
        return _mask_email(text)
    if pii_type == "iban":
        return _mask_iban(text)
    if pii_type == "ip_address":
        return _mask_ip(text)
    if pii_type in _DIGITS_KEPT:
        head, tail = _DIGITS_KEPT[pii_type]
        if pii_type == "phone_fr" and text.startswith(("+", "00")):
            head += 1 if text.startswith("+") else 3  # +33 6 / 0033 6: keep the 6 as well
        return _mask_digits(text, head, tail)
    return _mask_words(text)


def hash_column(series: pd.Series, salt: bytes) -> pd.Series:
    """Return ``series`` with every non-null value replaced by its salted blake3 hex digest.

    The digest is ``blake3(len(salt) || salt || utf8(str(value)))``: equal values stay equal
    (joins and counts still work) while the salt, kept secret, stops anyone from hashing
    every possible phone number to reverse it. Nulls stay null; index and name are kept.
    """
    import pandas as pd

    if not isinstance(salt, bytes) or len(salt) < _MIN_SALT_BYTES:
        shown = salt if isinstance(salt, bytes) else type(salt).__name__
        raise DataError(
            f"salt {shown!r} is too weak to hash personal data.",
            hint=f"Pass at least {_MIN_SALT_BYTES} random bytes, e.g. os.urandom(32), and keep "
            "it secret.",
        )
    prefix = len(salt).to_bytes(8, "big") + salt
    cache: dict[str, str] = {}

    def digest(value: object) -> str:
        text = str(value)
        if text not in cache:
            cache[text] = blake3_hex(prefix, text.encode("utf-8"))
        return cache[text]

    hashed = [None if pd.isna(v) else digest(v) for v in series.tolist()]
    return pd.Series(hashed, index=series.index, name=series.name, dtype="object")


def drop_pii_columns(frame: pd.DataFrame, report: PiiReport) -> pd.DataFrame:
    """Return ``frame`` without the columns that ``report`` flags as personal data."""
    flagged = set(report.pii_columns)
    keep = [i for i, label in enumerate(frame.columns) if str(label) not in flagged]
    return frame.iloc[:, keep]
