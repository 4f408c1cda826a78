"""Synthetic personal data with valid checksums, and decoys that must not be flagged.

Shared by the tests and ``benchmarks/bench_pii.py``. Every generator takes a seeded
:class:`random.Random`, so a table is the same on every machine. Nothing here is real: names
come from short lists, numbers are random with their check digits computed.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from boucle.data.pii.checksums import iban_check_digits, luhn_check_digit, nir_key

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DECOY_COLUMNS", "PII_COLUMNS", "fake_card", "fake_iban", "fake_nir", "fake_phone_fr",
           "fake_siren", "fake_siret", "mixed_table"]  # fmt: skip

FIRST = (
    "Jean",
    "Marie",
    "Élodie",
    "François",
    "Anne-Sophie",
    "Chloé",
    "Lucas",
    "Hélène",
    "Mohamed",
    "Sarah",
    "John",
    "Emily",
    "Oliver",
    "Zoë",
    "Jean-Pierre",
    "Inès",
    "Noé",
)
LAST = (
    "Dupont",
    "Martin",
    "Lefèvre",
    "Bernard",
    "Girard",
    "de la Fontaine",
    "O'Brien",
    "Smith",
    "Nguyen",
    "Moreau",
    "Dubois-Crançon",
    "Müller",
    "MARTIN",
    "Rousseau",
    "Brown",
    "Garnier",
)
CITIES = (
    ("75008", "Paris"),
    ("69003", "Lyon"),
    ("13001", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("59800", "Lille"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
)
STREETS_FR = ("rue", "avenue", "boulevard", "chemin", "impasse", "allée", "place", "quai")
STREETS_EN = ("Street", "St", "Road", "Rd", "Avenue", "Lane", "Drive")
DOMAINS = ("exemple.fr", "gmail.com", "orange.fr", "example.co.uk", "mail.example.org")


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


def fake_nir(rng: random.Random, *, corsica: bool = True, spaced: bool | None = None) -> str:
    """A NIR with a valid key: sex, year, month, department (2A/2B, 97x, 99 too), commune.

    ``corsica=False`` keeps it all digits (to store as an integer); ``spaced`` None picks the
    layout at random, compact or ``1 84 12 76 451 089 46``.
    """
    sex = rng.choice("1212121234")
    month = rng.choice([f"{m:02d}" for m in range(1, 13)] * 4 + ["20", "35", "62"])
    place = rng.choice(["dept"] * 8 + ["corsica" if corsica else "dept", "overseas", "abroad"])
    if place == "corsica":
        dept_commune = rng.choice(["2A", "2B"]) + f"{rng.randint(1, 366):03d}"
    elif place == "overseas":
        dept_commune = f"97{rng.randint(1, 6)}{rng.randint(1, 34):02d}"
    elif place == "abroad":
        dept_commune = f"99{rng.randint(100, 990)}"
    else:
        dept_commune = (
            f"{rng.choice([d for d in range(1, 96) if d != 20]):02d}{rng.randint(1, 900):03d}"
        )
    head = f"{sex}{rng.randint(0, 99):02d}{month}{dept_commune}{rng.randint(1, 999):03d}"
    nir = head + nir_key(head)
    if not (rng.random() < 0.5 if spaced is None else spaced):
        return nir
    return " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])


def fake_siren(rng: random.Random) -> str:
    """A 9-digit SIREN whose last digit is its Luhn check digit."""
    head = str(rng.randint(1, 9)) + _digits(rng, 7)
    return head + luhn_check_digit(head)


def fake_siret(rng: random.Random) -> str:
    """A 14-digit SIRET: a valid SIREN, a 4-digit NIC, and the Luhn digit over all 14."""
    head = fake_siren(rng) + f"{rng.randint(1, 99):04d}"
    return head + luhn_check_digit(head)


def fake_iban(rng: random.Random, country: str | None = None) -> str:
    """An IBAN (FR, DE or GB) with its ISO 13616 check digits, compact or in groups of 4."""
    country = country or rng.choice(["FR", "FR", "DE", "GB"])
    if country == "FR":
        bban = _digits(rng, 10) + _digits(rng, 10) + rng.choice("ABCDEFGHJK0123") + _digits(rng, 2)
    elif country == "DE":
        bban = _digits(rng, 18)
    else:
        bban = rng.choice(["WEST", "BARC", "LOYD", "NWBK"]) + _digits(rng, 14)
    iban = country + iban_check_digits(country, bban) + bban
    if rng.random() < 0.5:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def fake_card(rng: random.Random) -> str:
    """A Luhn-valid card number with a real IIN prefix (Visa, Mastercard, Amex, Discover)."""
    prefix, length = rng.choice([("4", 16), ("4970", 16), ("51", 16), ("55", 16), ("2221", 16),
                                 ("34", 15), ("37", 15), ("6011", 16)])  # fmt: skip
    head = prefix + _digits(rng, length - len(prefix) - 1)
    card = head + luhn_check_digit(head)
    if rng.random() < 0.5:
        return card
    if length == 15:
        return f"{card[:4]} {card[4:10]} {card[10:]}"
    return " ".join(card[i : i + 4] for i in range(0, 16, 4))


def fake_phone_fr(rng: random.Random) -> str:
    """A French phone number in one of the usual layouts (spaces, dots, dashes, +33, 0033)."""
    national = rng.choice("1234567996677") + _digits(rng, 8)
    pairs = [national[i : i + 2] for i in range(1, 9, 2)]
    layout = rng.randrange(7)
    if layout == 0:
        return "0" + national
    if layout in (1, 2, 3):
        return (" ", ".", "-")[layout - 1].join(["0" + national[0], *pairs])
    if layout == 4:
        return f"+33 {national[0]} {' '.join(pairs)}"
    if layout == 5:
        return f"+33 (0){national[0]} {' '.join(pairs)}"
    return f"0033{national}"


def fake_phone_intl(rng: random.Random) -> str:
    """A non-French E.164 number: UK, US, Germany, Spain, Belgium, Morocco."""
    code, size = rng.choice([("44", 10), ("1", 10), ("49", 11), ("34", 9), ("32", 9), ("212", 9)])
    number = str(rng.randint(2, 9)) + _digits(rng, size - 1)
    return f"+{code}{number}" if rng.random() < 0.5 else f"+{code} {number[:3]} {number[3:]}"


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _email(rng: random.Random) -> str:
    first, last = _name(rng)
    return f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    return "2001:db8:" + ":".join(f"{rng.randint(0, 65535):x}" for _ in range(6))


def _address(rng: random.Random) -> str:
    number, (zip_code, city) = rng.randint(1, 250), rng.choice(CITIES)
    if rng.random() < 0.7:
        name = rng.choice(["Victor Hugo", "de la Paix", "des Lilas", "Jean Jaurès"])
        street = f"{number} {rng.choice(STREETS_FR)} {name}"
        return street + (f", {zip_code} {city}" if rng.random() < 0.5 else "")
    return f"{number} {rng.choice(['Baker', 'High', 'Main', 'Oak'])} {rng.choice(STREETS_EN)}"


def _dob(rng: random.Random) -> str:
    day = date(1935, 1, 1) + timedelta(days=rng.randrange(70 * 365))
    return day.isoformat() if rng.random() < 0.5 else day.strftime("%d/%m/%Y")


def _luhn_failing(rng: random.Random, size: int) -> str:
    head = str(rng.randint(1, 9)) + _digits(rng, size - 2)
    return head + str((int(luhn_check_digit(head)) + rng.randint(1, 9)) % 10)


def _nir_failing(rng: random.Random) -> str:
    head = rng.choice("12") + _digits(rng, 12)
    return head + f"{(int(nir_key(head)) + rng.randint(1, 90)) % 97 + 1:02d}"


Generator = Callable[[random.Random, int], object]
# column -> (expected PII type, generator of one value given the rng and the row number)
PII_COLUMNS: dict[str, tuple[str, Generator]] = {
    "email": ("email", lambda r, i: _email(r)),
    "telephone": ("phone_fr", lambda r, i: fake_phone_fr(r)),
    "contact_phone": ("phone_intl", lambda r, i: fake_phone_intl(r)),
    "iban": ("iban", lambda r, i: fake_iban(r)),
    "carte": ("payment_card", lambda r, i: fake_card(r)),
    "numero_secu": ("nir", lambda r, i: fake_nir(r)),
    "siren": ("siren", lambda r, i: fake_siren(r)),
    "siret": ("siret", lambda r, i: fake_siret(r)),
    "siret_int": ("siret", lambda r, i: int(fake_siret(r))),
    "nir_int": ("nir", lambda r, i: int(fake_nir(r, corsica=False, spaced=False))),
    "last_login_ip": ("ip_address", lambda r, i: _ip(r)),
    "adresse": ("postal_address", lambda r, i: _address(r)),
    "full_name": ("person_name", lambda r, i: " ".join(_name(r))),
    "prenom": ("person_name", lambda r, i: r.choice(FIRST)),
    "date_naissance": ("date_of_birth", lambda r, i: _dob(r)),
}  # fmt: skip
DECOY_COLUMNS: dict[str, Generator] = {
    "row_id": lambda r, i: i + 1,
    "customer_id": lambda r, i: 100_000 + r.randrange(900_000),
    "order_number": lambda r, i: f"CMD-2024-{i + 1:06d}",
    "order_no_int": lambda r, i: 2024_000_000 + i,
    "amount": lambda r, i: round(r.uniform(1, 5000), 2),
    "zip_code": lambda r, i: r.choice(CITIES)[0],
    "created_at": lambda r, i: datetime(2024, 1, 1) + timedelta(seconds=r.randrange(10**7)),
    "updated_at_text": lambda r, i: f"2024-0{r.randint(1, 9)}-1{r.randint(0, 9)} 1{i % 10}:30:00",
    "is_active": lambda r, i: r.random() < 0.5,
    "ref_14_digits": lambda r, i: _luhn_failing(r, 14),
    "ref_15_digits": lambda r, i: _nir_failing(r),
    "random_9_digits": lambda r, i: r.randint(100_000_000, 999_999_999),
    "random_16_digits": lambda r, i: _luhn_failing(r, 16),
    "product_name": lambda r, i: r.choice(["Widget Pro", "Table Basse", "Lampe Orion", "Chaise"]),
    "city": lambda r, i: r.choice(CITIES)[1],
}  # fmt: skip


def mixed_table(
    rows: int, *, seed: int = 0, unique: int = 20_000
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """Return a table mixing every PII type with decoys, and each column's expected type.

    At most ``unique`` distinct rows are generated (pure Python is ~10 µs a value); larger
    tables repeat them in random order, which changes nothing for a sampling detector.
    """
    import numpy as np
    import pandas as pd

    rng = random.Random(seed)
    distinct = min(rows, unique)
    columns: dict[str, list[object]] = {}
    expected: dict[str, str | None] = {}
    for name, (pii_type, make) in PII_COLUMNS.items():
        columns[name], expected[name] = [make(rng, i) for i in range(distinct)], pii_type
    for name, make in DECOY_COLUMNS.items():
        columns[name], expected[name] = [make(rng, i) for i in range(distinct)], None
    frame = pd.DataFrame(columns)
    if rows > distinct:
        picks = np.random.default_rng(seed).integers(0, distinct, size=rows)
        frame = frame.take(picks).reset_index(drop=True)
    return frame, expected
