"""An executable contract for gates: :func:`check_gate` (in the spirit of scikit-learn's
``check_estimator``). Plug-in authors call it in their tests with a real context."""

from __future__ import annotations

import json
import re

from boucle.registry.gates import Gate, GateCheck, GateContext

__all__ = ["check_gate"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


def check_gate(gate: object, context: GateContext) -> GateCheck:
    """Raise AssertionError naming the first way ``gate`` breaks the :class:`Gate` contract.

    Checks: a ``name`` fit for a report; ``check(context)`` returning a :class:`GateCheck`
    of that name with a bool ``passed`` consistent with its ``status``, a str ``detail`` and
    JSON-serialisable ``value``, ``threshold`` and ``numbers``; the same result twice in a row
    (deterministic, no hidden state). Returns the check.
    """
    assert isinstance(gate, Gate), (
        f"{type(gate).__name__} is not a Gate: it needs a 'name' and a 'check(context)' method"
    )
    name = getattr(gate, "name", None)
    assert isinstance(name, str) and _NAME.match(name), (
        f"gate name {name!r} must be a str of letters, digits, '.', ':', '_' or '-'"
    )
    first = gate.check(context)
    assert isinstance(first, GateCheck), (
        f"gate '{name}': check() must return a GateCheck, returned {type(first).__name__}"
    )
    assert first.name == name, f"gate '{name}': its check is named {first.name!r}"
    assert isinstance(first.passed, bool), f"gate '{name}': passed must be a bool"
    assert first.status in ("passed", "failed", "skipped"), f"gate '{name}': bad status"
    assert first.passed == (first.status != "failed"), (
        f"gate '{name}': passed={first.passed} contradicts status {first.status!r}"
    )
    assert isinstance(first.detail, str) and first.detail, f"gate '{name}': detail is empty"
    try:
        json.dumps(first.to_dict(), allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"gate '{name}': its check is not JSON-serialisable: {exc}") from exc
    second = gate.check(context)
    assert second.to_dict() == first.to_dict(), (
        f"gate '{name}': two checks of the same context differ (hidden state or randomness)"
    )
    return first
