"""Data profiling at scale: boucle's profile + HTML beside ydata-profiling's minimal mode.

The table is the UCI Adult data resampled to ``--rows`` rows with noise: rows drawn with
replacement, integer columns moved by Gaussian noise of 2% of their standard deviation (zeros
stay zero, values stay in the original range), and 1% of categorical cells replaced by a value
drawn from the column's own distribution. It is written once to Parquet; each tool then runs in
its own process (so peak RSS is its own), loads the Parquet file untimed, and is timed from the
table in memory to the HTML string:

- boucle: ``render_profile(profile_table(frame, target="income", task="classification"))``
- ydata-profiling: ``ProfileReport(frame, minimal=True).to_html()``

ydata-profiling is not a boucle dependency and needs pandas < 3, so it runs in its own venv::

    python -m venv benchmarks/.venv-peers-profile
    benchmarks/.venv-peers-profile/bin/pip install ydata-profiling 'pandas<3' setuptools pyarrow

    python benchmarks/bench_profile.py [--rows 1000000] [--peer-python PATH] [--no-peer]

Peak RSS is the process's maximum resident set (``ru_maxrss``), the loaded table included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BOUCLE_SHARED_DATA", REPO.parent / "shared" / "data"))
DEFAULT_PEER_PYTHON = REPO / "benchmarks" / ".venv-peers-profile" / "bin" / "python"
ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]


def make_table(rows: int, seed: int = 0) -> Any:
    """The Adult data resampled to ``rows`` rows with noise (see the module docstring)."""
    import numpy as np
    import pandas as pd

    adult = pd.read_csv(
        SHARED_DATA / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    )
    rng = np.random.default_rng(seed)
    table = adult.iloc[rng.integers(0, len(adult), rows)].reset_index(drop=True)
    for name in table.columns:
        column = table[name]
        if pd.api.types.is_integer_dtype(column.dtype):
            values = column.to_numpy()
            noise = rng.normal(0.0, 0.02 * float(adult[name].std()), rows)
            moved = np.clip(np.rint(values + noise), adult[name].min(), adult[name].max())
            table[name] = np.where(values == 0, 0, moved).astype(np.int64)
        else:
            present = column.dropna().to_numpy()
            swap = rng.random(rows) < 0.01
            swap &= column.notna().to_numpy()
            values = column.to_numpy(dtype=object)
            values[swap] = rng.choice(present, int(swap.sum()))
            table[name] = pd.Series(values, dtype=column.dtype)
    return table


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _worker(tool: str, source: str, output: str) -> int:
    """Run one tool on the Parquet file; print its version, seconds and peak RSS as JSON."""
    import pandas as pd

    if tool == "boucle":
        from boucle._version import __version__ as version
        from boucle.data.profile import profile_table, render_profile

        frame = pd.read_parquet(source)
        start, cpu = time.perf_counter(), time.process_time()
        profile = profile_table(frame, target="income", task="classification")
        html = render_profile(profile, title="Adult, resampled")
    else:
        import warnings

        warnings.filterwarnings("ignore")
        from ydata_profiling import ProfileReport
        from ydata_profiling import __version__ as version

        frame = pd.read_parquet(source)
        start, cpu = time.perf_counter(), time.process_time()
        html = ProfileReport(frame, minimal=True, progress_bar=False).to_html()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    Path(output).write_text(html, encoding="utf-8")
    result = {"version": version, "seconds": seconds, "cpu": cpu, "rss": _peak_rss_mib()}
    print(json.dumps(result))
    return 0


def _run(
    python: str, tool: str, source: Path, output: Path, repeats: int
) -> tuple[dict[str, Any] | None, str]:
    """Run a worker process ``repeats`` times; return its fastest run, or None and why not."""
    command = [python, __file__, "--worker", tool, "--input", str(source), "--output", str(output)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    best: dict[str, Any] | None = None
    for _ in range(repeats):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, str(exc)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return None, lines[-1] if lines else f"exit code {done.returncode}"
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    return best, ""


def main() -> int:
    """Build the table, run both tools, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the table")
    parser.add_argument("--peer-python", default=str(DEFAULT_PEER_PYTHON))
    parser.add_argument("--no-peer", action="store_true", help="run boucle only")
    parser.add_argument("--repeats", type=int, default=1, help="runs per tool (fastest kept)")
    parser.add_argument("--keep", type=Path, help="folder to keep the HTML reports in")
    parser.add_argument("--worker", choices=["boucle", "ydata"], help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args.worker, args.input, args.output)

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        source = Path(scratch) / "adult.parquet"
        start = time.perf_counter()
        table = make_table(args.rows)
        table.to_parquet(source)
        shape = f"{table.shape[0]:,} rows x {table.shape[1]} columns"
        print(f"table: Adult resampled with noise, {shape} ({time.perf_counter() - start:.1f} s)")
        del table
        runs: list[tuple[str, dict[str, Any] | None, str]] = []
        ours, why = _run(sys.executable, "boucle", source, folder / "boucle.html", args.repeats)
        runs.append(("boucle", ours, why))
        if args.no_peer:
            runs.append(("ydata-profiling (minimal)", None, "not run (--no-peer)"))
        elif not Path(args.peer_python).exists():
            runs.append(
                (
                    "ydata-profiling (minimal)",
                    None,
                    f"no interpreter at {args.peer_python}; see this script's docstring",
                )
            )
        else:
            peer, why = _run(args.peer_python, "ydata", source, folder / "ydata.html", args.repeats)
            runs.append(("ydata-profiling (minimal)", peer, why))

    wall, cpu = (ours["seconds"], ours["cpu"]) if ours else (None, None)
    print(
        f"\n{'tool':<27} {'version':<9} {'seconds':>8} {'CPU s':>7} {'peak RSS MiB':>13} "
        f"{'ratio':>6} {'CPU ratio':>9}"
    )
    for name, result, why in runs:
        if result is None:
            print(f"{name:<27} {'-':<9} {'-':>8} {'-':>7} {'-':>13} {'-':>6} {'-':>9}   {why}")
            continue
        ratio = f"{result['seconds'] / wall:.1f}x" if wall else "-"
        cpu_ratio = f"{result['cpu'] / cpu:.1f}x" if cpu else "-"
        print(
            f"{name:<27} {result['version']:<9} {result['seconds']:>8.2f} {result['cpu']:>7.2f} "
            f"{result['rss']:>13.0f} {ratio:>6} {cpu_ratio:>9}"
        )
    print(
        "\nseconds: wall clock from the table in memory to the HTML string (load not timed);"
        "\nCPU s: user + system time of all the tool's threads; ratios are over boucle's;"
        f"\nfastest of {args.repeats} run(s) per tool, each in its own process."
    )
    return 0 if ours else 1


if __name__ == "__main__":
    sys.exit(main())
