"""The ``quality`` step: ruff and the project's tests on its own code, before anything else.

It records the result (counts, tool versions, git commit and dirty flag) in the artifact
store and a ``quality_checked`` ledger event; it never stops the run by itself. The policy
``quality.block_on`` is applied by the ``register`` step (:func:`enforce_quality_policy`):
a failed check or a dirty work tree refuses the registration, with the reason.

The cache key covers the project's source files (``.py``, ``.pyi``, ``.toml``, ``.cfg``,
``.ini``; hidden folders, virtual environments and ``stores.root`` left out), the git
commit and dirty state, and the tool versions: nothing changed, nothing re-run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.hashing import blake3_hex, canonical_json
from boucle.runner.graph import Manifest, Step

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["QUALITY_STEP", "enforce_quality_policy", "project_source_files", "quality"]

_SOURCE_SUFFIXES = (".py", ".pyi", ".toml", ".cfg", ".ini")
_SKIPPED_DIRS = frozenset(
    {"__pycache__", "node_modules", "venv", "env", "build", "dist", "site-packages"}
)


def quality(ctx: RunContext) -> Manifest:
    """Run ruff / ruff format / pytest as configured; record the report; never raise on it."""
    from boucle.project.quality import check_quality

    config = ctx.config
    report = check_quality(config.base_dir, config.quality, git=_git(ctx)).to_dict()
    digest = ctx.store.put_bytes(canonical_json(report))
    ctx.ledger_event(
        "quality_checked",
        {
            "passed": report["passed"],
            "failures": report["failures"],
            "tools": {
                name: {k: tool[k] for k in ("status", "version", "counts", "exit_code")}
                for name, tool in report["tools"].items()
            },
            "git": {k: report["git"][k] for k in ("commit", "dirty")},
            "report_digest": digest,
        },
    )
    return {**report, "report_digest": digest, "artifacts": [digest]}


def enforce_quality_policy(ctx: RunContext) -> None:
    """Raise :class:`~boucle.project.errors.QualityError` when ``quality.block_on`` is violated.

    Reads this run's quality manifest back from the step cache (same key as the step just
    computed, whether it ran or was cached). Nothing to do without ``block_on``.
    """
    from boucle.project.errors import QualityError
    from boucle.runner.cache import StepCache
    from boucle.runner.graph import cache_key

    policy = ctx.config.quality
    if not policy.enabled or not policy.block_on:
        return
    manifest = StepCache(ctx.store).lookup("quality", cache_key(QUALITY_STEP, ctx, {}))
    if manifest is None:
        raise QualityError(
            f"quality.block_on is {policy.block_on} but no quality check ran for the "
            "project's current code.",
            hint="Register with `boucle run` (its first step is the quality check), or remove "
            "quality.block_on.",
        )
    reasons: list[str] = []
    fixes: list[str] = []
    if "failures" in policy.block_on and not manifest["passed"]:
        reasons += manifest["failures"]
        fixes.append("fix what failed (`ruff check .`, `ruff format .`, `pytest -q`)")
    git = manifest["git"]
    if "dirty" in policy.block_on and (git["commit"] is None or git["dirty"] is not False):
        if git["commit"] is None:
            reasons.append("the project folder is not in a git repository with a commit")
            fixes.append("commit the project to git")
        else:
            shown = ", ".join(git["changed"][:5]) + (", ..." if len(git["changed"]) > 5 else "")
            reasons.append(f"uncommitted changes in the project folder ({shown})")
            fixes.append("commit (or revert) those changes")
    if reasons:
        raise QualityError(
            f"registration refused by quality.block_on {policy.block_on}: {'; '.join(reasons)}.",
            hint=f"{'; '.join(fixes).capitalize()}, then `boucle run` again (or remove the "
            "entry from quality.block_on). The full report is in this run's quality manifest.",
        )


def project_source_files(base: Path, *, exclude: Path | None = None) -> list[Path]:
    """The project's source and tool-config files under ``base``, sorted.

    Hidden folders (``.git``, ``.venv``, ``.boucle``), virtual environments, caches and
    ``exclude`` (the local store root) are left out.
    """
    base = base.resolve()
    skip = exclude.resolve() if exclude is not None else None
    found: list[Path] = []
    for folder, dirs, files in os.walk(base):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIPPED_DIRS and (here / d) != skip
        )
        found.extend(here / f for f in files if f.endswith(_SOURCE_SUFFIXES))
    return sorted(found)


def _git(ctx: RunContext) -> Any:
    """The git state of the project folder, read once per run."""
    if "quality_git" not in ctx.memo:
        from boucle.project.quality import git_state

        ctx.memo["quality_git"] = git_state(ctx.config.base_dir)
    return ctx.memo["quality_git"]


def _fingerprint(ctx: RunContext) -> dict[str, Any]:
    if "quality_fingerprint" not in ctx.memo:
        from boucle.config.paths import is_url
        from boucle.project.quality import tool_version

        base = ctx.config.base_dir.resolve()
        root = ctx.config.stores.root
        parts: list[bytes] = []
        for file in project_source_files(base, exclude=None if is_url(root) else Path(root)):
            parts += [str(file.relative_to(base)).encode(), file.read_bytes()]
        ctx.memo["quality_fingerprint"] = {
            "files": blake3_hex(*parts),
            "git": _git(ctx).to_dict(),
            "versions": {
                "ruff": tool_version("ruff"),
                "pytest": tool_version("pytest"),
                "python": sys.version.split()[0],
            },
        }
    fingerprint: dict[str, Any] = ctx.memo["quality_fingerprint"]
    return fingerprint


QUALITY_STEP = Step(
    "quality",
    quality,
    config=lambda c: {"quality": c.section("quality"), "features": list(c.features)},
    code=("project/quality", "runner/quality_step"),
    fingerprint=_fingerprint,
)
