"""Bad input: one clear paragraph, exit code 2, nothing written half-way (real CLI)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]

GERMAN = """\
project: german
task: classification
data:
  source: {source}
  target: {target}
  {positive}
train:
  model: logistic_regression
  search: {{trials: 0}}
"""


def _config(tmp_path: Path, text: str) -> None:
    (tmp_path / "boucle.yaml").write_text(text)


def _assert_clean_failure(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert any(line.startswith("error:") for line in done.stderr.splitlines()), done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def _no_objects(tmp_path: Path) -> None:
    root = tmp_path / ".boucle"
    assert not (root / "objects").exists() or not any((root / "objects").iterdir())
    assert not (root / "snapshots").exists()


def test_missing_data_file(boucle_cli: BoucleCli, tmp_path: Path) -> None:
    _config(tmp_path, GERMAN.format(source="data/nope.csv", target="y", positive=""))
    _assert_clean_failure(boucle_cli("run"), "nope.csv", "snapshot")
    _no_objects(tmp_path)


def test_empty_file(boucle_cli: BoucleCli, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    _config(tmp_path, GERMAN.format(source="empty.csv", target="y", positive=""))
    _assert_clean_failure(boucle_cli("run"), "empty.csv")
    _no_objects(tmp_path)


def test_target_absent_lists_columns_and_suggests(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    _config(tmp_path, GERMAN.format(source=german_path, target="creditabilty", positive=""))
    done = boucle_cli("run")
    _assert_clean_failure(
        done, "'creditabilty' is not a column", "duration_in_month", "Did you mean 'creditability'"
    )
    _no_objects(tmp_path)
    # The failure is evidence too: the ledger holds the failed step, and the chain verifies.
    log = json.loads(boucle_cli("audit", "log", "--json").stdout)
    assert [e["kind"] for e in log] == ["run_started", "step_failed", "run_failed"]
    assert log[1]["payload"]["step"] == "snapshot"
    assert boucle_cli("audit", "verify").returncode == 0


def test_single_class_target(boucle_cli: BoucleCli, tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("a,b,y\n1,x,yes\n2,y,yes\n3,z,yes\n")
    _config(tmp_path, GERMAN.format(source="one.csv", target="y", positive=""))
    _assert_clean_failure(boucle_cli("run"), "'y'", "yes")
    _no_objects(tmp_path)


def test_positive_class_not_among_values(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    text = GERMAN.format(
        source=german_path, target="creditability", positive="positive_class: baad"
    )
    _config(tmp_path, text)
    _assert_clean_failure(boucle_cli("run"), "'baad'", "bad", "good")
    _no_objects(tmp_path)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("project: [unclosed\n", ("cannot parse YAML", "boucle.yaml:")),
        ("project: p\ntask: regression\ndata: {source: a.csv, target: y}\nsplitt: {}\n",
         ("unknown key 'splitt'", "did you mean 'split'", "boucle.yaml:4")),
        ("project: p\ntask: regression\ndata: {source: a.csv, target: y}\n"
         "split: {test_size: half}\n", ("split.test_size = 'half'",)),
        ('project: !!python/object/apply:os.system ["echo pwned"]\n', ("safe loader",)),
        ("project: p\ntask: regression\ndata: {source: a.csv, target: y}\n"
         "stores: {ledger: 'sqlite:///../elsewhere.db'}\n", ("outside stores.root",)),
    ],
    ids=["unparseable", "unknown-key", "wrong-type", "python-tag", "write-outside-root"],
)  # fmt: skip
def test_bad_config(
    boucle_cli: BoucleCli, tmp_path: Path, text: str, needles: tuple[str, ...]
) -> None:
    _config(tmp_path, text)
    done = boucle_cli("run")
    _assert_clean_failure(done, *needles)
    assert "pwned" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boucle.yaml"]


def test_ledger_unreachable(boucle_cli: BoucleCli, tmp_path: Path, german_path: Path) -> None:
    _config(tmp_path, GERMAN.format(source=german_path, target="creditability", positive=""))
    env = {"BOUCLE_STORES__LEDGER": "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    _assert_clean_failure(boucle_cli("run", env=env), "127.0.0.1:1")
    assert not (tmp_path / ".boucle").exists()


def test_missing_config_file(boucle_cli: BoucleCli, tmp_path: Path) -> None:
    _assert_clean_failure(boucle_cli("run", "-c", "absent.yaml"), "absent.yaml", "quickstart")


def test_failing_step_keeps_earlier_results(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    good = GERMAN.format(source=german_path, target="creditability", positive="")
    _config(
        tmp_path,
        good.replace(
            "  model: logistic_regression", "  model: logistic_regression\n  params: {C: -1}"
        ),
    )
    _assert_clean_failure(boucle_cli("run"), "train")
    log = json.loads(boucle_cli("audit", "log", "--json").stdout)
    kinds = [e["kind"] for e in log]
    assert kinds == [
        "run_started", "step_finished", "data_validated", "step_finished", "step_finished",
        "step_finished", "step_failed", "run_failed",
    ]  # fmt: skip
    # Fixing the config re-uses the stored snapshot and split.
    _config(tmp_path, good)
    done = boucle_cli("run")
    assert done.returncode == 0, done.stderr
    steps = json.loads(boucle_cli("runs", "--json").stdout)[-1]["steps"]
    assert steps["snapshot"] == steps["split"] == "cached"
    assert steps["train"] == "done"


def test_tracking_store_unreachable_fails_before_any_work(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    _config(tmp_path, GERMAN.format(source=german_path, target="creditability", positive=""))
    env = {"BOUCLE_STORES__TRACKING": "postgresql+psycopg://postgres@127.0.0.1:1/mlflow"}
    _assert_clean_failure(boucle_cli("run", env=env), "tracking store", "127.0.0.1:1")
    _no_objects(tmp_path)


def test_split_that_skews_a_sensitive_group_stops_the_run(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    text = GERMAN.format(source=german_path, target="creditability", positive="")
    text = text.replace(
        "  target: creditability\n",
        "  target: creditability\n  sensitive: [foreign_worker]\n"
        "  checks: {representation: {severity: error, split_tolerance: 0.000001}}\n",
    )
    _config(tmp_path, text)
    done = boucle_cli("run")
    _assert_clean_failure(done, "step 'split' failed", "representation_split", "'no' is")
    log = json.loads(boucle_cli("audit", "log", "--json").stdout)
    assert log[-2]["kind"] == "step_failed" and log[-2]["payload"]["step"] == "split"
