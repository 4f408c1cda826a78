"""Sections of the profile page for results computed elsewhere: validation, PII, representation.

Each comes in as a plain dict (JSON-ready, so it can be read back from a stored run), and
``None`` means the check was not run. The shapes::

    validation = {"results": [
        {"name": "age in [17, 90]", "column": "age",      # column: None for a table check
         "severity": "error",                             # "error" | "warn(ing)" | "info"
         "passed": False, "message": "3 values above 90"},
    ]}
    pii = {"columns": [                                   # PiiReport.to_dict() fits as is
        {"column": "email", "pii_type": "email",          # pii_type: None = nothing found
         "share": 0.98, "examples_masked": ["j***@x.org"], "reason": "98% match"},
    ]}
    representation = {"columns": [
        {"column": "sex", "groups": [
            {"group": "Female", "count": 10771, "share": 0.33, "passed": True},
        ]},
    ]}

A column's ``groups`` may also be a mapping ``{group: {"count", "share"}}`` beside a list
``failing_groups`` (the ``details`` of boucle.data.validate's representation check); a group
then passes when it is not in that list. ValidationReport.to_dict() fits ``validation`` as is.
Extra keys are ignored; a missing key raises :class:`~boucle.errors.DataError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from boucle.errors import DataError
from boucle.reports import (
    Badge,
    Block,
    Cell,
    Figure,
    Grid,
    Kpi,
    KpiGrid,
    Panel,
    Section,
    Table,
    Text,
    bar_chart_svg,
    format_number,
    format_share,
)

__all__ = ["pii_section", "representation_section", "validation_section"]


def _items(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """The list ``data[key]`` of mappings, or a DataError that says which shape was expected."""
    items = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise DataError(
            f"{where} has no list '{key}' (got {type(items).__name__}).",
            hint=f"Pass {{'{key}': [...]}}; see boucle.data.profile.render_findings.",
        )
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise DataError(
                f"{where}: {key}[{position}] is {type(item).__name__}, not a dict.",
                hint="See boucle.data.profile.render_findings for the expected fields.",
            )
    return list(items)


def _field(item: Mapping[str, Any], name: str, where: str, position: int) -> Any:
    if name not in item:
        raise DataError(
            f"{where} entry {position} has no '{name}' (keys: {', '.join(map(str, item))}).",
            hint="See boucle.data.profile.render_findings for the expected fields.",
        )
    return item[name]


_SEVERITY_ORDER = {"error": 0, "warn": 1, "warning": 1, "info": 2}


def _plural(count: int, noun: str) -> str:
    return f"{format_number(count)} {noun}{'' if count == 1 else 's'}"


def _not_run(title: str, anchor: str) -> Section:
    return Section(title, [Text(f"{title}: not run.")], anchor=anchor, badge=Badge("not run"))


def _outcome(passed: bool, severity: str = "error") -> Badge:
    if passed:
        return Badge("passed", "good")
    return Badge("failed", "bad" if severity == "error" else "warn")


def validation_section(validation: Mapping[str, Any] | None) -> Section:
    """Validation results: counts, then one row per check, failed checks first."""
    title, anchor = "Validation", "validation"
    if validation is None:
        return _not_run(title, anchor)
    results = _items(validation, "results", "the validation dict")
    rows: list[tuple[tuple[bool, int], list[Cell]]] = []
    failed = {"error": 0, "warning": 0, "info": 0}
    for i, result in enumerate(results):
        name, column = _field(result, "name", title, i), _field(result, "column", title, i)
        severity = str(_field(result, "severity", title, i))
        passed = bool(_field(result, "passed", title, i))
        if not passed:
            failed[severity] = failed.get(severity, 0) + 1
        cells: list[Cell] = [
            str(name),
            None if column is None else str(column),
            severity,
            _outcome(passed, severity),
            str(_field(result, "message", title, i)),
        ]
        rows.append(((passed, _SEVERITY_ORDER.get(severity, 3)), cells))
    rows.sort(key=lambda row: row[0])  # failed errors first, then by severity; stable
    errors, warnings = failed["error"], sum(failed.values()) - failed["error"]
    kpis = KpiGrid(
        [
            Kpi("Checks", format_number(len(results))),
            Kpi("Passed", format_number(len(results) - errors - warnings), tone="good"),
            Kpi("Failed (errors)", format_number(errors), tone="bad" if errors else "good"),
            Kpi("Failed (other)", format_number(warnings), tone="warn" if warnings else "good"),
        ]
    )
    table = Table(["Check", "Column", "Severity", "Result", "Message"], [c for _, c in rows])
    badge = Badge(f"{errors} failed", "bad") if errors else Badge("passed", "good")
    if not errors and warnings:
        badge = Badge(_plural(warnings, "warning"), "warn")
    blocks: list[Block] = [kpis, table] if results else [Text("No validation checks were run.")]
    return Section(title, blocks, anchor=anchor, badge=badge)


def pii_section(pii: Mapping[str, Any] | None) -> Section:
    """PII findings: the flagged columns with their type, share and masked examples."""
    title, anchor = "Personal data (PII)", "pii"
    if pii is None:
        return _not_run(title, anchor)
    columns = _items(pii, "columns", "the PII dict")
    rows: list[list[Cell]] = []
    for i, finding in enumerate(columns):
        kind = _field(finding, "pii_type", title, i)
        if kind is None:
            continue
        examples = _field(finding, "examples_masked", title, i) or []
        rows.append(
            [
                str(_field(finding, "column", title, i)),
                Badge(str(kind), "warn"),
                format_share(float(_field(finding, "share", title, i))),
                ", ".join(str(e) for e in examples),
                str(finding.get("reason", "")),
            ]
        )
    kpis = KpiGrid(
        [
            Kpi("Columns checked", format_number(len(columns))),
            Kpi(
                "Columns with personal data",
                format_number(len(rows)),
                tone="warn" if rows else "good",
            ),
        ]
    )
    if not rows:
        text = Text(f"No personal data found in {_plural(len(columns), 'column')}.", "good")
        return Section(title, [kpis, text], anchor=anchor, badge=Badge("none found", "good"))
    table = Table(["Column", "Type", "Share of values", "Examples (masked)", "Reason"], rows)
    badge = Badge(_plural(len(rows), "column"), "warn")
    return Section(title, [kpis, table], anchor=anchor, badge=badge)


def _group_list(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """``entry`` with ``groups`` as a list, when it came as ``{group: {count, share}}``."""
    groups = entry.get("groups")
    if not isinstance(groups, Mapping):
        return entry
    failing = {str(group) for group in entry.get("failing_groups", ())}
    listed = [
        {**values, "group": group, "passed": str(group) not in failing}
        if isinstance(values, Mapping)
        else values
        for group, values in groups.items()
    ]
    return {**entry, "groups": listed}


def representation_section(representation: Mapping[str, Any] | None) -> Section:
    """Representation: for each sensitive column, its groups' counts and shares."""
    title, anchor = "Representation", "representation"
    if representation is None:
        return _not_run(title, anchor)
    columns = _items(representation, "columns", "the representation dict")
    panels: list[Block] = []
    failing = 0
    for i, entry in enumerate(columns):
        name = str(_field(entry, "column", title, i))
        groups = _items(_group_list(entry), "groups", f"representation column '{name}'")
        rows: list[list[Cell]] = []
        for j, group in enumerate(groups):
            passed = bool(_field(group, "passed", name, j))
            failing += not passed
            rows.append(
                [
                    str(_field(group, "group", name, j)),
                    int(_field(group, "count", name, j)),
                    format_share(float(_field(group, "share", name, j))),
                    _outcome(passed),
                ]
            )
        labels = [str(row[0]) for row in rows]
        shares = [float(group["share"]) for group in groups]
        blocks: list[Block] = [Table(["Group", "Count", "Share", "Result"], rows)]
        if groups:
            chart = bar_chart_svg(
                labels,
                shares,
                title=f"Groups of {name}",
                value_labels=[str(row[2]) for row in rows],
            )
            blocks.append(Figure(chart, "Share of rows per group"))
        panels.append(Panel(name, [Grid(blocks)], anchor=f"representation-{i + 1}"))
    if not panels:
        panels = [Text("No sensitive columns were checked.")]
    badge = (
        Badge(f"{_plural(failing, 'group')} flagged", "bad") if failing else Badge("passed", "good")
    )
    return Section(title, panels, anchor=anchor, badge=badge)
