"""Data drift: boucle.monitor beside Evidently's DataDriftPreset, same data, same machine.

Goal: at 100k rows, >= 20x faster and <= 1/4 of the peer's memory, finding a 0.1 sigma
shift, with no false alarm. Reference and current windows (100k rows x 10 features: six
numeric, four categorical) are written to Parquet; every run is a fresh process that reads
them, so both tools pay their imports and loading. Evidently runs in its own virtualenv
(it needs pandas < 3)::

    python -m venv benchmarks/.venv-peers
    benchmarks/.venv-peers/bin/pip install evidently 'pandas<3' pyarrow
    python benchmarks/bench_drift.py [--rows 100000] [--peer-python PATH]

boucle's reference profile is built (and calibrated for the window size) once, at training
time: that run is its own row. "boucle" rows then monitor with that profile, streaming the
window's Parquet file in 16k-row batches (strings read dictionary-encoded, as stored);
"boucle cold" rows start from an uncalibrated profile. Evidently reads both files whole with
pandas, as its API needs. Seconds are wall time of the whole process (fastest of --repeat
runs); "work s" is the time after imports (loading and computing); peak MiB is the process's
maximum resident set size (VmHWM). The machine may be shared: compare rows of the same run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = ["no drift", "0.1 sigma shift", "0.05 sigma shift", "category share -3 pts"]


def _peak_kib() -> int:
    """Peak RSS of this process image in KiB (VmHWM).

    Not ru_maxrss: a forked child carries the benchmark's own memory until exec, and Linux
    keeps that high-water mark in ru_maxrss.
    """
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


PEER_WORKER = (
    inspect.getsource(_peak_kib)
    + """
import json, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
imported = time.perf_counter()
reference, current = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current, reference).dict()
flagged = []
for metric in snapshot["metrics"]:
    config = metric["config"]
    if config.get("type", "").endswith("ValueDrift"):
        value, threshold = metric["value"], config["threshold"]
        pvalue = "p_value" in config["method"]
        if (value < threshold) if pvalue else (value >= threshold):
            flagged.append(config["column"])
work = time.perf_counter() - imported
print(json.dumps({"flagged": flagged, "work": work, "rss": _peak_kib()}))
"""
)


def _make_data(folder: Path, rows: int) -> dict[str, Path]:
    """Write the reference and one current window per scenario; return their paths."""
    import numpy as np
    import pandas as pd

    def frame(seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        filled = rng.uniform(0, 100, rows)
        filled[rng.random(rows) < 0.05] = np.nan
        return pd.DataFrame(
            {
                "normal": rng.normal(50.0, 10.0, rows),
                "lognormal": rng.lognormal(3.0, 1.0, rows),
                "count": rng.poisson(4.0, rows).astype("int64"),
                "partly_missing": filled,
                "score": rng.beta(2.0, 5.0, rows),
                "exponential": rng.exponential(2.0, rows),
                "plan": rng.choice(
                    ["basic", "plus", "pro", "team"], rows, p=[0.5, 0.3, 0.15, 0.05]
                ),
                "region": rng.choice([f"r{i:02d}" for i in range(12)], rows),
                "device": rng.choice(["web", "ios", "android"], rows, p=[0.6, 0.25, 0.15]),
                "channel": rng.choice(["ads", "organic", "referral", "email", "social"], rows),
            }
        )

    # Row groups of 16k rows, as a prediction log written batch by batch would have.
    paths = {"reference": folder / "reference.parquet"}
    frame(1).to_parquet(paths["reference"], index=False, row_group_size=16_384)
    for i, scenario in enumerate(SCENARIOS):
        current = frame(2 + i)
        if scenario == "0.1 sigma shift":
            current["normal"] += 1.0
        elif scenario == "0.05 sigma shift":
            current["normal"] += 0.5
        elif scenario == "category share -3 pts":
            moved = (current["plan"] == "basic") & (np.random.default_rng(9).random(rows) < 0.06)
            current.loc[moved, "plan"] = "plus"
        paths[scenario] = folder / f"current-{i}.parquet"
        current.to_parquet(paths[scenario], index=False, row_group_size=16_384)
    return paths


def _worker(args: argparse.Namespace) -> None:
    """One boucle run in this process: build a profile, or monitor a window with one."""
    import pyarrow.parquet as pq

    from boucle.monitor import ReferenceProfile, compute_drift

    imported = time.perf_counter()
    if args.worker == "profile":
        profile = ReferenceProfile.from_frame(pq.ParquetFile(args.data).read())
        Path(args.profile).with_suffix(".cold.json").write_bytes(profile.to_bytes())
        profile.calibrate(args.rows)
        Path(args.profile).write_bytes(profile.to_bytes())
        flagged: list[str] = []
    else:
        profile = ReferenceProfile.from_bytes(Path(args.profile).read_bytes())
        # Strings as Parquet stores them (dictionary-encoded): counted without decoding.
        categorical = [name for name, f in profile.features.items() if f.kind == "categorical"]
        window = pq.ParquetFile(args.data, read_dictionary=categorical)
        batches = window.iter_batches(batch_size=16_384)
        flagged = compute_drift(profile, batches).drifted_features
    spent = time.perf_counter() - imported
    print(json.dumps({"flagged": flagged, "work": spent, "rss": _peak_kib()}))


@dataclass(frozen=True)
class Run:
    """One measured process: wall seconds, seconds after imports, peak RSS, flagged columns."""

    seconds: float
    work: float
    peak_kib: int
    flagged: list[str]


def _run(command: list[str], repeat: int) -> Run:
    """Run ``command`` ``repeat`` times; keep the fastest run (the least disturbed one)."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stderr[-3000:]}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(Run(seconds, found["work"], found["rss"], found["flagged"]))
    return min(runs, key=lambda run: run.seconds)


def main() -> int:
    """Generate the data, run every tool on every scenario in fresh processes, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    default_peer = Path(__file__).resolve().parent / ".venv-peers" / "bin" / "python"
    parser.add_argument("--peer-python", default=str(default_peer))
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell; the fastest is kept")
    parser.add_argument("--worker", choices=["profile", "monitor"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return 0
    me = [sys.executable, str(Path(__file__).resolve())]
    peer = Path(args.peer_python)
    rows: list[tuple[str, str, Run]] = []
    with tempfile.TemporaryDirectory() as folder:
        paths = _make_data(Path(folder), args.rows)
        profile = Path(folder) / "profile.json"
        build = [*me, "--worker", "profile", "--data", str(paths["reference"]), "--rows"]
        build += [str(args.rows), "--profile", str(profile)]
        rows.append(("boucle", "profile + calibrate (once)", _run(build, args.repeat)))
        for scenario in SCENARIOS:
            window = str(paths[scenario])
            if peer.exists():
                peer_run = [str(peer), "-c", PEER_WORKER, str(paths["reference"]), window]
                rows.append(("evidently", scenario, _run(peer_run, args.repeat)))
            monitor = [*me, "--worker", "monitor", "--data", window, "--profile"]
            rows.append(("boucle", scenario, _run([*monitor, str(profile)], args.repeat)))
            cold = profile.with_suffix(".cold.json")
            rows.append(("boucle cold", scenario, _run([*monitor, str(cold)], args.repeat)))
    _print_table(rows, peer=peer)
    return 0


def _print_table(rows: list[tuple[str, str, Run]], *, peer: Path) -> None:
    peers = {scenario: run for tool, scenario, run in rows if tool == "evidently"}
    header = ("tool", "scenario", "seconds", "work s", "peak MiB", "x faster", "x less mem")
    print("{:<12} {:<26} {:>8} {:>7} {:>9} {:>9} {:>10}  flagged".format(*header))
    for tool, scenario, run in rows:
        speed = memory = "-"
        if tool != "evidently" and scenario in peers:
            speed = f"{peers[scenario].seconds / run.seconds:.1f}"
            memory = f"{peers[scenario].peak_kib / run.peak_kib:.1f}"
        cells = (tool, scenario, run.seconds, run.work, run.peak_kib / 1024, speed, memory)
        flagged = ", ".join(run.flagged) or "-"
        print("{:<12} {:<26} {:>8.2f} {:>7.2f} {:>9.0f} {:>9} {:>10}  ".format(*cells) + flagged)
    if not peers:
        print(f"\nEvidently not found at {peer}: create the peer venv (see the docstring) to")
        print("print its rows and the ratios.")


if __name__ == "__main__":
    sys.exit(main())
