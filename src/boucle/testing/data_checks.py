"""``check_data_check``: the executable contract of a data check (plug-in or built-in)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from boucle.testing.errors import NAME, Verdict, describe

if TYPE_CHECKING:
    import pandas as pd

    from boucle.plugins.protocols import CheckContext

__all__ = ["check_data_check"]

_HINT = (
    "A data check has a 'name' and 'check(frame, context)' returning CheckResult(s) named "
    "like the check, at context.severity, without changing the frame; see docs/plugins.md."
)


def check_data_check(check: object) -> None:
    """Raise :class:`~boucle.testing.ConformanceError` naming how ``check`` breaks the contract.

    Checks: a ``name`` fit for a report; on a classification table (severity ``error``), a
    regression table (``warn``) and a messy little table (missing values, a constant column,
    repeated rows): ``check(frame, context)`` returns, without raising, a
    :class:`~boucle.data.validate.CheckResult` or a non-empty sequence of them, each named
    ``name``, at the context's severity, with a bool ``passed``, a message, a column of the
    table or None, and JSON-ready ``details``; the table is left unchanged; a second call
    gives the same results.
    """
    from boucle.plugins.protocols import CheckContext, DataCheck

    verdict = Verdict(describe("data check", check), "check_data_check", _HINT)
    verdict.expect(
        isinstance(check, DataCheck),
        "protocol",
        f"{type(check).__name__} is not a DataCheck: it needs a 'name' and a "
        "'check(frame, context)' method",
    )
    name = getattr(check, "name", None)
    verdict.expect(
        isinstance(name, str) and bool(NAME.match(name)),
        "name",
        f"check name {name!r} must be a str of letters, digits, '.', ':', '_' or '-'",
    )
    for label, frame, context in _cases(CheckContext):
        _conform_once(check, str(name), label, frame, context, verdict)


def _cases(context_type: type[CheckContext]) -> list[tuple[str, pd.DataFrame, CheckContext]]:
    import numpy as np

    from boucle.testing.samples import sample_table

    messy = sample_table("classification").head(12).copy()
    messy.loc[::3, "x0"] = np.nan
    messy["constant"] = 1.0
    messy = messy.iloc[[*range(12), 0, 1]].reset_index(drop=True)
    return [
        ("a classification table", sample_table("classification"),
         context_type("target", "classification", ("group",), "error")),
        ("a regression table", sample_table("regression"),
         context_type("target", "regression", (), "warn")),
        ("a messy 14-row table", messy,
         context_type("target", "classification", ("group",), "warn")),
    ]  # fmt: skip


def _conform_once(
    check: Any,
    name: str,
    label: str,
    frame: pd.DataFrame,
    context: CheckContext,
    verdict: Verdict,
) -> None:
    from boucle.data.validate.custom import normalise_results
    from boucle.data.validate.report import CheckResult, to_jsonable

    before = frame.copy(deep=True)
    results = _run(check, frame, context, label, verdict)
    verdict.expect(
        frame.equals(before) and list(frame.columns) == list(before.columns),
        "leaves the table",
        f"check() changed the table it was given ({label}); work on a copy",
    )
    found, problem = normalise_results(results)
    verdict.expect(problem is None, "result type", f"on {label}, check() {problem}")
    columns = {str(c) for c in frame.columns}
    for result in found:
        assert isinstance(result, CheckResult)
        verdict.expect(
            result.name == name,
            "result name",
            f"a result is named {result.name!r}; every result carries the check's name {name!r}",
        )
        verdict.expect(
            result.severity == context.severity,
            "severity",
            f"on {label} with severity {context.severity!r}, a result has severity "
            f"{result.severity!r}; use context.severity",
        )
        verdict.expect(isinstance(result.passed, bool), "passed", "passed must be a bool")
        verdict.expect(
            isinstance(result.message, str) and bool(result.message),
            "message",
            "every result needs a one-line message with the numbers",
        )
        verdict.expect(
            result.column is None or str(result.column) in columns,
            "column",
            f"column {result.column!r} is not a column of the table (or None for the table)",
        )
        try:
            json.dumps(to_jsonable(result.details), allow_nan=False)
        except (TypeError, ValueError) as exc:
            verdict.fail("details", f"details are not JSON data: {exc}")
    again, _ = normalise_results(_run(check, frame, context, label, verdict))
    verdict.expect(
        [r.to_dict() for r in again] == [r.to_dict() for r in found],
        "deterministic",
        f"two checks of {label} differ (hidden state or randomness)",
    )


def _run(
    check: Any, frame: pd.DataFrame, context: CheckContext, label: str, verdict: Verdict
) -> Any:
    try:
        return check.check(frame, context)
    except Exception as exc:  # a data check may raise anything: that is the finding
        verdict.fail(
            "raises",
            f"check() raised {type(exc).__name__} on {label}: {exc}; report a problem as a "
            "failed CheckResult instead",
        )
