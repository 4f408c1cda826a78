"""Data drift: boucle.monitor beside Evidently's DataDriftPreset and a plain numpy bound.

Goals (issue #7), per window size: >= 20x faster than Evidently at 100k rows and >= 30x at
1M, <= 1/4 of its peak memory, <= 1.5x the numpy bound's seconds; and on the statistics side,
no false alarm on same-distribution windows while a 0.1 sigma shift is found.

Data: 25 columns, 20 numeric (normal, lognormal, Poisson and negative-binomial counts, beta,
exponential, gamma, Weibull, uniform, Student t, a bimodal mixture, Pareto incomes, zero-
inflated spend, .99 prices, integer ages, a 0/1 flag, a near-constant integer, two partly
missing) and 5 categorical (3, 4, 12, 60 and 400 categories, skewed shares, one partly
missing). The reference and every current window are written to Parquet in 16k-row row groups
(as a prediction log written batch by batch, strings dictionary-encoded, nulls as nulls); each
measured run is a fresh process that reads them, so every tool pays its imports and loading.
Scenarios, one current window each, all against the same reference:

- no drift: a fresh sample of the reference distribution;
- 0.1 sigma shift, 0.05 sigma shift: column ``normal`` (N(50, 10)) moved by +1.0, +0.5;
- category share -3 pts: 3 % of the rows move from ``plan`` "basic" (50 %) to "plus".

Rows of the table:

- boucle, profile + calibrate (once): the reference profile, built and calibrated for the
  window size at training time. "boucle" rows monitor with it (``compute_drift`` with its
  defaults), streaming the window in 16k-row batches, strings read dictionary-encoded as
  stored; "boucle cold" rows start from the uncalibrated profile and calibrate inline.
- evidently: ``Report([DataDriftPreset()]).run(current, reference)``, defaults (normed
  Wasserstein >= 0.1 for numeric columns, Jensen-Shannon >= 0.1 for categorical ones and
  numeric ones of <= 5 values), both files read whole with pandas, as its API needs. It runs
  in its own virtualenv: it needs pandas < 3.
- bound: the same kind of tests in plain numpy, no boucle, no pandas, no scipy at monitoring
  time. Per numeric column a Kolmogorov-Smirnov test and a missing-rate z test, per
  categorical column a chi-square test (categories new to the reference pooled) and a
  missing-rate z test; Bonferroni over the 50 tests at alpha = 0.01. Like boucle's profile,
  its reference is prepared once ("bound, prepare reference (once)", where scipy turns alpha
  into critical values), so a window run reads only the window. "bound exact" keeps the sorted
  reference values (.npz) and computes the exact KS statistic (scipy's ks_2samp without the
  re-sort of the reference); "bound binned" keeps boucle's kind of summary (counts on 200
  reference-quantile bins) and computes KS on the window's binned counts. Asymptotic,
  uncalibrated critical values: its rates are reported as they come out.

Seconds are wall time of the whole process, imports included (fastest of --repeat runs);
"work s" is the time after imports (loading and computing); peak MiB is the process's maximum
resident set (VmHWM). "x faster" and "x less mem" are Evidently's over the row's, "x bound" is
the row's seconds over the faster bound's. The machine may be shared (the load average is
printed): compare rows of the same run.

Rates: per size, K windows without drift and K with the 0.1 sigma shift (``--windows``), fresh
samples against the same reference (the no-drift and 0.1 sigma windows of the table are the
first of each). Each tool runs them in one process, untimed, and reports the share of no-drift
windows with any column flagged, the share of columns flagged, and the share of shift windows
where ``normal`` was flagged. boucle uses its calibrated profile, Evidently its defaults.

At 1M rows a window is 25M values and one Evidently run takes a minute or more, so above 200k
rows Evidently's cells run once (--peer-repeat 1; 3 below) and K is 5 (20 below). The other
tools keep 3 runs per cell (--repeat): their runs last a second or two, at the mercy of a
moment's load on a shared machine, where a minute-long run averages it out::

    python -m venv benchmarks/.venv-peers
    benchmarks/.venv-peers/bin/pip install evidently 'pandas<3' pyarrow
    python benchmarks/bench_drift.py --rows 100000 1000000 [--windows 20 5] [--repeat 3] \
        [--peer-repeat 3 1] \
        [--peer-python benchmarks/.venv-peers/bin/python]
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIOS = ["no drift", "0.1 sigma shift", "0.05 sigma shift", "category share -3 pts"]
SHIFTED, MOVED = "normal", "plan"  # the column shifted by 0.1 and 0.05 sigma; the one moved
ALPHA = 0.01  # boucle's default false discovery rate; the bound's family-wise level
BINS = 200  # the bound's binned summary: as many reference-quantile bins as boucle's profile
BATCH = 16_384  # Parquet row groups, and the batches boucle streams


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
reference = pd.read_parquet(sys.argv[1])
flagged = []
for path in sys.argv[2:]:  # one window per timed run; many for the rates, reference read once
    snapshot = Report([DataDriftPreset()]).run(pd.read_parquet(path), reference).dict()
    found = []
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            value, threshold = metric["value"], config["threshold"]
            pvalue = "p_value" in config["method"]
            if (value < threshold) if pvalue else (value >= threshold):
                found.append(config["column"])
    flagged.append(found)
work = time.perf_counter() - imported
print(json.dumps({"flagged": flagged, "work": work, "rss": _peak_kib()}))
"""
)


def _zipf(size: int, exponent: float) -> Any:
    """Zipf-like shares of ``size`` categories: a few common, a long tail of rare ones."""
    import numpy as np

    weights = 1.0 / np.arange(1, size + 1) ** exponent
    return weights / weights.sum()


def _columns(seed: int, rows: int) -> dict[str, Any]:
    """One sample of the 25 columns (20 numeric, 5 categorical); NaN and None are missing."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def holes(values: Any, share: float) -> Any:
        values = values.astype(np.float64)
        values[rng.random(rows) < share] = np.nan
        return values

    def pick(labels: list[str], shares: Any = None) -> Any:
        return np.asarray(labels, dtype=object)[rng.choice(len(labels), rows, p=shares)]

    product = pick([f"p{i:03d}" for i in range(400)], _zipf(400, 1.1))
    product[rng.random(rows) < 0.02] = None
    return {
        "normal": rng.normal(50.0, 10.0, rows),
        "lognormal": rng.lognormal(3.0, 1.0, rows),
        "count": rng.poisson(4.0, rows),
        "partly_missing": holes(rng.uniform(0.0, 100.0, rows), 0.05),
        "score": rng.beta(2.0, 5.0, rows),
        "exponential": rng.exponential(2.0, rows),
        "age": rng.integers(18, 91, rows),
        "heavy_tail": rng.standard_t(3.0, rows),
        "bimodal": np.where(
            rng.random(rows) < 0.4, rng.normal(-2.0, 0.5, rows), rng.normal(3.0, 1.0, rows)
        ),
        "gamma": rng.gamma(2.0, 3.0, rows),
        "uniform": rng.uniform(-1.0, 1.0, rows),
        "weibull": 10.0 * rng.weibull(1.5, rows),
        "income": 20_000.0 * (1.0 + rng.pareto(3.0, rows)),
        "visits": rng.poisson(200.0, rows),
        "spend": np.where(rng.random(rows) < 0.6, 0.0, np.round(rng.lognormal(4, 1.2, rows), 2)),
        "flag": (rng.random(rows) < 0.3).astype(np.int64),
        "near_constant": np.where(rng.random(rows) < 0.995, 1, rng.choice([0, 2], rows)),
        "price": rng.integers(1, 100, rows) + 0.99,
        "sensor": holes(np.round(rng.normal(20.0, 2.0, rows), 1), 0.2),
        "clicks": rng.negative_binomial(2, 0.3, rows),
        "device": pick(["web", "ios", "android"], [0.6, 0.25, 0.15]),
        MOVED: pick(["basic", "plus", "pro", "team"], [0.5, 0.3, 0.15, 0.05]),
        "region": pick([f"r{i:02d}" for i in range(12)], _zipf(12, 0.8)),
        "country": pick([f"c{i:02d}" for i in range(60)], _zipf(60, 1.3)),
        "product": product,
    }


def _write(columns: dict[str, Any], path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {
        name: pa.array(values, type=pa.string() if values.dtype == object else None,
                       from_pandas=True)  # NaN and None become Parquet nulls
        for name, values in columns.items()
    }  # fmt: skip
    pq.write_table(pa.table(arrays), path, row_group_size=BATCH)
    return path


@dataclass(frozen=True)
class Windows:
    """The Parquet files of one size: the reference, each scenario's window, the rate windows."""

    reference: Path
    scenarios: dict[str, Path]
    no_drift: list[Path]
    shifted: list[Path]


def _make_data(folder: Path, rows: int, windows: int) -> Windows:
    """Write the reference, the scenarios' windows and ``windows`` rate windows of each kind."""
    import numpy as np

    reference = _write(_columns(1, rows), folder / "reference.parquet")
    no_drift = [
        _write(_columns(100 + i, rows), folder / f"same-{i}.parquet") for i in range(windows)
    ]
    shifted = []
    for i in range(windows):
        current = _columns(200 + i, rows)
        current[SHIFTED] += 1.0  # 0.1 sigma of N(50, 10)
        shifted.append(_write(current, folder / f"shift-{i}.parquet"))
    current = _columns(300, rows)
    current[SHIFTED] += 0.5
    half = _write(current, folder / "shift-half.parquet")
    current = _columns(301, rows)
    moved = (current[MOVED] == "basic") & (np.random.default_rng(9).random(rows) < 0.06)
    current[MOVED][moved] = "plus"  # 6 % of the 50 % "basic": 3 points of share
    category = _write(current, folder / "category.parquet")
    scenarios = dict(zip(SCENARIOS, [no_drift[0], shifted[0], half, category], strict=True))
    return Windows(reference, scenarios, no_drift, shifted)


def _report(flagged: list[list[str]], imported: float) -> None:
    """A worker's one output line: flagged columns per window, seconds after imports, peak."""
    work = time.perf_counter() - imported
    print(json.dumps({"flagged": flagged, "work": work, "rss": _peak_kib()}))


def _boucle_worker(args: argparse.Namespace) -> None:
    """One boucle process: build and calibrate a profile, or monitor windows with one."""
    import pyarrow.parquet as pq

    from boucle.monitor import ReferenceProfile, compute_drift

    imported = time.perf_counter()
    flagged: list[list[str]] = []
    if args.worker == "profile":
        profile = ReferenceProfile.from_frame(pq.ParquetFile(args.data[0]).read())
        Path(args.profile).with_suffix(".cold.json").write_bytes(profile.to_bytes())
        profile.calibrate(args.rows)
        Path(args.profile).write_bytes(profile.to_bytes())
    else:
        profile = ReferenceProfile.from_bytes(Path(args.profile).read_bytes())
        # Strings as Parquet stores them (dictionary-encoded): counted without decoding.
        categorical = [name for name, f in profile.features.items() if f.kind == "categorical"]
        for path in args.data:
            window = pq.ParquetFile(path, read_dictionary=categorical)
            report = compute_drift(profile, window.iter_batches(batch_size=BATCH))
            flagged.append(report.drifted_features)
    _report(flagged, imported)


def _floats(column: Any) -> Any:
    """A null-free Arrow numeric column as float64, through DLPack.

    Not ``to_numpy()``: in pyarrow it imports pandas, 0.2 s that boucle does not pay either.
    """
    import numpy as np

    return np.concatenate([np.from_dlpack(chunk) for chunk in column.chunks]).astype(np.float64)


def _category_counts(column: Any) -> dict[str, int]:
    """``{category: count}`` of a dictionary-encoded Arrow column, nulls left out."""
    import numpy as np

    found: dict[str, int] = {}
    for chunk in column.chunks:
        codes = np.from_dlpack(chunk.indices.drop_null())
        counts = np.bincount(codes, minlength=len(chunk.dictionary)).tolist()
        for label, count in zip(chunk.dictionary.to_pylist(), counts, strict=True):
            found[label] = found.get(label, 0) + count
    return found


def _missing_z(reference: dict[str, int], missing: int, total: int) -> float:
    """|z| of the two-proportion test on the missing rate (0 when neither side misses any)."""
    pooled = (reference["missing"] + missing) / (reference["total"] + total)
    if pooled in (0.0, 1.0):
        return 0.0
    gap = missing / total - reference["missing"] / reference["total"]
    return abs(gap) / math.sqrt(pooled * (1 - pooled) * (1 / reference["total"] + 1 / total))


def _bound_prepare(reference: Path, folder: Path) -> None:
    """The bound's reference, once: sorted values, binned counts, category counts, cut-offs."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from scipy.special import chdtri, kolmogi, ndtri

    imported = time.perf_counter()
    schema = pq.ParquetFile(reference).schema_arrow
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    table = pq.ParquetFile(reference, read_dictionary=strings).read()
    level = ALPHA / (2 * table.num_columns)  # Bonferroni: two tests per column
    meta: dict[str, Any] = {"ks": float(kolmogi(level)), "z": float(-ndtri(level / 2))}
    meta["numeric"], meta["categorical"] = {}, {}
    exact, binned = {}, {}
    for name in table.column_names:
        column = table.column(name)
        sizes = {"missing": column.null_count, "total": len(column)}
        if name in strings:
            counts = _category_counts(column)
            # Critical chi-square values for every possible degrees of freedom (1 .. k).
            critical = chdtri(np.arange(1, len(counts) + 1), level).tolist()
            cells = {"labels": list(counts), "counts": list(counts.values()), "chi2": critical}
            meta["categorical"][name] = {**sizes, **cells}
            continue
        present = np.sort(_floats(column.drop_null()))
        cuts = np.unique(present[(np.arange(BINS) * present.size) // BINS])
        cuts = np.append(cuts, np.nextafter(present[-1], np.inf))
        exact[name] = present
        binned[f"{name}.cuts"] = cuts
        binned[f"{name}.counts"] = np.bincount(
            np.searchsorted(cuts, present, side="right"), minlength=cuts.size + 1
        )
        meta["numeric"][name] = {**sizes, "n": present.size}
    np.savez(folder / "bound-exact.npz", **exact)
    np.savez(folder / "bound-binned.npz", **binned)
    (folder / "bound-meta.json").write_text(json.dumps(meta))
    _report([], imported)


def _bound_worker(args: argparse.Namespace) -> None:
    """One bound process: the reference prepared once, then each window read and tested."""
    import numpy as np
    import pyarrow.parquet as pq

    imported = time.perf_counter()
    folder, exact = Path(args.profile), args.worker == "bound-exact"
    meta = json.loads((folder / "bound-meta.json").read_text())
    with np.load(folder / f"bound-{'exact' if exact else 'binned'}.npz") as stored:
        arrays = {key: stored[key] for key in stored.files}
    flagged: list[list[str]] = []
    for path in args.data:
        table = pq.ParquetFile(path, read_dictionary=list(meta["categorical"])).read()
        found = []
        for name, ref in meta["numeric"].items():
            column = table.column(name)
            current = _floats(column.drop_null())
            n_ref, n_cur = ref["n"], current.size
            if exact:  # both empirical CDFs at every value of both samples, as ks_2samp
                reference = arrays[name]
                current.sort()
                both = np.concatenate([reference, current])
                gap = np.searchsorted(reference, both, side="right") / n_ref
                gap -= np.searchsorted(current, both, side="right") / n_cur
            else:
                cuts = arrays[f"{name}.cuts"]
                bins = np.searchsorted(cuts, current, side="right")
                counts = np.bincount(bins, minlength=cuts.size + 1)
                gap = np.cumsum(arrays[f"{name}.counts"] / n_ref - counts / n_cur)
            ks = float(np.abs(gap).max()) * math.sqrt(n_ref * n_cur / (n_ref + n_cur))
            if ks > meta["ks"] or _missing_z(ref, column.null_count, len(column)) > meta["z"]:
                found.append(name)
        for name, ref in meta["categorical"].items():
            column = table.column(name)
            counts = _category_counts(column)
            current = [counts.pop(label, 0) for label in ref["labels"]]
            cells = np.array([[*ref["counts"], 0], [*current, sum(counts.values())]], float)
            cells = cells[:, cells.sum(axis=0) > 0]  # categories neither side has: no cell
            expected = cells.sum(axis=1, keepdims=True) * cells.sum(axis=0) / cells.sum()
            chi2 = float(((cells - expected) ** 2 / expected).sum())
            df = cells.shape[1] - 1
            drifted = df > 0 and chi2 > ref["chi2"][df - 1]
            if drifted or _missing_z(ref, column.null_count, len(column)) > meta["z"]:
                found.append(name)
        flagged.append(found)
    _report(flagged, imported)


@dataclass(frozen=True)
class Run:
    """One measured process: wall seconds, seconds after imports, peak RSS, flagged columns."""

    seconds: float
    work: float
    peak_kib: int
    flagged: list[list[str]]  # per window, in the order given


def _run(command: list[str], repeat: int, label: str) -> Run:
    """Run ``command`` ``repeat`` times; keep the fastest run (the least disturbed one)."""
    print(f"  {label}", file=sys.stderr, flush=True)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{label} failed:\n{done.stderr[-3000:]}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(Run(seconds, found["work"], found["rss"], found["flagged"]))
    return min(runs, key=lambda run: run.seconds)


@dataclass(frozen=True)
class Size:
    """Everything measured at one window size: timed runs, then the rate runs per tool."""

    rows: int
    columns: int
    windows: int
    repeat: int
    peer_repeat: int
    load: tuple[tuple[float, ...], tuple[float, ...]]  # load average at start and at end
    timings: list[tuple[str, str, Run]]  # (tool, scenario, run)
    rates: dict[str, Run]  # per tool: the no-drift windows, then the shifted ones


def _measure(rows: int, windows: int, repeat: tuple[int, int], peer: Path | None) -> Size:
    """Write one size's data, time every tool on every scenario, then run the rate windows."""
    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as name:
        folder = Path(name)
        started = os.getloadavg()
        print(f"{rows:,} rows: writing {2 * windows + 3} Parquet files", file=sys.stderr)
        data = _make_data(folder, rows, windows)
        profile = folder / "profile.json"
        build = [*me, "--worker", "profile", "--rows", str(rows), "--profile", str(profile)]
        prepare = [*me, "--worker", "bound-prepare", "--profile", str(folder)]
        timings = [
            ("boucle", "profile + calibrate (once)", _run(
                [*build, "--data", str(data.reference)], repeat[0], "boucle profile")),
            ("bound", "prepare reference (once)", _run(
                [*prepare, "--data", str(data.reference)], repeat[0], "bound prepare")),
        ]  # fmt: skip
        cold = profile.with_suffix(".cold.json")
        tools = {
            "evidently": [str(peer), "-c", PEER_WORKER, str(data.reference)] if peer else None,
            "boucle": [*me, "--worker", "monitor", "--profile", str(profile), "--data"],
            "boucle cold": [*me, "--worker", "monitor", "--profile", str(cold), "--data"],
            "bound exact": [*me, "--worker", "bound-exact", "--profile", name, "--data"],
            "bound binned": [*me, "--worker", "bound-binned", "--profile", name, "--data"],
        }
        for scenario, path in data.scenarios.items():  # tools interleaved: same load for all
            for tool, command in tools.items():
                if command is not None:
                    times = repeat[1] if tool == "evidently" else repeat[0]
                    run = _run([*command, str(path)], times, f"{tool}: {scenario}")
                    timings.append((tool, scenario, run))
        paths = [str(path) for path in (*data.no_drift, *data.shifted)]
        rates = {
            tool: _run([*command, *paths], 1, f"{tool}: rates over {len(paths)} windows")
            for tool, command in tools.items()
            if command is not None and tool != "boucle cold"
        }
    columns = len(_columns(0, 1))
    load = (started, os.getloadavg())
    return Size(rows, columns, windows, repeat[0], repeat[1], load, timings, rates)


def _load(values: tuple[float, ...]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def _bounds(size: Size) -> dict[str, float]:
    """Per scenario, the faster bound's seconds."""
    best: dict[str, float] = {}
    for tool, scenario, run in size.timings:
        if tool.startswith("bound "):
            best[scenario] = min(best.get(scenario, math.inf), run.seconds)
    return best


def _print_size(size: Size) -> None:
    numeric = size.columns - 5
    print(
        f"\n{size.rows:,} rows x {size.columns} columns ({numeric} numeric, 5 categorical), "
        f"fastest of {size.repeat} runs (Evidently {size.peer_repeat}); cpus {os.cpu_count()}; "
        f"load average (1, 5, 15 min) {_load(size.load[0])} at start, {_load(size.load[1])} at end"
    )
    peers = {scenario: run for tool, scenario, run in size.timings if tool == "evidently"}
    bounds = _bounds(size)
    header = ("tool", "scenario", "seconds", "work s", "peak MiB", "x faster", "x less mem")
    print("{:<12} {:<26} {:>8} {:>7} {:>9} {:>9} {:>10} {:>8}  flagged".format(*header, "x bound"))
    for tool, scenario, run in size.timings:
        speed = memory = versus = "-"
        if tool != "evidently" and scenario in peers:
            speed = f"{peers[scenario].seconds / run.seconds:.1f}"
            memory = f"{peers[scenario].peak_kib / run.peak_kib:.1f}"
        if tool.startswith("boucle") and scenario in bounds:
            versus = f"{run.seconds / bounds[scenario]:.2f}"
        cells = (tool, scenario, run.seconds, run.work, run.peak_kib / 1024, speed, memory, versus)
        flagged = ", ".join(run.flagged[0]) if run.flagged else ""
        line = "{:<12} {:<26} {:>8.2f} {:>7.2f} {:>9.0f} {:>9} {:>10} {:>8}  ".format(*cells)
        print(line + (flagged or "-"))
    _print_rates(size)


def _print_rates(size: Size) -> None:
    k, columns = size.windows, size.columns
    print(
        f"\nrates, {size.rows:,} rows: {k} windows without drift and {k} with '{SHIFTED}' "
        f"shifted by 0.1 sigma, each a fresh sample against the same reference"
    )
    header = ("tool", "no-drift windows flagged", "columns flagged", "0.1 sigma found")
    print("{:<12} {:>24} {:>16} {:>15}  {}".format(*header, "false alarms (all windows)"))
    for tool, run in size.rates.items():
        same, shifted = run.flagged[:k], run.flagged[k:]
        alarms = sum(1 for flagged in same if flagged)
        flags = sum(len(flagged) for flagged in same)
        found = sum(1 for flagged in shifted if SHIFTED in flagged)
        wrong: dict[str, int] = {}
        for i, flagged in enumerate(same + shifted):
            for column in flagged:
                if i < k or column != SHIFTED:  # the shifted column is a find in shift windows
                    wrong[column] = wrong.get(column, 0) + 1
        named = ", ".join(f"{column} x{count}" for column, count in sorted(wrong.items()))
        cells = (
            tool,
            f"{alarms}/{k} ({alarms / k:.0%})",
            f"{flags}/{k * columns} ({flags / (k * columns):.1%})",
            f"{found}/{k} ({found / k:.0%})",
        )
        print("{:<12} {:>24} {:>16} {:>15}  ".format(*cells) + (named or "-"))


def _verdict(value: float, goal: float, *, at_least: bool) -> str:
    passed = value >= goal if at_least else value <= goal
    return "PASS" if passed else "MISS"


def _print_summary(sizes: list[Size], peer: Path) -> None:
    print("\ngoals (issue #7): boucle monitoring with its calibrated profile, worst scenario")
    for size in sizes:
        peers = {scenario: run for tool, scenario, run in size.timings if tool == "evidently"}
        ours = {scenario: run for tool, scenario, run in size.timings if tool == "boucle"}
        bounds = _bounds(size)
        label = f"{size.rows:>10,} rows"
        if peers:
            goal = 30.0 if size.rows >= 1_000_000 else 20.0
            speed = [peers[s].seconds / ours[s].seconds for s in SCENARIOS]
            memory = [ours[s].peak_kib / peers[s].peak_kib for s in SCENARIOS]
            print(
                f"{label}  x faster than Evidently {min(speed):6.1f} (up to {max(speed):.1f})"
                f"   goal >= {goal:.0f}    {_verdict(min(speed), goal, at_least=True)}"
            )
            print(
                f"{'':15}  memory / Evidently's    {max(memory):6.2f} (down to {min(memory):.2f})"
                f"  goal <= 0.25  {_verdict(max(memory), 0.25, at_least=False)}"
            )
            label = ""
        versus = [ours[s].seconds / bounds[s] for s in SCENARIOS]
        print(
            f"{label:15}  seconds / numpy bound   {max(versus):6.2f} (down to {min(versus):.2f})"
            f"  goal <= 1.5   {_verdict(max(versus), 1.5, at_least=False)}"
        )
        rates = size.rates.get("boucle")
        if rates is not None:
            k = size.windows
            alarms = sum(1 for flagged in rates.flagged[:k] if flagged)
            found = sum(1 for flagged in rates.flagged[k:] if SHIFTED in flagged)
            print(
                f"{'':15}  boucle: {alarms}/{k} no-drift windows flagged "
                f"(alpha {ALPHA:.0%} expected), 0.1 sigma shift found in {found}/{k}"
            )
    if not any(tool == "evidently" for size in sizes for tool, _, _ in size.timings):
        print(f"\nEvidently not found at {peer}: create the peer venv (see the docstring) to")
        print("print its rows and the ratios.")


def _per_size(values: list[int] | None, sizes: list[int], small: int, large: int) -> list[int]:
    """One value per size: given once, given per size, or ``small``/``large`` by size."""
    if values is None:
        return [small if rows <= 200_000 else large for rows in sizes]
    return values * len(sizes) if len(values) == 1 else values


def main() -> int:
    """Generate the data, run every tool on every scenario in fresh processes, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000], help="window sizes")
    parser.add_argument(
        "--windows", type=int, nargs="+",
        help="rate windows of each kind: one value, or one per size (default 20, 5 above 200k)",
    )  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, nargs="+",
        help="runs per timed cell, the fastest kept: one value, or one per size "
        "(default 3)",
    )  # fmt: skip
    parser.add_argument(
        "--peer-repeat", type=int, nargs="+",
        help="the same for Evidently's cells (default 3, 1 above 200k rows)",
    )  # fmt: skip
    default_peer = Path(__file__).resolve().parent / ".venv-peers" / "bin" / "python"
    parser.add_argument("--peer-python", default=str(default_peer))
    workers = ["profile", "monitor", "bound-prepare", "bound-exact", "bound-binned"]
    parser.add_argument("--worker", choices=workers, help=argparse.SUPPRESS)
    parser.add_argument("--data", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker in ("profile", "monitor"):
        args.rows = args.rows[0]
        _boucle_worker(args)
        return 0
    if args.worker == "bound-prepare":
        _bound_prepare(Path(args.data[0]), Path(args.profile))
        return 0
    if args.worker:
        _bound_worker(args)
        return 0
    for option in ("windows", "repeat", "peer_repeat"):
        given = getattr(args, option)
        if given is not None and (len(given) not in (1, len(args.rows)) or min(given) < 1):
            flag = option.replace("_", "-")
            parser.error(f"--{flag} {given}: give one value >= 1, or one per --rows size.")
    if min(args.rows) < 1_000:
        parser.error(f"--rows {args.rows}: use windows of at least 1000 rows.")
    windows = _per_size(args.windows, args.rows, 20, 5)
    repeats = _per_size(args.repeat, args.rows, 3, 3)
    peer_repeats = _per_size(args.peer_repeat, args.rows, 3, 1)
    peer = Path(args.peer_python)
    sizes = []
    for rows, k, *repeat in zip(args.rows, windows, repeats, peer_repeats, strict=True):
        runs = (repeat[0], repeat[1])
        sizes.append(_measure(rows, k, runs, peer if peer.exists() else None))
        _print_size(sizes[-1])
        sys.stdout.flush()
    _print_summary(sizes, peer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
