"""Cached re-run: time of a first ``boucle run`` beside a re-run with nothing changed.

Goal (issue #3): the re-run takes under 2 % of the first run. The project is the quickstart
(UCI Adult, LightGBM, the shipped search settings) in a fresh temporary folder; both runs are
real CLI processes.

Python writes bytecode caches (``__pycache__``) as it does by default: a sandbox that sets
``PYTHONDONTWRITEBYTECODE`` would otherwise recompile boucle's ~80 modules in every re-run
(+0.1 s), which no installed package pays. The interpreter's own start-up is printed beside.

    python benchmarks/bench_cache.py [--trials N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _python(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _boucle(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    return _python(["-m", "boucle", *args], cwd, env)


def main() -> int:
    """Run the quickstart, then re-run it twice, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=None, help="override train.search.trials")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.trials is not None:
        env["BOUCLE_TRAIN__SEARCH__TRIALS"] = str(args.trials)
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        first = _boucle(["quickstart", "--dir", "qs"], cwd, env)
        load_before = os.getloadavg()[0]
        reruns = [_boucle(["run", "-c", "qs/boucle.yaml"], cwd, env) for _ in range(5)]
        floor = min(_python(["-c", "pass"], cwd, env) for _ in range(5))
    rerun = min(reruns)
    share = rerun / first
    print(f"{'run':<32} {'seconds':>8}")
    print(f"{'first run (quickstart)':<32} {first:>8.2f}")
    print(f"{'cached re-run (best of 5)':<32} {rerun:>8.2f}")
    print(f"{'cached re-run (median of 5)':<32} {sorted(reruns)[2]:>8.2f}")
    print(f"{'python -c pass (best of 5)':<32} {floor:>8.2f}")
    print(f"\nload average (1 min) before the re-runs: {load_before:.2f} on {os.cpu_count()} cores")
    print("(a loaded machine slows the first run more than the re-run: compare at load < 1)")
    print(f"\nre-run = {100 * share:.2f} % of the first run (goal: < 2 %)")
    print("PASS" if share < 0.02 else "MISS")
    return 0 if share < 0.02 else 1


if __name__ == "__main__":
    raise SystemExit(main())
