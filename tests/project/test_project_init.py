"""``boucle init``: a project that checks itself, valid CI files, nothing ever overwritten."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from boucle.config import load_config
from boucle.errors import ConfigError, DataError
from boucle.ledger import Ledger
from boucle.project.init import init_project
from boucle.project.quality import check_quality
from boucle.store import ArtifactStore

ALL_FILES = [
    "boucle.yaml", "features.py", "tests/test_features.py", "pyproject.toml",
    ".pre-commit-config.yaml", ".github/workflows/boucle.yml", ".gitlab-ci.yml", ".gitignore",
    "README.md", "data/README.md",
]  # fmt: skip


def _schema(name: str) -> Any:
    """A schema vendored by check-jsonschema (schemastore's), read from the installed package."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath(name).read_text("utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def _errors(validator: Any, document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Path:
    """One project made from the German credit file, shared by the read-only tests here."""
    folder = tmp_path_factory.mktemp("init") / "credit"
    result = init_project(folder, data=german_path, target="creditability")
    assert list(result.created) == ALL_FILES and result.skipped == ()
    return folder


def test_the_config_holds_the_guesses_and_the_data_is_snapshotted_not_copied(
    credit: Path, german_path: Path
) -> None:
    config = load_config(credit / "boucle.yaml", env={})
    assert config.project == "credit" and config.task == "classification"
    assert Path(config.data.source) == german_path.resolve()
    assert config.data.target == "creditability" and config.data.positive_class == "bad"
    assert config.data.sensitive == ["personal_status_and_sex", "age_in_years", "foreign_worker"]
    assert config.quality.enabled and config.quality.block_on == ["failures"]
    assert config.features == [] and config.export.enabled
    text = (credit / "boucle.yaml").read_text()
    assert "age_in_years: age" in text and "features: [features.py:add_ratio]" in text
    assert [p.name for p in (credit / "data").iterdir()] == ["README.md"]  # not copied
    with Ledger(config.stores.ledger or "") as ledger:
        (event,) = ledger.events()
    assert event.kind == "project_initialized"
    snapshot_id = event.payload["snapshot_id"]
    assert event.payload["created"] == ALL_FILES and event.payload["target"] == "creditability"
    store = ArtifactStore(config.stores.root)
    assert store.file_exists(f"snapshots/{snapshot_id}.json")


def test_the_generated_code_passes_its_own_ruff_format_and_tests(credit: Path) -> None:
    config = load_config(credit / "boucle.yaml", env={})
    report = check_quality(credit, config.quality)
    assert report.passed, report.to_dict()
    tests = next(tool for tool in report.tools if tool.tool == "pytest")
    assert tests.counts["passed"] == 2
    features = (credit / "features.py").read_text()
    assert 'NUMERATOR = "credit_amount"' in features
    assert 'DENOMINATOR = "duration_in_month"' in features


def test_the_generated_code_type_checks_strictly(credit: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=credit,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues found in 2 source files" in done.stdout


def test_the_github_workflow_is_valid_and_runs_lint_test_loop_gates(credit: Path) -> None:
    workflow = yaml.safe_load((credit / ".github/workflows/boucle.yml").read_text())
    validator = _schema("github-workflows.json")
    assert _errors(validator, workflow) == []
    steps = workflow["jobs"]["loop"]["steps"]
    commands = "\n".join(str(step.get("run", "")) for step in steps)
    order = [commands.index(c) for c in ("ruff check", "pytest -q", "boucle run", "boucle gate")]
    assert order == sorted(order)
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache"))
    assert cache["with"]["path"] == ".boucle"
    # The validator is not vacuous: a misspelt key or a bad type is reported.
    broken = copy.deepcopy(workflow)
    broken["jobs"]["loop"]["stepz"] = broken["jobs"]["loop"].pop("steps")
    assert _errors(validator, broken)
    broken = copy.deepcopy(workflow)
    broken["jobs"]["loop"]["timeout-minutes"] = "an hour"
    assert _errors(validator, broken)


def test_the_gitlab_pipeline_is_valid_and_caches_the_store(credit: Path) -> None:
    pipeline = yaml.safe_load((credit / ".gitlab-ci.yml").read_text())
    validator = _schema("gitlab-ci.json")
    assert _errors(validator, pipeline) == []
    assert pipeline["stages"] == ["lint", "test", "loop", "gates"]
    assert [pipeline[job]["stage"] for job in ("lint", "test", "loop", "gates")] == [
        "lint", "test", "loop", "gates",
    ]  # fmt: skip
    assert any(".boucle/" in c["paths"] for c in pipeline["loop"]["cache"])
    assert "boucle run" in pipeline["loop"]["script"]
    assert "boucle gate" in pipeline["gates"]["script"]
    broken = copy.deepcopy(pipeline)
    broken["test"]["script"] = 5
    assert _errors(validator, broken)


def test_pre_commit_and_pyproject_are_complete(credit: Path) -> None:
    hooks = yaml.safe_load((credit / ".pre-commit-config.yaml").read_text())
    ids = {hook["id"] for repo in hooks["repos"] for hook in repo["hooks"]}
    for wanted in (
        "ruff", "ruff-format", "end-of-file-fixer", "check-added-large-files", "detect-secrets",
    ):  # fmt: skip
        assert wanted in ids
    assert all(repo["rev"].startswith("v") for repo in hooks["repos"])
    pyproject = tomllib.loads((credit / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "credit"
    assert pyproject["project"]["dependencies"] == ["boucle>=0.1.0"]
    dev = " ".join(pyproject["project"]["optional-dependencies"]["dev"])
    for tool in ("pytest", "ruff", "mypy", "pre-commit"):
        assert tool in dev
    assert pyproject["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]
    gitignore = (credit / ".gitignore").read_text().split()
    assert ".boucle/" in gitignore and ".pytest_cache/" in gitignore
    readme = (credit / "README.md").read_text()
    assert "boucle run" in readme and ".boucle/reports/profile.html" in readme


def test_init_never_overwrites_and_lists_what_it_skipped(tmp_path: Path, german_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "tests").mkdir(parents=True)
    (folder / "features.py").write_text("# my own features\n")
    (folder / "tests" / "test_features.py").write_text("# my own tests\n")
    result = init_project(folder, data=german_path, target="creditability")
    assert result.skipped == ("features.py", "tests/test_features.py")
    assert (folder / "features.py").read_text() == "# my own features\n"
    assert (folder / "tests" / "test_features.py").read_text() == "# my own tests\n"
    again = init_project(folder, data=german_path, target="creditability")
    assert again.created == () and list(again.skipped) == ALL_FILES


@pytest.mark.parametrize(
    ("template", "data_file", "target", "task", "sensitive"),
    [
        ("classification", "adult.csv", "income", "classification", ["age", "marital-status"]),
        ("regression", "diabetes.csv", "progression", "regression", ["age", "sex"]),
    ],
)
def test_templates_start_from_shipped_sample_data(
    tmp_path: Path, template: str, data_file: str, target: str, task: str, sensitive: list[str]
) -> None:
    result = init_project(tmp_path / template, template=template)  # type: ignore[arg-type]
    assert f"data/{data_file}" in result.created
    config = load_config(result.config_path, env={})
    assert config.task == task and config.data.target == target
    assert config.data.sensitive[: len(sensitive)] == sensitive
    assert Path(config.data.source) == result.directory / "data" / data_file
    assert result.snapshot_id is None  # sample data lives in data/, snapshotted by the first run
    assert check_quality(result.directory, config.quality).passed


def test_init_errors_name_the_bad_value(tmp_path: Path, german_path: Path) -> None:
    with pytest.raises(ConfigError, match="--target is required") as caught:
        init_project(tmp_path / "a", data=german_path)
    assert "creditability" in (caught.value.hint or "")  # the columns are listed
    with pytest.raises(ConfigError, match="without --data"):
        init_project(tmp_path / "b", target="income")
    with pytest.raises(ConfigError, match="'credibility' is not a column"):
        init_project(tmp_path / "c", data=german_path, target="credibility")
    with pytest.raises(DataError, match="cannot be the target of a regression"):
        init_project(
            tmp_path / "d", data=german_path, target="creditability", template="regression"
        )
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is not a folder"):
        init_project(tmp_path / "file")
    with pytest.raises(ConfigError, match="cannot make a project name"):
        init_project(tmp_path / "@@@")
    with pytest.raises(DataError, match="does not exist"):
        init_project(tmp_path / "e", data=tmp_path / "nope.csv", target="y")


@pytest.mark.postgres
def test_init_records_into_a_postgres_ledger(
    tmp_path: Path, german_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUCLE_STORES__LEDGER", postgres_url)
    result = init_project(tmp_path / "pg", data=german_path, target="creditability")
    with Ledger(postgres_url) as ledger:
        events = ledger.events()
        assert ledger.verify().ok
    assert [e.kind for e in events] == ["project_initialized"]
    assert events[0].payload["snapshot_id"] == result.snapshot_id
