"""Masks shown in reports, salted hashing and dropping of flagged columns."""

from __future__ import annotations

import pandas as pd
import pytest

from boucle.data.pii import PII_TYPES, detect_pii, drop_pii_columns, hash_column, mask_value
from boucle.errors import DataError
from boucle.hashing import blake3_hex

SALT = b"0123456789abcdef-test-salt"


@pytest.mark.parametrize(
    ("value", "pii_type", "masked"),
    [
        ("jean.dupont@exemple.fr", "email", "j***@e***.fr"),
        ("06 12 34 56 78", "phone_fr", "06 ** ** ** 78"),
        ("+33 6 12 34 56 78", "phone_fr", "+33 6 ** ** ** 78"),
        ("+44 20 7946 0958", "phone_intl", "+44 ** **** **58"),
        ("FR76 3000 6000 0112 3456 7890 189", "iban", "FR76 **** **** 0189"),
        ("FR7630006000011234567890189", "iban", "FR76 **** **** 0189"),
        ("4111 1111 1111 1111", "payment_card", "**** **** **** 1111"),
        ("1 84 12 76 451 089 46", "nir", "1 ** ** ** *** *** 46"),
        ("732 829 320 00074", "siret", "732 *** *** *****"),
        ("192.168.1.42", "ip_address", "192.168.*.*"),
        ("Jean-Pierre Dupont", "person_name", "J***-P***** D*****"),
        ("12 rue de la Paix", "postal_address", "** r** d* l* P***"),
        ("1984-05-12", "date_of_birth", "****-**-**"),
    ],
)
def test_mask_value(value: str, pii_type: str, masked: str) -> None:
    assert mask_value(value, pii_type) == masked


def test_every_type_has_a_mask_that_hides_digits() -> None:
    for pii_type in PII_TYPES:
        assert "5678" not in mask_value("+33 1 23 45 67 89 5678 12", pii_type)


def test_mask_value_rejects_an_unknown_type() -> None:
    with pytest.raises(DataError, match="unknown PII type 'passport'") as caught:
        mask_value("X123", "passport")
    assert caught.value.hint is not None and "phone_fr" in caught.value.hint


def test_hash_column_is_salted_blake3_and_keeps_nulls() -> None:
    series = pd.Series(["06 12 34 56 78", None, "06 12 34 56 78", "07 00 00 00 01"], name="tel")
    hashed = hash_column(series, SALT)
    assert hashed.name == "tel" and hashed.index.equals(series.index)
    assert hashed[1] is None
    assert hashed[0] == hashed[2] != hashed[3]
    assert hashed[0] == blake3_hex(len(SALT).to_bytes(8, "big"), SALT, b"06 12 34 56 78")
    assert hashed[0] != blake3_hex(b"06 12 34 56 78")
    assert hash_column(series, SALT[::-1])[0] != hashed[0]
    assert len(hashed[0]) == 64


def test_hash_column_hashes_numbers_by_their_text() -> None:
    hashed = hash_column(pd.Series([732829320, 732829320]), SALT)
    assert hashed[0] == hash_column(pd.Series(["732829320"]), SALT)[0]


@pytest.mark.parametrize("salt", [b"", b"short", "a string salt of 32 characters.."])
def test_hash_column_refuses_weak_salts(salt: bytes) -> None:
    with pytest.raises(DataError, match="too weak") as caught:
        hash_column(pd.Series(["a"]), salt)
    assert caught.value.hint is not None and "os.urandom" in caught.value.hint


def test_drop_pii_columns_keeps_the_rest() -> None:
    frame = pd.DataFrame(
        {
            "email": ["a.b@exemple.fr", "c.d@exemple.fr"],
            "amount": [12.5, 3.25],
            "siret": ["73282932000074", "35600000000048"],
        }
    )
    kept = drop_pii_columns(frame, detect_pii(frame))
    assert list(kept.columns) == ["amount"]
    assert list(frame.columns) == ["email", "amount", "siret"]
