"""Column types on synthetic tables: every PII type found exactly, every decoy left alone."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from boucle.data.pii import PiiReport, detect_pii
from boucle.data.pii.checksums import luhn_check_digit, nir_key
from boucle.data.pii.synthetic import (
    fake_nir,
    fake_phone_fr,
    fake_siren,
    fake_siret,
    mixed_table,
)
from boucle.errors import DataError

NEEDS_NAME_HINT = {"person_name", "date_of_birth"}


@pytest.fixture(scope="module")
def mixed() -> tuple[pd.DataFrame, dict[str, str | None], PiiReport]:
    frame, expected = mixed_table(3000, seed=1)
    return frame, expected, detect_pii(frame)


def test_every_column_gets_its_exact_type(
    mixed: tuple[pd.DataFrame, dict[str, str | None], PiiReport],
) -> None:
    _, expected, report = mixed
    found = {finding.column: finding.pii_type for finding in report.columns}
    assert found == expected


def test_flagged_columns_match_nearly_all_values(
    mixed: tuple[pd.DataFrame, dict[str, str | None], PiiReport],
) -> None:
    _, expected, report = mixed
    for column, pii_type in expected.items():
        finding = report[column]
        assert finding.checked == 3000
        if pii_type is None:
            assert finding.share < 0.2, finding
            continue
        # Amex numbers that happen to pass the NIR key go to nir (1 in ~500): the priority rule.
        assert finding.share > 0.99, finding
        assert finding.matched == round(finding.share * finding.checked)
        assert 1 <= len(finding.examples_masked) <= 3
        assert "%" in finding.reason


def test_checksum_types_need_no_column_name(
    mixed: tuple[pd.DataFrame, dict[str, str | None], PiiReport],
) -> None:
    frame, expected, _ = mixed
    anonymous = frame.set_axis([f"c{i}" for i in range(frame.shape[1])], axis=1)
    found = [finding.pii_type for finding in detect_pii(anonymous).columns]
    wanted = [None if t in NEEDS_NAME_HINT else t for t in expected.values()]
    assert found == wanted


def test_report_to_dict_is_json_ready(
    mixed: tuple[pd.DataFrame, dict[str, str | None], PiiReport],
) -> None:
    _, expected, report = mixed
    data = json.loads(json.dumps(report.to_dict()))
    assert data["rows"] == 3000 and data["sampled_rows"] == 3000
    assert data["pii_columns"] == {c: t for c, t in expected.items() if t is not None}
    email = next(c for c in data["columns"] if c["column"] == "email")
    assert email["pii_type"] == "email" and email["share"] == 1.0
    assert email["reason"].startswith("column name hint 'email' + 100% of values")
    assert all("@" in example and "***" in example for example in email["examples_masked"])


def _column(values: Sequence[object], name: str = "value") -> str | None:
    return detect_pii(pd.DataFrame({name: values}))[name].pii_type


def _digits(rng: random.Random, size: int) -> str:
    return f"{rng.randrange(10**size):0{size}d}"


def test_siret_starting_like_a_diners_card_is_still_siret() -> None:
    rng = random.Random(3)
    values = []
    for _ in range(300):
        siren_head = rng.choice(["36", "38", "39", "301"])
        siren_head += _digits(rng, 8 - len(siren_head))
        head = siren_head + luhn_check_digit(siren_head) + _digits(rng, 4)
        values.append(head + luhn_check_digit(head))
    assert _column(values) == "siret"
    assert _column(values, "telephone") == "siret"


def test_nir_starting_like_an_amex_card_is_still_nir() -> None:
    rng = random.Random(4)
    heads = [
        rng.choice(["34", "37"]) + f"{rng.randint(1, 12):02d}75{_digits(rng, 6)}"
        for _ in range(300)
    ]
    heads = [h[:7] + f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}" for h in heads]
    assert _column([h + nir_key(h) for h in heads]) == "nir"


def test_phones_are_never_nir_siren_or_cards() -> None:
    rng = random.Random(5)
    assert _column([fake_phone_fr(rng) for _ in range(500)]) == "phone_fr"
    numbers = [int("6" + _digits(rng, 8)) for _ in range(500)]
    assert _column(numbers, "telephone") == "phone_fr"
    assert _column([n + 33_000_000_000 for n in numbers], "mobile") == "phone_fr"
    assert _column(numbers, "measure") is None  # 9 digits without a phone name: not enough


def test_numeric_identifiers_are_found_at_their_lengths() -> None:
    rng = random.Random(6)
    assert _column([int(fake_siren(rng)) for _ in range(400)]) == "siren"
    assert _column([int(fake_siret(rng)) for _ in range(400)]) == "siret"
    assert _column([int(fake_nir(rng, corsica=False, spaced=False)) for _ in range(400)]) == "nir"
    with_gaps = [float(fake_siret(rng)) if i % 3 else np.nan for i in range(400)]
    assert _column(with_gaps) == "siret"  # a float column because of the NaNs


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("customer_id", list(range(1, 5001))),
        ("id", list(range(100_000_001, 100_005_001))),  # sequential 9-digit ids: 10% pass Luhn
        ("order_id", [f"ORD-{i:08d}" for i in range(2000)]),
        ("amount", [round(1234.56 + i * 0.37, 2) for i in range(2000)]),
        ("amount_eur", [1234.56] * 10 + [float(i) for i in range(2000)]),
        ("price", [float(i) for i in range(100_000_000, 100_002_000)]),
        ("zip", ["75008", "69003", "13001", "33000"] * 500),
        ("zip_int", [75008, 69003, 13001, 33000] * 500),
        ("created", pd.date_range("2024-01-01", periods=2000, freq="37min")),
        ("created_text", [str(t) for t in pd.date_range("2024-01-01", periods=2000, freq="h")]),
        ("epoch_ms", [1_700_000_000_000 + 977 * i for i in range(2000)]),
        ("flag", [True, False] * 1000),
        ("ratio", np.linspace(0, 1, 2000)),
        ("reference", [str(10**13 + 7919 * i) for i in range(2000)]),
        ("serial", [str(10**14 + 104729 * i) for i in range(2000)]),
        ("telephone", ["yes, registered under the customers name", "none"] * 1000),
    ],
)
def test_decoys_are_not_pii(name: str, values: list[object]) -> None:
    assert _column(values, name) is None


def test_random_digits_failing_checksums_are_not_pii() -> None:
    rng = random.Random(8)
    for size in (9, 13, 14, 15, 16, 19):
        assert _column([_digits(rng, size) for _ in range(1000)]) is None, size
        assert _column([int("1" + _digits(rng, size - 1)) for _ in range(1000)]) is None, size


def test_birth_dates_need_a_name_hint_and_plausible_days() -> None:
    days = pd.Series(pd.date_range("1940-01-01", periods=800, freq="17D"))
    assert _column(list(days), "date_of_birth") == "date_of_birth"
    assert _column(list(days.dt.strftime("%d/%m/%Y")), "date_naissance") == "date_of_birth"
    assert _column(list(days.dt.strftime("%Y-%m-%d")), "dob") == "date_of_birth"
    assert _column(list(days), "signup") is None
    assert _column(list(days + pd.Timedelta(minutes=13)), "birth_time") is None
    future = [datetime(2090, 1, 1)] * 10
    assert _column(future, "date_of_birth") is None
    assert _column(list(range(18, 90)), "age") is None


def test_names_need_a_person_name_hint() -> None:
    names = ["Jean Dupont", "Marie-Hélène Lefèvre", "Zoë O'Brien", "DUPONT", "Noé de la Tour"]
    assert _column(names * 20, "nom") == "person_name"
    assert _column(names * 20, "Last Name") == "person_name"
    assert _column(names * 20, "product_name") is None
    assert _column(names * 20, "label") is None
    assert _column(["State-gov", "Private", "Self-emp-not-inc"] * 20, "name") is None


def test_addresses_fr_and_en() -> None:
    values = ["12 rue de la Paix", "3 bis avenue Foch, 75116 Paris", "221B Baker Street",
              "1600 Pennsylvania Avenue NW", "75008 Paris", "8 allée des Lilas"]  # fmt: skip
    assert _column(values * 20) == "postal_address"


def test_min_share_and_the_best_candidate() -> None:
    rng = random.Random(9)
    values = [fake_siren(rng) for _ in range(60)] + ["n/a"] * 40
    assert _column(values) == "siren"
    report = detect_pii(pd.DataFrame({"v": values}), min_share=0.7)
    assert report["v"].pii_type is None
    assert report["v"].share == pytest.approx(0.6)
    assert "under min_share 70%" in report["v"].reason


def test_sampling_is_seeded_and_bounded() -> None:
    frame, expected = mixed_table(200_000, seed=2, unique=1000)
    started = time.perf_counter()
    report = detect_pii(frame, sample_rows=2000, seed=5)
    assert time.perf_counter() - started < 10
    assert report.rows == 200_000 and report.sampled_rows == 2000
    assert {f.column: f.pii_type for f in report.columns} == expected
    assert detect_pii(frame, sample_rows=2000, seed=5).to_dict() == report.to_dict()


def test_odd_frames() -> None:
    empty = detect_pii(pd.DataFrame({"a": pd.Series([], dtype="str"), "b": [None] * 0}))
    assert [f.pii_type for f in empty.columns] == [None, None]
    assert empty["a"].reason == "no non-null values"
    numbered = detect_pii(pd.DataFrame({0: ["a.b@exemple.fr"] * 5, 1: [1, 2, 3, 4, 5]}))
    assert numbered.pii_columns == {"0": "email"}
    mixed_objects = pd.DataFrame({"x": ["a.b@exemple.fr", 3, None, b"raw", "c@d.fr"]})
    finding = detect_pii(mixed_objects)["x"]
    assert (finding.pii_type, finding.matched, finding.checked) == ("email", 2, 4)
    assert detect_pii(pd.DataFrame({"x": ["", " ", "a.b@exemple.fr"]}))["x"].checked == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_rows": 0}, "sample_rows 0 is not a positive integer"),
        ({"sample_rows": True}, "sample_rows True"),
        ({"min_share": 0.0}, r"min_share 0.0 is not in \(0, 1\]"),
        ({"min_share": 1.5}, "min_share 1.5"),
    ],
)
def test_bad_arguments_are_data_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        detect_pii(pd.DataFrame({"a": [1]}), **kwargs)  # type: ignore[arg-type]


def test_not_a_frame_is_a_data_error() -> None:
    with pytest.raises(DataError, match="needs a pandas DataFrame, got 'list'"):
        detect_pii([1, 2, 3])  # type: ignore[arg-type]
