"""Look at a table before writing its boucle.yaml: task, target type, sensitive columns.

The guesses are deliberately simple and written into the generated boucle.yaml with a comment
saying why, for the user to confirm: a text or boolean target, or a numeric one with few
distinct whole values, is classification; any other numeric target is regression. Sensitive
columns are suggested from their *names* (``sex``, ``age_in_years``, ``marital-status``...),
matched word by word so that ``percentage`` or ``mortgage`` do not count as ``age``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_CLASSES",
    "SENSITIVE_WORDS",
    "ColumnSuggestion",
    "TableInspection",
    "guess_task",
    "inspect_table",
    "suggest_sensitive",
]

#: A numeric target with at most this many distinct whole values is guessed categorical.
MAX_CLASSES = 20

#: Words in a column name that suggest a protected characteristic, with the reason shown.
SENSITIVE_WORDS: dict[str, str] = {
    "sex": "sex",
    "gender": "gender",
    "age": "age",
    "birth": "age (date or place of birth)",
    "dob": "age (date of birth)",
    "race": "race",
    "racial": "race",
    "ethnic": "ethnicity",
    "ethnicity": "ethnicity",
    "nationality": "nationality",
    "native": "national origin",
    "citizenship": "nationality",
    "foreign": "national origin",
    "religion": "religion",
    "religious": "religion",
    "marital": "marital status",
    "disability": "disability",
    "disabled": "disability",
    "handicap": "disability",
    "pregnant": "pregnancy",
    "pregnancy": "pregnancy",
    "orientation": "sexual orientation",
}

TaskGuess = Literal["classification", "regression"]


@dataclass(frozen=True)
class ColumnSuggestion:
    """A column suggested as sensitive, and the word of its name that suggested it."""

    column: str
    reason: str


@dataclass(frozen=True)
class TableInspection:
    """What :func:`inspect_table` found in a table, for its boucle.yaml."""

    rows: int
    columns: list[str]
    target: str
    task: TaskGuess
    task_reason: str
    classes: list[str] = field(default_factory=list)
    positive_class: str | None = None
    sensitive: list[ColumnSuggestion] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "rows": self.rows,
            "columns": list(self.columns),
            "target": self.target,
            "task": self.task,
            "task_reason": self.task_reason,
            "classes": list(self.classes),
            "positive_class": self.positive_class,
            "sensitive": [{"column": s.column, "reason": s.reason} for s in self.sensitive],
            "numeric": list(self.numeric),
        }


def inspect_table(
    frame: pd.DataFrame, target: str, *, task: TaskGuess | None = None
) -> TableInspection:
    """Inspect ``frame`` for predicting ``target``; ``task`` overrides the guess.

    For a binary target the minority class is proposed as ``positive_class`` (the event to
    predict is usually the rarer one). Raises :class:`ConfigError` when ``target`` is not a
    column, :class:`DataError` when it holds no value or ``task`` cannot fit it.
    """
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    if target not in columns:
        import difflib

        close = difflib.get_close_matches(target, columns, n=1, cutoff=0.5)
        raise ConfigError(
            f"--target '{target}' is not a column of the data. Columns: "
            f"{', '.join(columns[:40])}{', ...' if len(columns) > 40 else ''}.",
            hint=(f"Did you mean '{close[0]}'? " if close else "")
            + "Pass one of the columns above as --target.",
        )
    values = frame[target].dropna()
    if values.empty:
        raise DataError(
            f"target column '{target}' holds no value (every row is missing).",
            hint="Pick another --target, or check the file's separator and header.",
        )
    guessed, reason = guess_task(values)
    chosen: TaskGuess = task or guessed
    numeric_target = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
        values
    )
    if chosen == "regression" and not numeric_target:
        raise DataError(
            f"target '{target}' holds text ({values.astype(str).iloc[0]!r}, ...): it cannot be "
            "the target of a regression.",
            hint="Use --template classification, or pick a numeric --target.",
        )
    if task is not None and task != guessed:
        reason = f"--template {task} (the data alone suggested {guessed}: {reason})"
    classes: list[str] = []
    positive: str | None = None
    if chosen == "classification":
        counts = values.astype(str).value_counts()
        classes = sorted(str(c) for c in counts.index)
        if len(counts) == 2:
            # Minority class; on a tie the sorted-last label, like boucle's target encoding.
            positive = min(reversed(classes), key=lambda label: int(counts[label]))
    features = [c for c in columns if c != target]
    numeric = [
        c
        for c in features
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    return TableInspection(
        rows=len(frame),
        columns=columns,
        target=target,
        task=chosen,
        task_reason=reason,
        classes=classes if len(classes) <= MAX_CLASSES else classes[:MAX_CLASSES],
        positive_class=positive,
        sensitive=suggest_sensitive(features),
        numeric=numeric,
    )


def guess_task(values: pd.Series) -> tuple[TaskGuess, str]:
    """Guess the task from the target's non-missing values; also say why."""
    import pandas as pd

    types = pd.api.types
    if types.is_bool_dtype(values) or not types.is_numeric_dtype(values):
        return "classification", "the target holds labels, not numbers"
    distinct = int(values.nunique())
    whole = bool((values.astype(float) % 1 == 0).all())
    if whole and distinct <= MAX_CLASSES:
        return "classification", f"the target has {distinct} distinct whole values"
    return "regression", f"the target is numeric with {distinct} distinct values"


def suggest_sensitive(columns: list[str]) -> list[ColumnSuggestion]:
    """Columns whose name contains a word of :data:`SENSITIVE_WORDS`, in table order."""
    found = []
    for column in columns:
        for word in _words(column):
            if word in SENSITIVE_WORDS:
                found.append(ColumnSuggestion(column, SENSITIVE_WORDS[word]))
                break
    return found


def _words(name: str) -> list[str]:
    """``'maritalStatus'`` → ``['marital', 'status']``; ``'age_in_years'`` → 3 words."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
