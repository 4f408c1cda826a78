"""``features:`` and ``quality:`` of boucle.yaml: the project's own code, and its quality gate."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from boucle.config.base import Section

__all__ = ["QualityBlock", "QualityConfig"]

#: What may block registration: a failing ruff/pytest check, or uncommitted changes.
QualityBlock = Literal["failures", "dirty"]


class QualityConfig(Section):
    """``quality:`` ruff and the project's tests on its own code, before anything else."""

    enabled: bool = Field(
        default=False,
        description="Run the quality step first in `boucle run` (`boucle init` writes true).",
    )
    ruff: bool = Field(default=True, description="Run `ruff check` on the project's code.")
    format: bool = Field(
        default=True, description="Also run `ruff format --check` (only when ruff is on)."
    )
    tests: bool = Field(default=True, description="Run the project's tests with `pytest -q`.")
    paths: list[str] = Field(
        default_factory=lambda: ["."],
        description="What ruff checks, relative to boucle.yaml (ruff's own excludes apply).",
    )
    test_args: list[str] = Field(
        default_factory=list,
        description="Extra pytest arguments (paths, -k, -m); empty: pytest's own discovery.",
    )
    timeout_s: float = Field(
        default=600.0, gt=0.0, description="Time limit of each tool, in seconds."
    )
    block_on: list[QualityBlock] = Field(
        default_factory=list,
        description="Refuse registration when 'failures' (ruff or tests failed) or 'dirty' "
        "(uncommitted changes in the project folder, or no git repository); empty: record only.",
    )

    @field_validator("paths")
    @classmethod
    def _paths_not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("quality.paths is empty; use ['.'] to check the whole project")
        return value

    @field_validator("block_on")
    @classmethod
    def _unique(cls, value: list[QualityBlock]) -> list[QualityBlock]:
        return sorted(set(value))
