"""``monitor:`` of boucle.yaml: defaults of ``boucle monitor`` (drift level, timeline, tests, Dask).

Command-line options and API arguments, when given, win over these values.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from boucle.config.base import Section

__all__ = ["MonitorConfig"]

_TIMELINE = re.compile(r"^[1-9]\d*(s|min|h|D)$")
_TEST_NAME = re.compile(r"^[A-Za-z_][\w.-]*(:[A-Za-z_][\w.]*)?$")


class MonitorConfig(Section):
    """How ``boucle monitor`` compares production data with the training reference."""

    alpha: float = Field(
        default=0.01,
        gt=0.0,
        lt=1.0,
        description="False discovery rate across features (Benjamini-Hochberg).",
    )
    timeline: str = Field(
        default="1D",
        description="Serving log: drift timeline step, a fixed pandas frequency (1D, 6h, 30min).",
    )
    drift_tests: list[str] = Field(
        default_factory=list,
        description="Drift tests added to the built-in ones: plug-in names (entry points of "
        "group boucle.drift) or module:attr paths. Built-in names (ks, psi, ...) are always "
        "computed; listing them changes nothing.",
    )
    dask: bool = Field(
        default=False,
        description="Scan the partitions (serving log days, files of --current) on a local "
        "Dask cluster.",
    )
    workers: int | None = Field(
        default=None, ge=1, description="Dask workers (threads); default one per core."
    )

    @field_validator("timeline")
    @classmethod
    def _check_timeline(cls, value: str) -> str:
        if not _TIMELINE.match(value):
            raise ValueError(
                f"monitor.timeline {value!r} is not a step; write a number and a unit: "
                "'1D', '6h', '30min'"
            )
        return value

    @field_validator("drift_tests")
    @classmethod
    def _check_tests(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not _TEST_NAME.match(name)]
        if bad:
            raise ValueError(
                f"monitor.drift_tests: {bad[0]!r} is neither a plug-in name nor a "
                "module:attr path (e.g. mean_shift or my_pkg.drift:MeanShift)"
            )
        twice = sorted({name for name in value if value.count(name) > 1})
        if twice:
            raise ValueError(f"monitor.drift_tests names {', '.join(twice)} more than once")
        return value
