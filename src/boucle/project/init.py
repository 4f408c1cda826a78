"""``boucle init``: scaffold a project that runs at once, from a data file or a template.

With ``data`` the file is inspected (task, positive class and sensitive columns guessed, see
:mod:`boucle.project.inspect`), left where it is (``data.source`` points at it) and
snapshotted into the project's artifact store. Without it, the template's sample data is
written to ``data/`` (classification: the UCI Adult census shipped with boucle; regression:
the diabetes data shipped with scikit-learn). An existing file is never overwritten: it is
listed as skipped. The templates are package data files under ``project/templates/``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from boucle._version import __version__
from boucle.errors import ConfigError
from boucle.project.inspect import TableInspection, inspect_table
from boucle.store._local import write_atomic

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RUFF_PRE_COMMIT_REV", "TEMPLATES", "InitResult", "init_project"]

TemplateName = Literal["classification", "regression"]
#: The templates and the sample data each one starts from when no --data is given.
TEMPLATES: dict[str, str] = {
    "classification": "UCI Adult census (income >50K), shipped with boucle",
    "regression": "diabetes progression (Efron et al. 2004), shipped with scikit-learn",
}
#: ruff-pre-commit tag written into .pre-commit-config.yaml.
RUFF_PRE_COMMIT_REV = "v0.17.6"
_MAX_NAME = 40

#: Generated file (relative path) → template file.
_FILES: dict[str, str] = {
    "boucle.yaml": "boucle.yaml.j2",
    "features.py": "features.py.j2",
    "tests/test_features.py": "test_features.py.j2",
    "pyproject.toml": "pyproject.toml.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
    ".github/workflows/boucle.yml": "github-workflow.yml.j2",
    ".gitlab-ci.yml": "gitlab-ci.yml.j2",
    ".gitignore": "gitignore.j2",
    "README.md": "README.md.j2",
    "data/README.md": "data-README.md.j2",
}


@dataclass(frozen=True)
class InitResult:
    """What ``boucle init`` made: the folder, what it created and skipped, what it guessed."""

    directory: Path
    config_path: Path
    created: tuple[str, ...]
    skipped: tuple[str, ...]
    inspection: TableInspection
    source: str
    snapshot_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "directory": str(self.directory),
            "config_path": str(self.config_path),
            "created": list(self.created),
            "skipped": list(self.skipped),
            "inspection": self.inspection.to_dict(),
            "source": self.source,
            "snapshot_id": self.snapshot_id,
        }


def init_project(
    directory: str | os.PathLike[str],
    *,
    template: TemplateName | None = None,
    data: str | os.PathLike[str] | None = None,
    target: str | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> InitResult:
    """Create the project folder ``directory`` (or complete an existing one).

    ``template`` fixes the task (otherwise guessed from ``data``; ``classification``
    without data). ``data`` (a local path, relative to the current folder, or an fsspec URL)
    needs ``target``. Raises :class:`ConfigError` for a bad folder, name, template or target,
    :class:`~boucle.errors.DataError` when the data cannot be read.
    """
    root = Path(directory).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"'{root}' exists and is not a folder.", hint="Pass the name of a new folder."
        )
    if template is not None and template not in TEMPLATES:
        raise ConfigError(
            f"unknown template '{template}'.", hint=f"Use one of: {', '.join(TEMPLATES)}."
        )
    project = _project_name(root.name)
    if data is not None:
        frame, source, location = _user_data(data, target, root, read_options or {})
        assert target is not None  # checked by _user_data
        extra: dict[str, bytes] = {}
    else:
        if target is not None:
            raise ConfigError(
                f"--target '{target}' was given without --data.",
                hint="Pass --data FILE with it, or drop --target to start from a template.",
            )
        chosen = template or "classification"
        frame, target, name, text = _sample_data(chosen)
        source, location = f"data/{name}", f"`data/{name}` ({TEMPLATES[chosen]})"
        extra = {source: text}
    inspection = inspect_table(frame, target, task=template)
    context = _context(project, inspection, frame, source, location, data is not None, template)
    context["read"] = dict(read_options or {})
    created: list[str] = []
    skipped: list[str] = []
    try:
        for relative, name in _FILES.items():
            _write_new(root, relative, _render(name, context).encode(), created, skipped)
        for relative, content in extra.items():
            _write_new(root, relative, content, created, skipped)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the project into '{root}': {exc.strerror or exc}.",
            hint="Pick a folder you can write to.",
        ) from exc
    config_path = root / "boucle.yaml"
    snapshot_id = _record(config_path, frame if data is not None else None, template, created)
    return InitResult(
        root, config_path, tuple(created), tuple(skipped), inspection, source, snapshot_id
    )


def _project_name(folder: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder).strip("-._")
    if not name:
        raise ConfigError(
            f"cannot make a project name from the folder name '{folder}'.",
            hint="Name the folder with letters, digits, '-', '_' or '.' (e.g. credit-risk).",
        )
    return name


def _user_data(
    data: str | os.PathLike[str], target: str | None, root: Path, read: Mapping[str, Any]
) -> tuple[pd.DataFrame, str, str]:
    """Read the user's table; return it, ``data.source`` (relative to the project), a note."""
    from boucle.config.paths import is_url
    from boucle.data import read_table

    text = os.fspath(data)
    location = text if is_url(text) else str(Path(text).expanduser().resolve())
    frame = read_table(location, read)
    if target is None:
        columns = [str(c) for c in frame.columns]
        raise ConfigError(
            "--target is required with --data: which column should the model predict?",
            hint=f"Columns: {', '.join(columns[:40])}{', ...' if len(columns) > 40 else ''}.",
        )
    if is_url(text):
        return frame, location, f"`{location}` (not copied)"
    try:
        shared = Path(os.path.commonpath([location, root]))
        # Relative when file and project share a folder below the filesystem root.
        relative = shared != Path(shared.anchor)
        source = Path(os.path.relpath(location, root)).as_posix() if relative else location
    except ValueError:  # another drive (Windows): keep the absolute path
        source = location
    return frame, source, f"`{source}` (not copied: `data.source` in boucle.yaml points at it)"


def _sample_data(template: str) -> tuple[pd.DataFrame, str, str, bytes]:
    """The template's sample table: (frame, target, file name, CSV bytes)."""
    import io

    import pandas as pd

    if template == "classification":
        packed = files("boucle.datasets").joinpath("adult.csv.gz").read_bytes()
        text = gzip.decompress(packed)
        return pd.read_csv(io.BytesIO(text)), "income", "adult.csv", text
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(as_frame=True, scaled=False)
    frame = bunch.frame.rename(columns={"target": "progression"})
    return frame, "progression", "diabetes.csv", frame.to_csv(index=False).encode()


def _context(
    project: str,
    found: TableInspection,
    frame: pd.DataFrame,
    source: str,
    location: str,
    user_data: bool,
    template: str | None,
) -> dict[str, Any]:
    from boucle.config.paths import is_url

    ratio = _ratio_columns(frame, found)
    sensitive = [s.column for s in found.sensitive]
    if user_data:
        data_text = (
            f"The data stays where it is: {location}.\n\n"
            "`boucle init` read it once to guess the task and the sensitive columns, and took "
            "a snapshot of it into `.boucle/` (content-addressed Parquet); every `boucle run` "
            "snapshots it again, so a run always trains on an immutable copy.\n"
        )
        if not is_url(source) and source.startswith(".."):
            data_text += (
                "\nThe file is outside this folder: CI needs it too (commit it here, or point "
                "`data.source` at a URL the CI can read).\n"
            )
    else:
        data_text = (
            f"Sample data of the `{template or 'classification'}` template: {location}. "
            "Replace it with yours and update `data.target` (and `data.sensitive`) in "
            "boucle.yaml.\n"
        )
    return {
        "project": project,
        "task": found.task,
        "task_note": (
            f"from --template {template}" if template else f"guessed: {found.task_reason}"
        ),
        "target": found.target,
        "positive_class": found.positive_class,
        "classes": found.classes,
        "sensitive": found.sensitive,
        "sensitive_columns": sensitive,
        "source": source,
        "ratio": ratio,
        "function": "add_ratio" if ratio else "add_missing_count",
        "boucle_version": __version__,
        "ruff_rev": RUFF_PRE_COMMIT_REV,
        "data_location": location,
        "data_text": data_text,
    }


def _ratio_columns(frame: pd.DataFrame, found: TableInspection) -> dict[str, str] | None:
    """Two numeric, non-sensitive columns for the example ratio (denominator rarely zero)."""
    sensitive = {s.column for s in found.sensitive}
    numeric = [c for c in found.numeric if c not in sensitive and len(c) <= _MAX_NAME]
    distinct = {str(k): int(v) for k, v in frame[numeric].nunique().items()}
    zeros = {str(k): float(v) for k, v in (frame[numeric] == 0).mean().items()}
    ranked = sorted(numeric, key=lambda c: (-distinct[c], c))
    denominators = [c for c in ranked if zeros[c] < 0.1]
    if len(ranked) < 2:
        return None
    numerator = ranked[0]
    denominator = next((c for c in denominators if c != numerator), None)
    if denominator is None:
        return None
    name = re.sub(r"[^a-z0-9]+", "_", f"{numerator}_per_{denominator}".lower()).strip("_")
    return {"numerator": numerator, "denominator": denominator, "name": name}


def _render(template_name: str, context: dict[str, Any]) -> str:
    from jinja2 import Environment, StrictUndefined

    env = Environment(
        variable_start_string="{@",
        variable_end_string="@}",
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML, TOML, Python and Markdown files, not HTML
    )
    env.filters["q"] = lambda value: json.dumps(value, ensure_ascii=False)
    text = files("boucle.project").joinpath("templates", template_name).read_text("utf-8")
    return env.from_string(text).render(**context)


def _write_new(
    root: Path, relative: str, content: bytes, created: list[str], skipped: list[str]
) -> None:
    path = root / relative
    if path.exists():
        skipped.append(relative)
        return
    write_atomic(str(path), [content])
    created.append(relative)


def _record(
    config_path: Path, frame: pd.DataFrame | None, template: str | None, created: list[str]
) -> str | None:
    """Snapshot the user's data into the project's store; write ``project_initialized``."""
    from boucle.config import load_config
    from boucle.data import snapshot_table
    from boucle.runner.session import open_ledger, open_store

    config = load_config(config_path)
    snapshot = None
    if frame is not None:
        snapshot = snapshot_table(frame, open_store(config), source=config.data.source)
    with open_ledger(config) as ledger:
        ledger.append(
            "project_initialized",
            {
                "project": config.project,
                "template": template,
                "task": config.task,
                "target": config.data.target,
                "source": config.data.source,
                "snapshot_id": snapshot.id if snapshot else None,
                "created": created,
                "boucle": __version__,
            },
        )
    return snapshot.id if snapshot else None
