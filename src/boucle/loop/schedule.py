"""``boucle loop --every 1h``: iterations at a fixed rate until SIGINT or SIGTERM.

A plain loop (no scheduler library: one job at one rate needs none). Ticks are counted on
the monotonic clock from the start, so an iteration that overruns skips the ticks it missed
instead of piling them up. The first SIGINT or SIGTERM lets the running iteration finish
(training is never cut in the middle) and stops before the next one; a second one stops at
once. A failing iteration is reported and the loop goes on with the next tick: a scheduler
must not die of one unreachable server.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from boucle.errors import BoucleError

if TYPE_CHECKING:
    from boucle.loop.result import LoopIteration

__all__ = ["run_every"]


def run_every(
    iterate: Callable[[], LoopIteration],
    every_s: float,
    *,
    max_iterations: int | None = None,
    on_iteration: Callable[[LoopIteration], None] | None = None,
    on_error: Callable[[BoucleError], None] | None = None,
    on_stop: Callable[[str], None] | None = None,
) -> int:
    """Call ``iterate()`` every ``every_s`` seconds; return how many iterations ran.

    Stops after ``max_iterations`` (None: never) or on SIGINT/SIGTERM (handled only when
    called from the main thread). ``on_iteration`` gets each result, ``on_error`` each
    :class:`BoucleError` an iteration raised, ``on_stop`` the reason the loop ended.
    """
    if every_s <= 0 or not math.isfinite(every_s):
        from boucle.errors import ConfigError

        raise ConfigError(
            f"--every {every_s:g}s is not a positive period.", hint="Use e.g. 15m, 1h or 1d."
        )
    stop = threading.Event()
    reason = "reached the iteration limit"
    count = 0
    started = time.monotonic()
    with _stop_on_signals(stop):
        while not stop.is_set():
            try:
                result = iterate()
            except BoucleError as exc:
                if on_error is not None:
                    on_error(exc)
            else:
                if on_iteration is not None:
                    on_iteration(result)
            count += 1
            if max_iterations is not None and count >= max_iterations:
                break
            elapsed = time.monotonic() - started
            next_tick = (math.floor(elapsed / every_s) + 1) * every_s
            stop.wait(next_tick - elapsed)
        if stop.is_set():
            reason = "stopped by a signal"
    if on_stop is not None:
        on_stop(reason)
    return count


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on the first SIGINT/SIGTERM; restore the usual handling for a second."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed by the main thread
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()
        for sig, handler in previous.items():  # a second signal acts as usual (stops now)
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
