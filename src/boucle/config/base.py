"""The base of every boucle.yaml section: unknown keys are an error, defaults are validated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section"]


class Section(BaseModel):
    """One section of boucle.yaml (``extra="forbid"``: a typo is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
