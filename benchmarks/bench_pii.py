"""PII column detection: exact type per column of a synthetic table, boucle beside Presidio.

The table comes from ``boucle.data.pii.synthetic``: every PII type (valid NIR keys, SIREN and
SIRET Luhn digits, IBAN mod-97, cards with real IIN prefixes, FR/international phones, ...)
and decoys (ids, amounts, zip codes, timestamps, random digits failing the checksums). A
column is right when the detected type is exactly the expected one (None for a decoy).

Peer: presidio-structured (Microsoft Presidio's table API: ``PandasAnalysisBuilder``, the most
common entity over the rows of each column, default settings). It is not a boucle dependency:
it runs in the interpreter given by ``--peer-python`` (default: this one if it can import it,
else ``/tmp/pii-peer/bin/python``), e.g. a throwaway venv made with
``python -m venv /tmp/pii-peer && /tmp/pii-peer/bin/pip install presidio-structured``.
Presidio's NER (PERSON, LOCATION) needs a spaCy model (en_core_web_lg) that is only published
as a GitHub download; when no model is installed the peer runs on a blank spaCy pipeline, i.e.
its pattern recognisers only, and the script says so. Presidio has no NIR, SIREN or SIRET
recogniser; its PHONE_NUMBER counts as right for both phone_fr and phone_intl.

    python benchmarks/bench_pii.py [--rows 1000000] [--peer-rows 300] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# What each Presidio entity means in boucle's types (PHONE_NUMBER covers both phone types).
PEER_TYPES = {
    "EMAIL_ADDRESS": {"email"},
    "PHONE_NUMBER": {"phone_fr", "phone_intl"},
    "IBAN_CODE": {"iban"},
    "CREDIT_CARD": {"payment_card"},
    "IP_ADDRESS": {"ip_address"},
    "PERSON": {"person_name"},
    "LOCATION": {"postal_address"},
    "DATE_TIME": {"date_of_birth"},
}
DEFAULT_PEER_VENV = Path("/tmp/pii-peer/bin/python")


def _peer_worker() -> int:
    """Run inside the peer's interpreter: table as JSON on stdin, entity per column on stdout."""
    import logging

    import pandas as pd
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_structured import PandasAnalysisBuilder

    logging.disable(logging.WARNING)
    frame = pd.DataFrame(json.load(sys.stdin))
    models = ("en_core_web_lg", "en_core_web_sm")
    model = next((m for m in models if spacy.util.is_package(m)), None)
    with tempfile.TemporaryDirectory() as folder:
        if model is None:  # no NER model reachable: a blank pipeline keeps the pattern recognisers
            spacy.blank("en").to_disk(folder)
        config = {"nlp_engine_name": "spacy",
                  "models": [{"lang_code": "en", "model_name": model or folder}]}  # fmt: skip
        nlp = NlpEngineProvider(nlp_configuration=config).create_engine()
        runs = {}
        for threshold in (0.0, 0.5):  # Presidio's default (no threshold), then a common one
            analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"],
                                      default_score_threshold=threshold)  # fmt: skip
            builder = PandasAnalysisBuilder(analyzer=analyzer)
            started = time.perf_counter()
            analysis = builder.generate_analysis(frame, n=len(frame))
            runs[str(threshold)] = {"entities": analysis.entity_mapping,
                                    "seconds": time.perf_counter() - started}  # fmt: skip
    json.dump({"runs": runs, "nlp": model or "blank spaCy pipeline (no NER model)"}, sys.stdout)
    return 0


def _peer_python(choice: str | None) -> str | None:
    if choice:
        return choice
    if importlib.util.find_spec("presidio_structured") is not None:
        return sys.executable
    return str(DEFAULT_PEER_VENV) if DEFAULT_PEER_VENV.exists() else None


def _run_peer(python: str, columns: dict[str, list[str]]) -> tuple[dict[str, Any] | None, str]:
    env = dict(os.environ, TLDEXTRACT_CACHE=tempfile.gettempdir())
    try:
        done = subprocess.run([python, __file__, "--peer-worker"], input=json.dumps(columns),
                              capture_output=True, text=True, timeout=900, env=env)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"could not run {python}: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        return None, f"{python} failed: {last}"
    return json.loads(done.stdout), ""


def _peer_right(entity: str | None, expected: str | None) -> bool:
    if entity is None or expected is None:
        return entity is None and expected is None
    return expected in PEER_TYPES.get(entity, set())


def _mark(ok: bool) -> str:
    return "ok" if ok else "XX"


def _score(right: int, total: int) -> str:
    return f"{right:>2}/{total} ({right / total:4.0%})"


def main() -> int:
    """Print the accuracy table (boucle vs peer) and the time for --rows rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the timed table")
    parser.add_argument("--peer-rows", type=int, default=300, help="rows of the accuracy table")
    parser.add_argument("--peer-python", default=os.environ.get("BOUCLE_PII_PEER_PYTHON"))
    parser.add_argument("--peer-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_worker:
        return _peer_worker()

    from boucle.data.pii import detect_pii
    from boucle.data.pii.synthetic import mixed_table

    frame, expected = mixed_table(args.peer_rows, seed=0)
    started = time.perf_counter()
    ours = {f.column: f.pii_type for f in detect_pii(frame).columns}
    ours_seconds = time.perf_counter() - started

    python = _peer_python(args.peer_python)
    peer: dict[str, Any] | None = None
    why = "presidio-structured is not importable here and /tmp/pii-peer does not exist"
    if python is not None:
        texts = {c: [str(v) for v in frame[c].tolist()] for c in frame.columns}
        peer, why = _run_peer(python, texts)
    runs: dict[str, Any] = peer["runs"] if peer else {}
    default, strict = (
        runs.get("0.0", {}).get("entities", {}),
        runs.get("0.5", {}).get("entities", {}),
    )

    print(f"{'column':<17} {'expected':<15} {'boucle':<15}    {'presidio':<18}    presidio@0.5")
    right = {"boucle": 0, "presidio": 0, "presidio@0.5": 0}
    for column, want in expected.items():
        got = ours[column]
        right["boucle"] += got == want
        cells = [f"{column:<17} {want or '-':<15} {got or '-':<15} {_mark(got == want)}"]
        for name, entities in (("presidio", default), ("presidio@0.5", strict)):
            theirs = entities.get(column)
            right[name] += _peer_right(theirs, want)
            cells.append(
                f"{theirs or '-':<18} {_mark(_peer_right(theirs, want))}" if peer else "n/a"
            )
        print(" ".join(cells))
    total = len(expected)
    print(f"\nexact column types on {args.peer_rows} rows x {total} columns:")
    print(f"  boucle                      {_score(right['boucle'], total)} in {ours_seconds:.2f} s")
    if peer:
        for name, key in (("presidio", "0.0"), ("presidio@0.5", "0.5")):
            print(f"  {name + '-structured':<27} {_score(right[name], total)} in "
                  f"{runs[key]['seconds']:.2f} s  [{peer['nlp']}]")  # fmt: skip
        print("  (presidio: default settings; presidio@0.5: analyzer_score_threshold=0.5)")
    else:
        print(f"  peer not run: {why}.")
        print("  Set it up: python -m venv /tmp/pii-peer && "
              "/tmp/pii-peer/bin/pip install presidio-structured")  # fmt: skip

    frame, expected = mixed_table(args.rows, seed=0)
    twenty = frame[list(frame.columns[:20])]
    for table in (twenty, frame):
        started = time.perf_counter()
        report = detect_pii(table)
        seconds = time.perf_counter() - started
        exact = sum(f.pii_type == expected[f.column] for f in report.columns)
        print(f"detect_pii on {len(table):,} rows x {table.shape[1]} columns: {seconds:.2f} s "
              f"(sample {report.sampled_rows:,} rows), {exact}/{table.shape[1]} exact")  # fmt: skip
    return 0 if right["boucle"] == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
