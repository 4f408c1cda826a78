"""Vectorised checksums: the checks of :mod:`checksums` over thousands of candidates at once.

Detection confirms every regex candidate of a sample (10k values x 20+ columns). The
per-value functions cost ~10 µs each in Python; these turn the candidates into a digit
matrix and check all rows with numpy in ~0.1 µs a value. Inputs are candidates that already
matched the detector's regex (ASCII digits, plus ``2A``/``2B`` for a NIR); a row holding
anything else is reported invalid. ``tests/data/pii`` checks them against :mod:`checksums`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from boucle.data.pii.checksums import CARD_RANGES

__all__ = ["card_valid_many", "each", "luhn_valid_many", "nir_valid_many", "siren_valid_many",
           "siret_valid_many"]  # fmt: skip

BatchCheck = Callable[[Sequence[str]], np.ndarray]
_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9])
_LA_POSTE = np.array([3, 5, 6, 0, 0, 0, 0, 0, 0])


def each(check: Callable[[str], bool]) -> BatchCheck:
    """Turn a per-value check into a batch check (for parsers that numpy cannot vectorise)."""

    def run(values: Sequence[str]) -> np.ndarray:
        return np.fromiter(map(check, values), dtype=bool, count=len(values))

    return run


def _matrix(values: Sequence[str], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of character codes minus '0' (n x length), and which rows are all digits."""
    codes = np.frombuffer("".join(values).encode("ascii", "replace"), dtype=np.uint8)
    digits: np.ndarray = codes.reshape(len(values), length).astype(np.int64) - 48
    all_digits: np.ndarray = np.all((digits >= 0) & (digits <= 9), axis=1)
    return digits, all_digits


def _by_length(
    values: Sequence[str], rows_check: Callable[[np.ndarray], np.ndarray], lengths: set[int]
) -> np.ndarray:
    """Apply ``rows_check`` to the digit matrix of each group of equal-length values."""
    valid = np.zeros(len(values), dtype=bool)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    for size in set(np.unique(sizes).tolist()) & lengths:
        where = np.flatnonzero(sizes == size)
        digits, ok = _matrix([values[i] for i in where.tolist()], size)
        valid[where] = ok & rows_check(np.where(ok[:, None], digits, 0))
    return valid


def _luhn_rows(digits: np.ndarray) -> np.ndarray:
    width = digits.shape[1]
    doubled = np.zeros(width, dtype=bool)
    doubled[width - 2 :: -2] = True
    valid: np.ndarray = np.where(doubled, _DOUBLED[digits], digits).sum(axis=1) % 10 == 0
    return valid


def luhn_valid_many(values: Sequence[str]) -> np.ndarray:
    """Luhn check of each digit string (any length)."""
    return _by_length(values, _luhn_rows, set(range(1, 65)))


def siren_valid_many(values: Sequence[str]) -> np.ndarray:
    """SIREN check of each value: 9 digits, Luhn-valid."""
    return _by_length(values, _luhn_rows, {9})


def _siret_rows(digits: np.ndarray) -> np.ndarray:
    siren_ok = _luhn_rows(digits[:, :9])
    la_poste = (digits[:, :9] == _LA_POSTE).all(axis=1) & (digits.sum(axis=1) % 5 == 0)
    valid: np.ndarray = siren_ok & (_luhn_rows(digits) | la_poste)
    return valid


def siret_valid_many(values: Sequence[str]) -> np.ndarray:
    """SIRET check of each value: 14 digits, SIREN head and whole number Luhn-valid."""
    return _by_length(values, _siret_rows, {14})


def _card_rows(digits: np.ndarray) -> np.ndarray:
    width = digits.shape[1]
    prefixes = [digits[:, : k + 1] @ (10 ** np.arange(k, -1, -1)) for k in range(4)]
    known = np.zeros(len(digits), dtype=bool)
    for low, high, lengths in CARD_RANGES:
        if width in lengths:
            prefix = prefixes[len(low) - 1]
            known |= (prefix >= int(low)) & (prefix <= int(high))
    valid: np.ndarray = known & _luhn_rows(digits)
    return valid


def card_valid_many(values: Sequence[str]) -> np.ndarray:
    """Payment card check of each value: 13-19 digits, known IIN range and length, Luhn."""
    return _by_length(values, _card_rows, set(range(13, 20)))


def nir_valid_many(values: Sequence[str]) -> np.ndarray:
    """NIR check of each 15-character value: structure (see ``nir_is_valid``) and key."""
    valid = np.zeros(len(values), dtype=bool)
    where = np.flatnonzero(np.fromiter(map(len, values), dtype=np.int64, count=len(values)) == 15)
    if where.size == 0:
        return valid
    # Corsica: 2A and 2B count as 19 and 18 in the key, and must read as a department.
    texts = [values[i] for i in where.tolist()]
    corsica = np.array([t[5:7] in ("2A", "2B") for t in texts])
    texts = [t[:5] + ("19" if t[6] == "A" else "18") + t[7:] if c else t
             for t, c in zip(texts, corsica, strict=True)]  # fmt: skip
    digits, ok = _matrix(texts, 15)
    digits = np.where(ok[:, None], digits, 0)
    month = digits[:, 3] * 10 + digits[:, 4]
    dept = digits[:, 5] * 10 + digits[:, 6]
    overseas = dept == 97
    commune = np.where(overseas, digits[:, 8] * 10 + digits[:, 9],
                       digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9])  # fmt: skip
    order = digits[:, 10] * 100 + digits[:, 11] * 10 + digits[:, 12]
    number = digits[:, :13] @ (10 ** np.arange(12, -1, -1))
    key = digits[:, 13] * 10 + digits[:, 14]
    valid[where] = (
        ok
        & np.isin(digits[:, 0], [1, 2, 3, 4, 7, 8])
        & (((month >= 1) & (month <= 12)) | ((month >= 20) & (month <= 42)) | (month >= 50))
        & ((dept != 0) | corsica)
        & (commune != 0)
        & (order != 0)
        & (key == 97 - number % 97)
    )
    return valid
