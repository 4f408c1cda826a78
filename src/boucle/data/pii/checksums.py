"""Checksums and structure checks of the identifiers we detect: Luhn, IBAN, NIR, SIREN, SIRET.

Every ``*_is_valid`` function takes a string with or without separators (spaces, dots,
dashes) and never raises: a malformed value is simply not valid. They are written here
rather than taken from a library (python-stdnum has most of them) because detection runs
them on up to ``sample_rows`` values per column and we need only these few, dependency-free.
"""

from __future__ import annotations

import re

__all__ = [
    "CARD_RANGES",
    "card_is_valid",
    "iban_check_digits",
    "iban_is_valid",
    "luhn_check_digit",
    "luhn_is_valid",
    "nir_is_valid",
    "nir_key",
    "siren_is_valid",
    "siret_is_valid",
]

_SEPARATORS = re.compile(r"[\s.\-/()]")
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # Luhn: 2*d, minus 9 when it has two digits

# ISO 13616 lengths from the SWIFT IBAN registry; an unlisted country may use 15..34.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_LETTER_VALUES = str.maketrans({chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)})

# Issuer (IIN) prefix ranges and the lengths each scheme issues, inclusive bounds.
# Visa, Mastercard (51-55, 2221-2720), Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir.
CARD_RANGES: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),
    ("51", "55", frozenset({16})),
    ("2221", "2720", frozenset({16})),
    ("34", "34", frozenset({15})),
    ("37", "37", frozenset({15})),
    ("6011", "6011", frozenset(range(16, 20))),
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("300", "305", frozenset(range(14, 20))),
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(14, 20))),
    ("3528", "3589", frozenset(range(16, 20))),
    ("62", "62", frozenset(range(16, 20))),
    ("5018", "5018", frozenset(range(13, 20))),
    ("5020", "5020", frozenset(range(13, 20))),
    ("5038", "5038", frozenset(range(13, 20))),
    ("5893", "5893", frozenset(range(13, 20))),
    ("6304", "6304", frozenset(range(13, 20))),
    ("6759", "6759", frozenset(range(13, 20))),
    ("6761", "6763", frozenset(range(13, 20))),
    ("2200", "2204", frozenset(range(16, 20))),
)
_NIR_SHAPE = re.compile(r"[1-478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{8}")
_LA_POSTE_SIREN = "356000000"  # its SIRETs are numbered by a digit sum, not by Luhn


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def _ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def luhn_is_valid(value: str) -> bool:
    """Return True when the digits of ``value`` pass the Luhn (mod 10) check."""
    digits = _compact(value)
    if not _ascii_digits(digits):
        return False
    total = sum(ord(c) - 48 for c in digits[-1::-2])
    total += sum(_DOUBLED[ord(c) - 48] for c in digits[-2::-2])
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """Return the digit that, appended to ``partial``, makes it Luhn-valid."""
    for digit in "0123456789":
        if luhn_is_valid(partial + digit):
            return digit
    raise ValueError(f"'{partial}' is not a string of digits")


def card_is_valid(value: str) -> bool:
    """Return True for a payment card number: 13-19 digits, a known IIN range, Luhn-valid."""
    digits = _compact(value)
    if not (13 <= len(digits) <= 19 and _ascii_digits(digits)):
        return False
    for low, high, lengths in CARD_RANGES:
        prefix = digits[: len(low)]
        if low <= prefix <= high and len(digits) in lengths:
            return luhn_is_valid(digits)
    return False


def iban_check_digits(country: str, bban: str) -> str:
    """Return the two ISO 13616 check digits for ``country`` (e.g. 'FR') and ``bban``."""
    number = int((bban + country + "00").upper().translate(_LETTER_VALUES))
    return f"{98 - number % 97:02d}"


def iban_is_valid(value: str) -> bool:
    """Return True for an IBAN: known country length and ISO 13616 mod-97 remainder 1."""
    iban = _compact(value)
    if not _IBAN_SHAPE.fullmatch(iban):
        return False
    if len(iban) != _IBAN_LENGTHS.get(iban[:2], len(iban)):
        return False
    return int((iban[4:] + iban[:4]).translate(_LETTER_VALUES)) % 97 == 1


def nir_key(first13: str) -> str:
    """Return the 2-digit key of a NIR's first 13 characters: 97 - (n mod 97).

    Corsica's departments 2A and 2B count as 19 and 18 in ``n`` (INSEE rule).
    """
    head = _compact(first13)
    dept = {"2A": "19", "2B": "18"}.get(head[5:7], head[5:7])
    number = head[:5] + dept + head[7:13]
    if len(head) != 13 or not _ascii_digits(number):
        raise ValueError(f"'{first13}' is not the first 13 characters of a NIR")
    return f"{97 - int(number) % 97:02d}"


def nir_is_valid(value: str) -> bool:
    """Return True for a French NIR (social security number) with a valid structure and key.

    Structure: sex 1/2 (3/4/7/8 for provisional numbers), 2-digit year, month 01-12 or
    20-42 / 50-99 (unknown or fictitious month), department 01-99 or 2A/2B (97x overseas),
    commune 001-999, order 001-999, then the key 01-97.
    """
    nir = _compact(value)
    if not _NIR_SHAPE.fullmatch(nir):
        return False
    month = int(nir[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or month >= 50):
        return False
    dept = nir[5:7]
    if dept == "00":
        return False
    # Overseas departments (971..978) take 3 digits, leaving 2 for the commune.
    commune = nir[8:10] if dept == "97" else nir[7:10]
    if int(commune) == 0 or nir[10:13] == "000":
        return False
    return nir[13:] == nir_key(nir[:13])


def siren_is_valid(value: str) -> bool:
    """Return True for a SIREN (French company number): 9 digits, Luhn-valid."""
    digits = _compact(value)
    return len(digits) == 9 and luhn_is_valid(digits)


def siret_is_valid(value: str) -> bool:
    """Return True for a SIRET: 14 digits, a valid SIREN head, and Luhn over all 14.

    La Poste (SIREN 356000000) numbers many of its establishments so that the digit sum is
    a multiple of 5 instead of passing Luhn; both are accepted for it.
    """
    digits = _compact(value)
    if len(digits) != 14 or not siren_is_valid(digits[:9]):
        return False
    if luhn_is_valid(digits):
        return True
    return digits[:9] == _LA_POSTE_SIREN and sum(ord(c) - 48 for c in digits) % 5 == 0
