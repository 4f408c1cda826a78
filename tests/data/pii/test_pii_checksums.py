"""Checksums on published examples, and the vectorised checks agreeing with the scalar ones."""

from __future__ import annotations

import random

import pytest

from boucle.data.pii import (
    card_is_valid,
    iban_is_valid,
    luhn_is_valid,
    nir_is_valid,
    siren_is_valid,
    siret_is_valid,
)
from boucle.data.pii.batch import (
    card_valid_many,
    luhn_valid_many,
    nir_valid_many,
    siren_valid_many,
    siret_valid_many,
)
from boucle.data.pii.checksums import iban_check_digits, luhn_check_digit, nir_key
from boucle.data.pii.synthetic import (
    fake_card,
    fake_iban,
    fake_nir,
    fake_phone_fr,
    fake_siren,
    fake_siret,
)


@pytest.mark.parametrize(
    "iban",
    [
        "FR1420041010050500013M02606",
        "GB82WEST12345698765432",
        "DE89370400440532013000",
        "BE68539007547034",
        "NL91ABNA0417164300",
        "FR14 2004 1010 0505 0001 3M02 606",
    ],
)
def test_published_ibans_are_valid(iban: str) -> None:
    assert iban_is_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "FR1420041010050500013M02607",  # last character changed
        "GB82WEST1234569876543",  # one character short for GB
        "FR142004101005050001",  # too short for any country
        "XX00",
        "",
    ],
)
def test_broken_ibans_are_invalid(iban: str) -> None:
    assert not iban_is_valid(iban)


def test_iban_check_digits_rebuild_published_examples() -> None:
    assert iban_check_digits("FR", "20041010050500013M02606") == "14"
    assert iban_check_digits("GB", "WEST12345698765432") == "82"


def test_siren_and_siret_of_a_real_company() -> None:
    assert siren_is_valid("732829320")
    assert siren_is_valid("732 829 320")
    assert siret_is_valid("73282932000074")
    assert siret_is_valid("732 829 320 00074")
    assert not siren_is_valid("732829321")
    assert not siret_is_valid("73282932000075")


def test_la_poste_sirets_use_the_digit_sum_rule() -> None:
    assert siret_is_valid("35600000000048")  # head office, plain Luhn
    assert siret_is_valid("35600000009075")  # fails Luhn, digit sum 35
    assert not siret_is_valid("35600000009090")  # digit sum 32
    assert not luhn_is_valid("35600000009075")


@pytest.mark.parametrize(
    "card",
    [
        "4111111111111111",  # Visa test card
        "4111 1111 1111 1111",
        "5555555555554444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "378282246310005",  # American Express
        "6011111111111117",  # Discover
        "30569309025904",  # Diners Club, 14 digits
        "3530111333300000",  # JCB
    ],
)
def test_published_test_cards_are_valid(card: str) -> None:
    assert card_is_valid(card)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # Luhn fails
        "1234567812345670",  # Luhn passes, no issuer starts with 1
        "411111111111",  # too short
        "37828224631000",  # Amex prefix with 14 digits
    ],
)
def test_not_cards(number: str) -> None:
    assert not card_is_valid(number)


def test_nir_key_is_97_minus_the_number_mod_97() -> None:
    assert nir_key("1841276451089") == f"{97 - 1841276451089 % 97:02d}" == "46"
    assert nir_is_valid("184127645108946")
    assert nir_is_valid("1 84 12 76 451 089 46")
    assert not nir_is_valid("184127645108947")


def test_nir_corsica_counts_2a_as_19_and_2b_as_18() -> None:
    key_2a = f"{97 - 2550819168025 % 97:02d}"
    key_2b = f"{97 - 2550818168025 % 97:02d}"
    assert nir_key("255082A168025") == key_2a
    assert nir_key("255082B168025") == key_2b
    assert key_2a != key_2b
    assert nir_is_valid(f"2 55 08 2A 168 025 {key_2a}")
    assert not nir_is_valid(f"2 55 08 2B 168 025 {key_2a}")


@pytest.mark.parametrize(
    ("head", "why"),
    [
        ("5841276451089", "sex digit 5 does not exist"),
        ("1841376451089", "month 13"),
        ("1844376451089", "month 43"),
        ("1841200451089", "department 00"),
        ("1841276000089", "commune 000"),
        ("1841276451000", "order 000"),
    ],
)
def test_nir_structure_is_checked_besides_the_key(head: str, why: str) -> None:
    assert not nir_is_valid(head + nir_key(head)), why


def test_nir_accepts_provisional_and_unknown_month_forms() -> None:
    for head in ("3841276451089", "7842076451089", "8845576451089", "1849976451089"):
        assert nir_is_valid(head + nir_key(head)), head


def test_generators_make_valid_values() -> None:
    rng = random.Random(7)
    for _ in range(500):
        assert nir_is_valid(fake_nir(rng))
        assert siren_is_valid(fake_siren(rng))
        assert siret_is_valid(fake_siret(rng))
        assert iban_is_valid(fake_iban(rng))
        assert card_is_valid(fake_card(rng))
    assert luhn_check_digit("73282932") == "0"  # SIREN 732829320
    assert luhn_check_digit("411111111111111") == "1"  # the Visa test card
    assert all(sum(c.isdigit() for c in fake_phone_fr(rng)) in (10, 11, 12, 13) for _ in range(100))


def _digit_strings(rng: random.Random, count: int) -> list[str]:
    values = []
    for _ in range(count):
        size = rng.choice([9, 9, 13, 14, 14, 15, 15, 16, 19])
        values.append("".join(rng.choice("0123456789") for _ in range(size)))
    values += [fake_siren(rng) for _ in range(count // 4)]
    values += [fake_siret(rng) for _ in range(count // 4)]
    values += [fake_card(rng).replace(" ", "") for _ in range(count // 4)]
    values += [fake_nir(rng, spaced=False) for _ in range(count // 4)]
    values += ["35600000009075", "35600000000048", "35600000009090", "2550819168025"]
    return values


def test_batch_checks_agree_with_scalar_checks() -> None:
    values = _digit_strings(random.Random(11), 4000)
    for batch, scalar in [
        (luhn_valid_many, luhn_is_valid),
        (siren_valid_many, siren_is_valid),
        (siret_valid_many, siret_is_valid),
        (card_valid_many, card_is_valid),
        (nir_valid_many, nir_is_valid),
    ]:
        expected = [scalar(v) for v in values]
        assert batch(values).tolist() == expected, batch.__name__
        assert any(expected), batch.__name__


def test_batch_checks_reject_non_digits_and_empty_input() -> None:
    assert siren_valid_many(["73282932A", "732829320"]).tolist() == [False, True]
    assert nir_valid_many(["1841276451089X6", "184127645108946"]).tolist() == [False, True]
    assert card_valid_many([]).tolist() == []
