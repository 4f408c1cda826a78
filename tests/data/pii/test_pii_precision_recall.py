"""PII precision and recall on synthetic tables where every type is planted, valid and not.

Each seed builds :func:`mixed_table` (every PII type plus decoys) and adds columns of
checksum types whose check digits are broken: under a name that hints at the type, so only the
checksum can keep them out. Over several seeds, per PII type, the detected column types must
reach precision and recall of 0.95 against the truth; inside a column mixing valid and invalid
numbers, only the valid ones may count.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pandas as pd
import pytest

from boucle.data.pii import (
    PII_TYPES,
    card_is_valid,
    detect_pii,
    iban_is_valid,
    nir_is_valid,
    siren_is_valid,
    siret_is_valid,
)
from boucle.data.pii.synthetic import (
    fake_card,
    fake_iban,
    fake_nir,
    fake_siren,
    fake_siret,
    mixed_table,
)

SEEDS = (0, 1, 2, 3)
ROWS = 1000
# Per seed: truth, detected types, valid counts and matched counts of the mixed columns.
Run = tuple[dict[str, str | None], dict[str, str | None], dict[str, int], dict[str, int]]
VALID_SHARE = 0.7  # of the mixed columns: enough to pass min_share, the rest must not count


def _compact(value: str) -> str:
    return value.replace(" ", "")


def _shift_digit(digit: str, rng: random.Random) -> str:
    return str((int(digit) + rng.randint(1, 9)) % 10)


def _bad_luhn(value: str, rng: random.Random) -> str:
    """Change the last digit: Luhn catches every single-digit change."""
    value = _compact(value)
    return value[:-1] + _shift_digit(value[-1], rng)


def _bad_iban(rng: random.Random) -> str:
    """Replace the check digits by another value in 02-98 that differs from them mod 97."""
    iban = _compact(fake_iban(rng))
    wrong = (int(iban[2:4]) - 2 + rng.randint(1, 94)) % 97 + 2
    return f"{iban[:2]}{wrong:02d}{iban[4:]}"


def _bad_nir(rng: random.Random, *, corsica: bool = True) -> str:
    """Replace the key (01-97) by another one."""
    nir = fake_nir(rng, corsica=corsica, spaced=False)
    return f"{nir[:-2]}{(int(nir[-2:]) + rng.randint(1, 90)) % 97 + 1:02d}"


# (valid generator, invalid generator, validator, PII type); names carry the type's hint.
CHECKSUM_TYPES: dict[str, tuple[Callable[[random.Random], str], Callable[[random.Random], str],
                                 Callable[[str], bool], str]] = {
    "iban": (fake_iban, _bad_iban, iban_is_valid, "iban"),
    "carte": (fake_card, lambda r: _bad_luhn(fake_card(r), r), card_is_valid, "payment_card"),
    "numero_secu": (fake_nir, _bad_nir, nir_is_valid, "nir"),
    "siren": (fake_siren, lambda r: _bad_luhn(fake_siren(r), r), siren_is_valid, "siren"),
    "siret": (fake_siret, lambda r: _bad_luhn(fake_siret(r), r), siret_is_valid, "siret"),
}  # fmt: skip


def _planted_table(seed: int) -> tuple[pd.DataFrame, dict[str, str | None], dict[str, int]]:
    """mixed_table plus, per checksum type, an all-invalid column and a valid/invalid mix.

    Returns the table, each column's true type, and for the mixed columns the count of valid
    values (the most the detector may count).
    """
    frame, truth = mixed_table(ROWS, seed=seed)
    rng = random.Random(1000 + seed)
    valid_counts: dict[str, int] = {}
    added: dict[str, list[object]] = {}
    for name, (make_valid, make_invalid, is_valid, pii_type) in CHECKSUM_TYPES.items():
        invalid = [make_invalid(rng) for _ in range(ROWS)]
        assert not any(map(is_valid, invalid)), f"the generator of invalid {name} leaks"
        added[f"{name}_invalid"], truth[f"{name}_invalid"] = list(invalid), None
        mixed = [make_valid(rng) if rng.random() < VALID_SHARE else make_invalid(rng)
                 for _ in range(ROWS)]  # fmt: skip
        valid_counts[f"{name}_mixed"] = sum(map(is_valid, mixed))
        added[f"{name}_mixed"], truth[f"{name}_mixed"] = list(mixed), pii_type
    # Integer storage too: the numeric path has its own checks.
    bad_siret_int: list[object] = [int(_bad_luhn(fake_siret(rng), rng)) for _ in range(ROWS)]
    added["siret_int_invalid"], truth["siret_int_invalid"] = bad_siret_int, None
    bad_nir_int: list[object] = [int(_bad_nir(rng, corsica=False)) for _ in range(ROWS)]
    added["nir_int_invalid"], truth["nir_int_invalid"] = bad_nir_int, None
    return pd.concat([frame, pd.DataFrame(added)], axis=1), truth, valid_counts


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    """Per seed: truth, detected types, valid counts and matched counts of the mixed columns."""
    results = []
    for seed in SEEDS:
        frame, truth, valid_counts = _planted_table(seed)
        report = detect_pii(frame, seed=seed)
        found = {finding.column: finding.pii_type for finding in report.columns}
        matched = {column: report[column].matched for column in valid_counts}
        results.append((truth, found, valid_counts, matched))
    return results


def test_every_type_reaches_precision_and_recall_095(runs: list[Run]) -> None:
    true_positive: Counter[str] = Counter()
    detected: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    for truth, found, _, _ in runs:
        assert set(found) == set(truth)
        for column, expected in truth.items():
            got = found[column]
            planted.update([expected] if expected else [])
            detected.update([got] if got else [])
            true_positive.update([got] if got and got == expected else [])
    assert set(planted) == set(PII_TYPES)  # every type was planted
    scores = {
        pii_type: (true_positive[pii_type] / max(detected[pii_type], 1),
                   true_positive[pii_type] / planted[pii_type])
        for pii_type in planted
    }  # fmt: skip
    low = {t: s for t, s in scores.items() if min(s) < 0.95}
    assert not low, f"(precision, recall) under 0.95: {low}"
    # No type is invented for a column without PII (which would not show above).
    assert set(detected) <= set(planted)


def test_columns_of_invalid_checksums_are_not_pii(runs: list[Run]) -> None:
    for _, found, _, _ in runs:
        flagged = {c: t for c, t in found.items() if c.endswith("_invalid") and t is not None}
        assert not flagged


def test_invalid_values_do_not_count_inside_a_flagged_column(runs: list[Run]) -> None:
    for truth, found, valid_counts, matched in runs:
        for column, valid in valid_counts.items():
            assert found[column] == truth[column], column
            # Value-level precision: nothing beyond the valid values is counted; recall >= 0.95
            # (a valid value may go to a more specific type first: the priority rule).
            assert matched[column] <= valid, (column, matched[column], valid)
            assert matched[column] >= 0.95 * valid, (column, matched[column], valid)
