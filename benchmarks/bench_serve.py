"""Serving throughput: boucle's server beside a bare FastAPI + onnxruntime app, same model.

The model is LightGBM fitted on Adult (``trials=0``) and exported with ``export_onnx``. Each
server runs in its own process with uvicorn (one worker, loopback, access log off):

* ``boucle``: validation (the training categories enforced) + A/B (champion 0.9 /
  challenger 0.1, two copies of the model) + prediction log + metrics, i.e. ``create_app`` +
  ``run_server`` as shipped;
* ``boucle-serve``: the real ``boucle serve`` command on a project trained by ``boucle run``
  (same routes), so its resident memory is the whole command's: CLI, configuration, registry
  (boucle's registry file; the check against MLflow runs in a child process that exits) and
  server, and its time to ready is the command's, from the process start;
* ``bare``: the ~25-line app in :func:`bare_app` (no validation, no log, no metrics), with
  the same onnxruntime session options as boucle, so that the ratio measures everything else;
* ``bare-ort-defaults``: the same app with onnxruntime's default session options;
* ``mlflow``: ``mlflow models serve --env-manager local`` on the native pipeline (skipped
  with the reason printed when it cannot start offline).

The load comes from a separate process, ``wrk`` when installed (``apt-get install wrk``), else
an asyncio httpx client: single-row ``POST`` requests at 8 and 64 connections for a fixed
duration. Every server is started first; the load runs then go round the servers
(``--rounds`` times per concurrency), so that a change in the machine's background load hits
them all alike, and the medians are printed per server and concurrency: req/s, p50/p99
latency, errors, time to the first answered prediction, resident memory after the load, and
the ratio to ``bare``. Goal: boucle/bare >= 0.8 at every concurrency (exit code 1 otherwise).

    python benchmarks/bench_serve.py [--duration 10] [--rounds 3] [--connections 8 64]
                                     [--rows N] [--no-mlflow] [--no-cli]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request  # at module level: FastAPI resolves the endpoint's annotations here

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
GOAL = 0.8


def bare_app(model_path: str, *, tuned: bool) -> Any:
    """The peer: FastAPI + onnxruntime in about 25 lines, no validation, log or metrics."""
    import numpy as np
    import onnxruntime as ort
    from fastapi import FastAPI

    data = Path(model_path).read_bytes()
    options = ort.SessionOptions()
    if tuned:  # what boucle.serve.inputs.open_serving_session sets
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    schema = json.loads(session.get_modelmeta().custom_metadata_map["boucle.inputs"])
    specs = [
        (s["name"], s["column"], np.float32 if s["dtype"] == "float32" else object) for s in schema
    ]
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request) -> dict[str, Any]:
        row = await request.json()
        feed = {name: np.array([[row[column]]], dtype=dtype) for name, column, dtype in specs}
        label, probabilities = session.run(None, feed)
        return {"prediction": int(label[0]), "probabilities": probabilities[0].tolist()}

    return app


def boucle_app(model_path: str, meta: dict[str, Any], log_dir: str) -> Any:
    """boucle's app: validation, A/B 0.9/0.1 over two copies, prediction log, metrics."""
    from boucle.serve import ServeConfig, ServedModel, create_app

    data = Path(model_path).read_bytes()
    categories = {column: tuple(values) for column, values in meta["categories"].items()}
    models = [
        ServedModel(alias, "adult-lightgbm", version, data, meta["blake3"], "binary",
                    tuple(meta["classes"]), meta["positive_class"], f"bench-{version}",
                    categories)
        for alias, version in (("champion", "1"), ("challenger", "2"))
    ]  # fmt: skip
    routes = [{"alias": "champion", "weight": 0.9}, {"alias": "challenger", "weight": 0.1}]
    config = ServeConfig(routes=routes, log_dir=Path(log_dir), admin_token="bench")
    return create_app(config, models)


def serve(kind: str, workdir: Path, port: int) -> None:
    """Run one server (this script started as a subprocess)."""
    import uvicorn

    from boucle.serve import run_server

    model = str(workdir / "model.onnx")
    if kind == "boucle":
        meta = json.loads((workdir / "meta.json").read_text())
        run_server(
            boucle_app(model, meta, str(workdir / "predlog")),
            "127.0.0.1",
            port,
            log_level="warning",
        )
    else:
        app = bare_app(model, tuned=kind == "bare")
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def prepare(workdir: Path, rows: int | None) -> None:
    """Fit and export the model; write it, its metadata and the request bodies to ``workdir``."""
    import pandas as pd

    from boucle.export import export_onnx
    from boucle.train.search import fit_model
    from boucle.train.targets import encode_target

    table = pd.read_csv(
        DATA / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    )
    if rows:
        table = table.sample(rows, random_state=0)
    encoding = encode_target(table["income"], "classification")
    X = table.loc[encoding.keep].drop(columns="income")
    result = fit_model(
        X,
        encoding.y,
        task_kind="binary",
        model="lightgbm",
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
    )
    exported = export_onnx(result.pipeline, X.iloc[:500], task_kind="binary", model="lightgbm")
    (workdir / "model.onnx").write_bytes(exported.onnx_bytes)
    meta = {
        "blake3": exported.blake3,
        "classes": encoding.classes,
        "positive_class": encoding.positive_class,
        "categories": {
            column: sorted(X[column].dropna().astype(str).unique())
            for column in X.columns
            if X[column].dtype == object or str(X[column].dtype) in {"str", "string"}
        },
    }
    (workdir / "meta.json").write_text(json.dumps(meta))
    _train_project(workdir / "project")
    row = json.loads(X.dropna().iloc[:1].to_json(orient="records"))[0]
    (workdir / "row.json").write_text(json.dumps(row))
    (workdir / "mlflow_row.json").write_text(json.dumps({"dataframe_records": [row]}))
    try:
        import mlflow.sklearn

        # skops, not pickle; these are the types a LightGBM pipeline holds beyond sklearn's
        trusted = [
            "collections.OrderedDict",
            "lightgbm.basic.Booster",
            "lightgbm.sklearn.LGBMClassifier",
            "numpy.dtype",
        ]
        mlflow.sklearn.save_model(
            result.pipeline, str(workdir / "mlflow_model"), skops_trusted_types=trusted
        )
    except Exception as exc:  # the MLflow peer is optional
        (workdir / "mlflow_error.txt").write_text(f"{type(exc).__name__}: {exc}")


def _train_project(folder: Path) -> None:
    """A project on Adult trained by ``boucle run``, served by the ``boucle-serve`` peer."""
    folder.mkdir()
    names = ", ".join(f'"{c}"' for c in ADULT_COLUMNS)
    (folder / "boucle.yaml").write_text(
        f"""\
project: adult-bench
task: classification
data:
  source: {DATA / "adult.data"}
  target: income
  read: {{header: null, names: [{names}], skipinitialspace: true, na_values: ["?"]}}
train: {{model: lightgbm, search: {{trials: 0}}}}
serve:
  routes: [{{alias: champion, weight: 0.9}}, {{alias: challenger, weight: 0.1}}]
"""
    )
    done = subprocess.run(
        [sys.executable, "-m", "boucle", "run"], cwd=folder, capture_output=True, text=True
    )
    if done.returncode != 0:
        (folder / "error.txt").write_text(done.stderr[-2000:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MiB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total / 1024


def _wrk(url: str, body_path: Path, connections: int, duration: int) -> dict[str, float]:
    script = body_path.with_suffix(".lua")
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'local f = io.open("{body_path}", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    units = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def latency(percent: str) -> float:
        match = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)\b", out)
        return float(match.group(1)) * units[match.group(2)] if match else float("nan")

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failures = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": float(errors.group(1) if errors else 0)
        + float(sum(int(g) for g in failures.groups()) if failures else 0),
    }


async def _httpx_load(url: str, body: bytes, connections: int, duration: int) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                except httpx.TransportError:  # refused, reset or timed out: an error
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200

        await asyncio.gather(*(worker() for _ in range(connections)))
    if not latencies:
        return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": float(errors)}
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "errors": float(errors),
    }


def _load(url: str, body_path: Path, connections: int, duration: int) -> dict[str, float]:
    if shutil.which("wrk"):
        return _wrk(url, body_path, connections, duration)
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load",
            url,
            "--body",
            str(body_path),
            "--connections",
            str(connections),
            "--duration",
            str(duration),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


@dataclass
class Peer:
    """One server under test: how to start it, where to send requests, its process."""

    name: str
    command: list[str]
    url: str
    body_path: Path
    process: subprocess.Popen[bytes] | None = None
    ready_s: float = float("nan")
    results: dict[int, list[dict[str, float]]] = field(default_factory=dict)


def start(peer: Peer, workdir: Path) -> bool:
    """Start ``peer`` and wait for its first answered prediction; ``False`` (printed) if none."""
    started = time.perf_counter()
    errors = workdir / f"{peer.name}.err"
    with errors.open("wb") as sink:  # a file, not a pipe that could fill up and block it
        peer.process = subprocess.Popen(peer.command, stdout=subprocess.DEVNULL, stderr=sink)
    body = peer.body_path.read_bytes()
    while (status := _post(peer.url, body)) != 200:
        late = time.perf_counter() - started > 180
        if status not in {0, 503} or peer.process.poll() is not None or late:
            stop(peer)
            reason = errors.read_text(errors="replace")[-400:]
            print(f"{peer.name}: skipped, it did not answer 200 (status {status}): {reason}")
            return False
        time.sleep(0.05)
    peer.ready_s = time.perf_counter() - started
    _load(peer.url, peer.body_path, 8, 2)  # warm-up
    return True


def stop(peer: Peer) -> None:
    """SIGTERM, then wait (kill after 60 s)."""
    if peer.process is None or peer.process.poll() is not None:
        return
    peer.process.send_signal(signal.SIGTERM)
    try:
        peer.process.wait(60)
    except subprocess.TimeoutExpired:
        peer.process.kill()


def main() -> int:
    """Prepare the model, benchmark every server, print the table; exit 1 below the goal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per server")
    parser.add_argument("--rows", type=int, default=None, help="fit on a sample of Adult")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow peer")
    parser.add_argument("--no-cli", action="store_true", help="skip the boucle-serve peer")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, Path(args.workdir), args.port)
        return 0
    if args.load:
        body = Path(args.body).read_bytes()
        result = asyncio.run(_httpx_load(args.load, body, args.connections[0], args.duration))
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        workdir = Path(tmp)
        print("fitting LightGBM on Adult and exporting it to ONNX ...", flush=True)
        prepare(workdir, args.rows)
        client = "wrk" if shutil.which("wrk") else "httpx.AsyncClient (wrk not installed)"
        print(
            f"load: {client}, single-row POST, {args.rounds} interleaved runs of "
            f"{args.duration} s per server and concurrency, cpus={os.cpu_count()}",
            flush=True,
        )
        peers = _peers(workdir, args)
        try:
            running = [peer for peer in peers if start(peer, workdir)]
            # Interleaved rounds: a change in the machine's background load hits every server.
            for connections in args.connections:
                for _ in range(args.rounds):
                    for peer in running:
                        result = _load(peer.url, peer.body_path, connections, args.duration)
                        peer.results.setdefault(connections, []).append(result)
            rss = {peer.name: _tree_rss_mib(peer.process.pid) for peer in running if peer.process}
        finally:
            for peer in peers:
                stop(peer)
    rows = [
        {
            "server": peer.name,
            "connections": c,
            "ready_s": peer.ready_s,
            "rss_mib": rss[peer.name],
            **{key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p99")},
            "errors": sum(r["errors"] for r in runs),
        }
        for peer in running
        for c, runs in peer.results.items()
    ]
    _print(rows)
    ratios = _ratios(rows)
    ok = bool(ratios) and all(ratio >= GOAL for ratio in ratios.values())
    print(
        f"\nboucle/bare req/s (medians): "
        f"{', '.join(f'c={c}: {r:.2f}' for c, r in ratios.items())} (goal >= {GOAL})"
    )
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


def _peers(workdir: Path, args: Any) -> list[Peer]:
    peers = []
    project = workdir / "project"
    if args.no_cli:
        print("boucle-serve: skipped (--no-cli)")
    elif (project / "error.txt").exists():
        print(f"boucle-serve: skipped, boucle run failed: {(project / 'error.txt').read_text()}")
    else:
        port = _free_port()
        command = [sys.executable, "-m", "boucle", "serve", "-c", str(project / "boucle.yaml")]
        peers.append(
            Peer(
                "boucle-serve",
                [*command, "--port", str(port)],
                f"http://127.0.0.1:{port}/predict",
                workdir / "row.json",
            )
        )
    for name in ("boucle", "bare", "bare-ort-defaults"):
        port = _free_port()
        command = [
            sys.executable,
            __file__,
            "--serve",
            name,
            "--workdir",
            str(workdir),
            "--port",
            str(port),
        ]
        peers.append(Peer(name, command, f"http://127.0.0.1:{port}/predict", workdir / "row.json"))
    mlflow = shutil.which("mlflow")
    if args.no_mlflow or mlflow is None:
        print("mlflow: skipped (--no-mlflow, or mlflow is not installed)")
    elif (workdir / "mlflow_error.txt").exists():
        reason = (workdir / "mlflow_error.txt").read_text()
        print(f"mlflow: skipped, saving the model failed: {reason}")
    else:
        port = _free_port()
        command = [
            mlflow,
            "models",
            "serve",
            "-m",
            str(workdir / "mlflow_model"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
            "--env-manager",
            "local",
        ]
        peers.append(
            Peer(
                "mlflow",
                command,
                f"http://127.0.0.1:{port}/invocations",
                workdir / "mlflow_row.json",
            )
        )
    return peers


def _ratios(rows: list[dict[str, Any]]) -> dict[int, float]:
    rps = {(row["server"], row["connections"]): row["rps"] for row in rows}
    return {
        c: rps[("boucle", c)] / rps[("bare", c)]
        for s, c in rps
        if s == "boucle" and ("bare", c) in rps
    }


def _print(rows: list[dict[str, Any]]) -> None:
    bare = {row["connections"]: row["rps"] for row in rows if row["server"] == "bare"}
    header = (
        f"{'server':<18} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>8} "
        f"{'errors':>6} {'ready s':>7} {'RSS MiB':>7} {'vs bare':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for row in sorted(rows, key=lambda row: row["connections"]):
        peer = bare.get(row["connections"])
        ratio = row["rps"] / peer if peer else float("nan")
        print(
            f"{row['server']:<18} {row['connections']:>5} {row['rps']:>8.0f} "
            f"{row['p50']:>7.2f} {row['p99']:>8.2f} {row['errors']:>6.0f} "
            f"{row['ready_s']:>7.2f} {row['rss_mib']:>7.0f} {ratio:>7.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
