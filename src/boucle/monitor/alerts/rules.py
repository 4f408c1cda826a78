"""Alert conditions: a tiny grammar, parsed by hand (never ``eval``).

::

    condition := path operator value
    path      := name ("." name)*          name: letters, digits, "_" and "-"
    operator  := ">" | ">=" | "<" | "<=" | "==" | "!="
    value     := number | true | false     number: 0.3, -1, 2.5e-3

``drift.share_drifted > 0.3`` looks up ``values["drift"]["share_drifted"]`` and compares it.
A boolean value counts as 1 (true) or 0 (false); a path with no value, or a value that is not
a number, does not trigger the rule (the evaluation says why).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from boucle.errors import ConfigError

__all__ = ["OPERATORS", "Condition", "ConditionResult", "RuleSyntaxError", "parse_condition"]

#: The comparison operators, longest first (so ``>=`` is not read as ``>``).
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_EXAMPLE = "write it as 'dotted.path OPERATOR number', e.g. 'drift.share_drifted > 0.3'"


class RuleSyntaxError(ConfigError):
    """An alert rule's ``when`` does not follow the grammar; the message names the rule."""


@dataclass(frozen=True)
class ConditionResult:
    """The outcome of one condition on one set of values.

    ``value`` is the number compared (None when there is none); ``reason`` says why the
    condition could not be evaluated.
    """

    triggered: bool
    value: float | None
    reason: str | None = None


@dataclass(frozen=True)
class Condition:
    """A parsed ``path operator threshold`` condition."""

    path: tuple[str, ...]
    operator: str
    threshold: float
    text: str

    @property
    def dotted_path(self) -> str:
        """The path as written, ``drift.share_drifted``."""
        return ".".join(self.path)

    def lookup(self, values: Mapping[str, Any]) -> Any:
        """The raw value at this path in ``values`` (nested mappings), or None if absent."""
        current: Any = values
        for name in self.path:
            if not isinstance(current, Mapping) or name not in current:
                return None
            current = current[name]
        return current

    def evaluate(self, values: Mapping[str, Any]) -> ConditionResult:
        """Compare the value at this path with the threshold."""
        raw = self.lookup(values)
        if raw is None:
            return ConditionResult(False, None, f"no value at '{self.dotted_path}'")
        if isinstance(raw, bool):
            number = 1.0 if raw else 0.0
        elif isinstance(raw, int | float):
            number = float(raw)
        else:
            kind = type(raw).__name__
            return ConditionResult(
                False, None, f"the value at '{self.dotted_path}' is a {kind}, not a number"
            )
        if not math.isfinite(number):
            return ConditionResult(False, None, f"the value at '{self.dotted_path}' is {number}")
        return ConditionResult(OPERATORS[self.operator](number, self.threshold), number)


def parse_condition(text: str, *, rule: str = "?") -> Condition:
    """Parse ``text`` (``drift.share_drifted > 0.3``) into a :class:`Condition`.

    Raises :class:`RuleSyntaxError` naming ``rule``, quoting ``text`` and saying what was
    expected where.
    """
    if not isinstance(text, str):
        _fail(rule, repr(text), "it is not text")
    position = _skip_spaces(text, 0)
    path: list[str] = []
    while True:
        match = _NAME.match(text, position)
        if match is None:
            found = text[position:] or "the end"
            what = "a name" if not path else "a name after '.'"
            _fail(rule, text, f"expected {what} at position {position + 1}, found {found!r}")
        path.append(match.group())
        position = match.end()
        if position < len(text) and text[position] == ".":
            position += 1
            continue
        break
    position = _skip_spaces(text, position)
    symbol = next((op for op in OPERATORS if text.startswith(op, position)), None)
    if symbol is None:
        found = text[position:] or "the end"
        _fail(
            rule,
            text,
            f"expected a comparison ({', '.join(sorted(OPERATORS))}) after "
            f"'{'.'.join(path)}', found {found!r}",
        )
    position = _skip_spaces(text, position + len(symbol))
    threshold = _read_value(text, position, rule)
    return Condition(path=tuple(path), operator=symbol, threshold=threshold, text=text.strip())


def _read_value(text: str, position: int, rule: str) -> float:
    rest = text[position:].rstrip()
    if rest in ("true", "false"):
        return 1.0 if rest == "true" else 0.0
    match = _NUMBER.fullmatch(rest)
    if match is None:
        _fail(rule, text, f"expected a number (or true/false) after the operator, found {rest!r}")
    value = float(rest)
    if not math.isfinite(value):
        _fail(rule, text, f"the threshold {rest!r} is not a finite number")
    return value


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t":
        position += 1
    return position


def _fail(rule: str, text: str, problem: str) -> NoReturn:
    raise RuleSyntaxError(
        f"alert rule '{rule}': condition {text!r} is not valid: {problem}.",
        hint=f"Fix alerts.rules '{rule}' in boucle.yaml: {_EXAMPLE}.",
    )
