"""A fact of a document: its value and where it came from, or "not recorded" and how to record it.

Documents never invent a value: a :class:`Fact` either carries a value and its sources (ledger
events, the artifact store, boucle.yaml) or ``value=None`` and ``how`` saying how the fact gets
recorded. :class:`Citations` collects every ledger event a document cites, so its provenance
section lists their hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from boucle.reports import Badge, Cell, Table

if TYPE_CHECKING:
    from boucle.ledger import LedgerEvent

__all__ = ["NOT_RECORDED", "Citations", "Fact", "fact_table", "short_hash"]

NOT_RECORDED = "not recorded"


def short_hash(value: str, length: int = 12) -> str:
    """The first ``length`` characters of a hex hash (tables; the full hash is in provenance)."""
    return value[:length]


@dataclass(frozen=True)
class Fact:
    """One line of a document: ``label``, ``value`` (None: not recorded) and its ``source``.

    ``source`` names where the value was read (``#19 run_finished 1a2b…``, ``boucle.yaml
    use_case.users``); ``how`` says how to record a missing value.
    """

    label: str
    value: str | None
    source: str = ""
    how: str = ""

    @property
    def recorded(self) -> bool:
        """True when the value is known."""
        return self.value is not None

    def cells(self) -> list[Cell]:
        """The table cells: label, value (or a 'not recorded' badge), source (or how)."""
        if self.value is None:
            return [self.label, Badge(NOT_RECORDED, "warn"), f"how to record: {self.how}"]
        return [self.label, self.value, self.source or None]


def fact_table(facts: Iterable[Fact], caption: str = "") -> Table:
    """A three-column table of facts: what, value, source (or how to record it)."""
    return Table(
        header=("Fact", "Value", "Source (or how to record it)"),
        rows=[fact.cells() for fact in facts],
        caption=caption,
    )


class Citations:
    """The ledger events a document cites, in chain order, each with a short reference."""

    def __init__(self) -> None:
        self._events: dict[int, LedgerEvent] = {}

    def cite(self, *events: LedgerEvent | None) -> str:
        """Record ``events`` as sources and return their references (``#19 run_finished 1a2b…``)."""
        refs = []
        unique = {event.index: event for event in events if event is not None}
        for event in sorted(unique.values(), key=lambda e: e.index):
            self._events[event.index] = event
            refs.append(f"#{event.index} {event.kind} {short_hash(event.hash)}")
        return "; ".join(refs)

    __call__ = cite

    def cite_all(self, events: Sequence[LedgerEvent]) -> str:
        """Cite many events; the reference names the first three and counts the rest."""
        if len(events) <= 3:
            return self.cite(*events)
        for event in events:
            self.cite(event)
        shown = self.cite(*events[:3])
        return f"{shown}; and {len(events) - 3} more"

    @property
    def events(self) -> list[LedgerEvent]:
        """Every cited event, in chain order."""
        return [self._events[index] for index in sorted(self._events)]
