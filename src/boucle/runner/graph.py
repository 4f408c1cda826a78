"""The step graph: declare steps once, run them in order, skip what the cache already has.

A step is a plain function ``fn(ctx, **inputs) -> Manifest``: its parameters after ``ctx``
name the steps whose outputs it reads. A manifest is JSON data describing what the step made
(content digests of stored objects, counts, metrics). Its cache key hashes the step's code
version, the configuration it reads and the manifests of its inputs, so a re-run with nothing
changed does no work.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import BoucleError, StepError
from boucle.hashing import hash_json
from boucle.runner.cache import StepCache, code_version

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["Manifest", "Step", "StepResult", "execute_steps"]

Manifest = dict[str, Any]
StepStatus = Literal["done", "cached", "failed"]


@dataclass(frozen=True)
class Step:
    """One node of the graph.

    ``config`` selects the configuration the step depends on; ``code`` names the boucle
    subpackages whose source is the step's code version; ``fingerprint`` adds key material
    that is not a manifest (e.g. the raw source file's hash for ``snapshot``).
    """

    name: str
    func: Callable[..., Manifest]
    config: Callable[[Any], dict[str, Any]]
    code: tuple[str, ...]
    fingerprint: Callable[[RunContext], dict[str, Any]] | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the steps whose manifests this step reads (its parameters after ctx)."""
        return tuple(inspect.signature(self.func).parameters)[1:]


@dataclass
class StepResult:
    """What running (or skipping) one step produced."""

    step: str
    status: StepStatus
    key: str
    manifest: Manifest = field(default_factory=dict)
    seconds: float = 0.0


def cache_key(step: Step, ctx: RunContext, inputs: dict[str, Manifest]) -> str:
    """Hash of code version, config section, fingerprint and input manifests."""
    material = {
        "step": step.name,
        "code": code_version(step.code),
        "config": step.config(ctx.config),
        "fingerprint": step.fingerprint(ctx) if step.fingerprint else None,
        "inputs": {name: hash_json(manifest) for name, manifest in sorted(inputs.items())},
    }
    return hash_json(material)


def execute_steps(
    steps: Sequence[Step], ctx: RunContext, *, force: frozenset[str] = frozenset()
) -> dict[str, StepResult]:
    """Run ``steps`` in order, using the cache unless a step's name is in ``force``.

    Each step writes one ledger event. A failing step writes ``step_failed`` and raises
    :class:`StepError`; the results of earlier steps stay in the store and the cache.
    """
    cache = StepCache(ctx.store)
    results: dict[str, StepResult] = {}
    for step in steps:
        missing = [name for name in step.inputs if name not in results]
        if missing:
            raise StepError(step.name, f"inputs {missing} are not produced by earlier steps")
        inputs = {name: results[name].manifest for name in step.inputs}
        ctx.hooks.before_step(step=step.name)
        started = time.perf_counter()
        try:
            key = cache_key(step, ctx, inputs)
            hit = None if step.name in force else cache.lookup(step.name, key)
            if hit is not None:
                result = StepResult(step.name, "cached", key, hit, time.perf_counter() - started)
            else:
                manifest = step.func(ctx, **inputs)
                cache.save(step.name, key, manifest)
                result = StepResult(step.name, "done", key, manifest, time.perf_counter() - started)
        except Exception as exc:
            _record_failure(ctx, step.name, exc, time.perf_counter() - started)
            ctx.hooks.after_step(step=step.name, status="failed", seconds=0.0)
            if isinstance(exc, StepError):
                raise
            if isinstance(exc, BoucleError):
                error = StepError(step.name, exc.message, hint=exc.hint)
                error.exit_code = exc.exit_code
                raise error from exc
            error = StepError(
                step.name,
                f"unexpected {type(exc).__name__}: {exc}",
                hint="This is a bug in boucle: please report it with the output of "
                "`boucle audit log --run " + ctx.run_id + "`.",
            )
            error.exit_code = 1
            raise error from exc
        results[step.name] = result
        ctx.on_step_result(result, inputs)
        ctx.hooks.after_step(step=step.name, status=result.status, seconds=result.seconds)
    return results


def _record_failure(ctx: RunContext, step: str, exc: Exception, seconds: float) -> None:
    payload = {
        "step": step,
        "error": type(exc).__name__,
        "message": str(exc),
        "seconds": round(seconds, 6),
    }
    if not isinstance(exc, BoucleError):
        payload["traceback"] = "".join(traceback.format_exception(exc))[-4000:]
    ctx.ledger_event("step_failed", payload)
