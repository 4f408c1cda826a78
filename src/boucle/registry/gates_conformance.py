"""Old home of the gate contract; it lives in :mod:`boucle.testing` now.

:func:`check_gate` here keeps its old behaviour: it needs a context, returns the gate's
check, and lets an exception raised by the gate through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle.testing.gates import conform_gate

if TYPE_CHECKING:
    from boucle.registry.gates import GateCheck, GateContext

__all__ = ["check_gate"]


def check_gate(gate: object, context: GateContext) -> GateCheck:
    """Raise AssertionError (a ConformanceError) naming how ``gate`` breaks the contract.

    See :func:`boucle.testing.check_gate`; returns the check.
    """
    return conform_gate(gate, context, wrap_errors=False)
