"""Column-level PII detection: sample the rows, match each column, keep the most specific type.

How a column gets its type:

1. Up to ``sample_rows`` rows are drawn once (seeded), so 1M rows cost what 10k rows cost.
2. Each detector, in priority order (types hinted by the column name first), selects
   candidates among the values not yet assigned with one vectorised regex, then confirms them
   with its checksum or parser. A value valid for several types goes to the first: the most
   specific check (an IBAN mod-97 before a Luhn, a 14-digit SIRET before a card).
3. The column takes the type holding the most values, if that share reaches ``min_share``.

Why the share threshold is what stops random digits. A random digit string passes Luhn with
p = 0.1 (SIREN, SIRET head and tail, cards), the NIR key with p = 1/97, an IBAN with 1/97. The
number passing among n sampled values is Binomial(n, p); by the Chernoff bound,
P(share >= 0.5) <= exp(-n * KL(0.5 || p)) with KL(0.5 || 0.1) = 0.51, i.e. < 4e-5 for n = 20 and
< 1e-22 for n = 100, and SIRET needs two Luhn passes (p = 0.01). So ids, amounts and random
numbers never reach ``min_share``, while real identifiers pass at 100%. Columns of fewer than
~20 values are the only place where chance can decide, and are reported as such by ``checked``.

Numeric columns (int, or float holding only whole numbers) are only checked for types that can
be stored as numbers, at the lengths they have: NIR (15 digits), SIRET (14), card (13-19),
SIREN (9), and a French phone that lost its leading 0 (9 digits, or 11 with 33), the latter
only under a phone name hint because 9 digits alone say nothing. Floats with decimals
(amounts, measures), booleans and timestamps are never personal data by themselves; a datetime
column is a date of birth only under a birth-date name hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle.data.pii.mask import mask_value
from boucle.data.pii.patterns import DETECTORS, Detector, column_hint, compact_text
from boucle.data.pii.report import ColumnFinding, PiiReport
from boucle.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["detect_pii"]

_DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d", "%Y%m%d")
_MAX_EXACT_FLOAT = 2**53  # integers above this cannot be held exactly by a float64
_EXAMPLES = 3


def detect_pii(
    frame: pd.DataFrame, *, sample_rows: int = 10_000, min_share: float = 0.5, seed: int = 0
) -> PiiReport:
    """Decide, for each column of ``frame``, whether it holds personal data and of which type.

    Checks at most ``sample_rows`` rows (drawn with ``seed``); a column is flagged with the type
    that at least ``min_share`` of its non-null sampled values match. Types: email, phone_fr,
    phone_intl, iban, payment_card, nir, siren, siret, ip_address, postal_address,
    person_name, date_of_birth. Raises :class:`~boucle.errors.DataError` on bad arguments.
    """
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"detect_pii needs a pandas DataFrame, got {type(frame).__name__!r}.",
            hint="Read the table first, e.g. boucle.data.read_table(path).",
        )
    if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 1:
        raise DataError(
            f"sample_rows {sample_rows!r} is not a positive integer.", hint="Use e.g. 10_000."
        )
    if (
        isinstance(min_share, bool)
        or not isinstance(min_share, int | float)
        or not 0 < min_share <= 1
    ):
        raise DataError(f"min_share {min_share!r} is not in (0, 1].", hint="Use e.g. 0.5.")
    sample = frame
    if len(frame) > sample_rows:
        positions = np.random.default_rng(seed).choice(len(frame), size=sample_rows, replace=False)
        sample = frame.take(np.sort(positions))
    findings = [
        _detect_column(str(label), sample.iloc[:, i], min_share)
        for i, label in enumerate(frame.columns)
    ]
    return PiiReport(findings, rows=len(frame), sampled_rows=len(sample), min_share=min_share,
                     seed=seed)  # fmt: skip


def _detect_column(name: str, values: pd.Series, min_share: float) -> ColumnFinding:
    from pandas.api import types

    values = values.dropna()
    kind = values.dtype
    hints = {d.pii_type: hint for d in DETECTORS if (hint := column_hint(name, d)) is not None}
    if types.is_bool_dtype(kind):
        return ColumnFinding(name, None, 0.0, 0, len(values), reason="boolean column")
    if types.is_datetime64_any_dtype(kind):
        if "date_of_birth" not in hints:
            reason = "datetime column without a birth-date name hint (timestamps are not PII)"
            return ColumnFinding(name, None, 0.0, 0, len(values), reason=reason)
        return _assign(name, values.astype(str), values, hints, min_share, numeric=False)
    if types.is_timedelta64_dtype(kind) or types.is_complex_dtype(kind):
        return ColumnFinding(name, None, 0.0, 0, len(values), reason=f"{kind} column")
    if types.is_numeric_dtype(kind):
        digits = _integer_digits(values)
        if digits is None:
            reason = "numeric column with fractional values (amounts, measures)"
            return ColumnFinding(name, None, 0.0, 0, len(values), reason=reason)
        return _assign(name, digits, None, hints, min_share, numeric=True)
    texts = values.astype(str).str.strip()
    texts = texts[texts != ""]
    return _assign(name, texts, None, hints, min_share, numeric=False)


def _integer_digits(values: pd.Series) -> pd.Series | None:
    """Return the decimal digits of an integer column, or None if it holds fractions."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    if types.is_integer_dtype(values.dtype):
        return values.astype(str)
    numbers = values.to_numpy(dtype=np.float64)
    if not (np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()):
        return None
    exact = np.abs(numbers) < _MAX_EXACT_FLOAT
    digits = np.where(exact, numbers, -1).astype(np.int64).astype(str)
    return pd.Series(digits, index=values.index, dtype="str")


def _order(hints: dict[str, str], numeric: bool) -> list[Detector]:
    """Detectors that apply, hinted types first, each group in priority order."""
    usable = []
    for detector in DETECTORS:
        hinted = detector.pii_type in hints
        if detector.needs_hint and not hinted:
            continue
        if numeric and (
            detector.numeric is None or (detector.pii_type == "phone_fr" and not hinted)
        ):
            continue
        usable.append(detector)
    return sorted(usable, key=lambda d: d.pii_type not in hints)


def _assign(
    name: str,
    texts: pd.Series,
    datetimes: pd.Series | None,
    hints: dict[str, str],
    min_share: float,
    *,
    numeric: bool,
) -> ColumnFinding:
    import numpy as np

    checked = len(texts)
    if checked == 0:
        return ColumnFinding(name, None, 0.0, 0, 0, reason="no non-null values")
    order = _order(hints, numeric)
    compact = compact_text(texts) if not numeric else texts
    assigned = np.full(checked, -1)
    for rank, detector in enumerate(order):
        free = np.flatnonzero(assigned < 0)
        if free.size == 0:
            break
        if detector.pii_type == "date_of_birth":
            source = datetimes if datetimes is not None else texts
            valid = _birth_dates(source.iloc[free])
        else:
            view = compact if detector.view == "compact" else texts
            valid = _matches(detector, view.iloc[free], numeric=numeric)
        assigned[free[valid]] = rank
    counts = np.bincount(assigned[assigned >= 0], minlength=len(order))
    hint_note = ", ".join(f"'{h}'" for h in dict.fromkeys(hints.values()))
    if not order or counts.max(initial=0) == 0:
        reason = "no value matches a PII type" + (
            f" (despite name hint {hint_note})" if hints else ""
        )
        return ColumnFinding(name, None, 0.0, 0, checked, reason=reason)
    best = int(np.argmax(counts))
    detector, matched = order[best], int(counts[best])
    share = matched / checked
    examples = tuple(
        mask_value(value, detector.pii_type)
        for value in dict.fromkeys(texts.iloc[np.flatnonzero(assigned == best)[:50]].tolist())
    )[:_EXAMPLES]
    hint = hints.get(detector.pii_type)
    if share < min_share:
        reason = (f"best candidate {detector.pii_type} holds {share:.0%} of values, "
                  f"under min_share {min_share:.0%}")  # fmt: skip
        return ColumnFinding(name, None, share, matched, checked, examples, reason)
    reason = f"{share:.0%} of values {detector.check}"
    if hint is not None:
        reason = f"column name hint '{hint}' + {reason}"
    return ColumnFinding(name, detector.pii_type, share, matched, checked, examples, reason)


def _matches(detector: Detector, view: pd.Series, *, numeric: bool) -> np.ndarray:
    """Boolean mask of the values of ``view`` that ``detector`` recognises (regex, then check)."""
    import numpy as np

    pattern = detector.numeric if numeric else detector.pattern
    assert pattern is not None
    if detector.search:
        found = view.str.contains(pattern, regex=True)
    else:
        found = view.str.fullmatch(pattern)
    hits: np.ndarray = found.to_numpy(dtype=bool, na_value=False).copy()
    if detector.validate is not None and hits.any():
        where = np.flatnonzero(hits)
        hits[where] = detector.validate(view.iloc[where].tolist())
    return hits


def _birth_dates(values: pd.Series) -> np.ndarray:
    """Mask of values that are plausible birth dates: a day (no time) from 1900 to today."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    best = np.zeros(len(values), dtype=bool)
    candidates: list[pd.Series] = []
    if types.is_datetime64_any_dtype(values.dtype):
        candidates.append(values)
    else:
        for fmt in _DATE_FORMATS:
            try:
                candidates.append(pd.to_datetime(values, format=fmt, errors="coerce"))
            except (ValueError, TypeError, OverflowError):
                continue
    today = pd.Timestamp.today().normalize()
    for parsed in candidates:
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        plausible = (
            parsed.notna()
            & (parsed >= pd.Timestamp(1900, 1, 1))
            & (parsed <= today)
            & (parsed == parsed.dt.normalize())
        )
        # A value is a date if any layout reads it (12/05/1984 is a date either way).
        best |= plausible.to_numpy(dtype=bool, na_value=False)
    return best
