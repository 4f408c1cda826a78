"""The boucle.yaml sketch in README.md is a valid configuration (docs must not drift)."""

from __future__ import annotations

from pathlib import Path

import yaml

from boucle.config import BoucleConfig

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_yaml() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration reference") :]
    start = section.index("```yaml") + len("```yaml")
    return section[start : section.index("```", start)]


def test_the_readme_configuration_validates() -> None:
    document = yaml.safe_load(_readme_yaml())
    config = BoucleConfig.model_validate(document)
    assert config.export.quantize.mode == "off"  # written unquoted: YAML 1.1 reads it as false
    assert config.use_case is not None and config.use_case.decisions == ["creditworthiness"]
    assert config.features == ["features.py:add_ratio"]
