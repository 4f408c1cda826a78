"""Start-up time: ``boucle --help`` beside ``mlflow --version`` (the peer), same machine, same run.

Goal (issue #3): ``boucle --help`` under 0.3 s and at least 8x faster than ``mlflow --version``.
Prints a table of the median and best of N runs and the ratio.

    python benchmarks/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def _time(command: list[str], repeat: int) -> list[float]:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    """Measure both commands and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    boucle = shutil.which("boucle") or sys.exit("boucle is not installed (pip install -e .)")
    mlflow = shutil.which("mlflow") or sys.exit("mlflow is not installed")
    rows = [
        ("boucle --help", _time([boucle, "--help"], args.repeat)),
        ("mlflow --version", _time([mlflow, "--version"], args.repeat)),
    ]
    print(f"{'command':<20} {'median s':>9} {'best s':>8}")
    for name, times in rows:
        print(f"{name:<20} {statistics.median(times):>9.3f} {min(times):>8.3f}")
    ours, peer = statistics.median(rows[0][1]), statistics.median(rows[1][1])
    ratio = peer / ours
    print(f"\nboucle is {ratio:.1f}x faster than mlflow (goal: >= 8x, and boucle < 0.3 s)")
    ok = ratio >= 8 and ours < 0.3
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
