"""boucle.yaml loading: the issue's example, unknown keys, types, env overrides, safe YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from boucle.config import load_config
from boucle.errors import ConfigError

EXAMPLE = """\
project: adult-income
task: classification            # classification (binary or multiclass) | regression
data:
  source: data/adult.csv        # local path or fsspec URL; .csv, .parquet, .csv.gz
  target: income
  positive_class: ">50K"        # binary classification only
  sensitive: [sex, race]        # used by later steps (slices, fairness)
  read: {}                      # optional options passed to the reader
split: {test_size: 0.2, seed: 42, stratify: true}
train:
  model: lightgbm               # logistic_regression | random_forest | lightgbm | xgboost
  search: {trials: 20, timeout_s: 300, metric: roc_auc}   # Optuna; trials: 0 = defaults only
stores:
  root: .boucle
  ledger: sqlite:///.boucle/ledger.db        # or postgresql+psycopg://...
  tracking: sqlite:///.boucle/mlflow.db      # MLflow backend store URI
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "boucle.yaml"
    path.write_text(text)
    return path


def test_example_from_the_issue_is_accepted_and_paths_resolve(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, EXAMPLE), env={})
    assert config.project == "adult-income"
    assert config.data.positive_class == ">50K"
    assert config.data.sensitive == ["sex", "race"]
    assert config.train.search.trials == 20
    assert config.data.source == str(tmp_path / "data" / "adult.csv")
    assert config.stores.root == str(tmp_path / ".boucle")
    assert config.stores.ledger == f"sqlite:///{tmp_path}/.boucle/ledger.db"
    assert config.stores.tracking == f"sqlite:///{tmp_path}/.boucle/mlflow.db"
    assert config.metric == "roc_auc"


def test_defaults_fill_stores_inside_root(tmp_path: Path) -> None:
    text = "project: p\ntask: regression\ndata: {source: d.csv, target: y}\n"
    config = load_config(write(tmp_path, text), env={})
    assert config.stores.ledger == f"sqlite:///{tmp_path}/.boucle/ledger.db"
    assert config.metric == "rmse"
    assert config.split.test_size == 0.2


def test_unknown_key_names_key_file_line_and_closest(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("train:", "trian:"))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    text = str(info.value)
    assert f"{path}:10" in text
    assert "unknown key 'trian'" in text
    assert "did you mean 'train'" in text


def test_nested_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("  target: income", "  targt: income"))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert f"{path}:5" in str(info.value)
    assert "did you mean 'target'" in str(info.value)
    assert "missing required key 'data.target'" in str(info.value)


def test_wrong_type_quotes_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("test_size: 0.2", "test_size: lots"))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "split.test_size = 'lots'" in str(info.value)
    assert f"{path}:9" in str(info.value)


def test_bad_model_name_lists_choices(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("model: lightgbm", "model: catboost"))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "'catboost'" in str(info.value)
    assert "lightgbm" in str(info.value)


def test_metric_must_fit_the_task(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("metric: roc_auc", "metric: rmse"))
    with pytest.raises(ConfigError, match="not a classification metric"):
        load_config(path, env={})


def test_unparseable_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "project: [unclosed\ntask: regression\n")
    with pytest.raises(ConfigError, match="cannot parse YAML"):
        load_config(path, env={})


def test_python_tag_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'project: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(ConfigError, match="safe loader"):
        load_config(write(tmp_path, text), env={})
    assert not marker.exists()


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", env={})
    with pytest.raises(ConfigError, match="is empty"):
        load_config(write(tmp_path, "# nothing\n"), env={})
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"), env={})


def test_env_overrides_nested_keys(tmp_path: Path) -> None:
    env = {
        "BOUCLE_STORES__LEDGER": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "BOUCLE_TRAIN__SEARCH__TRIALS": "3",
        "BOUCLE_UNRELATED": "ignored",
    }
    config = load_config(write(tmp_path, EXAMPLE), env=env)
    assert config.stores.ledger == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert config.train.search.trials == 3


def test_env_override_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"train\.search\.trials = 'many'"):
        load_config(write(tmp_path, EXAMPLE), env={"BOUCLE_TRAIN__SEARCH__TRIALS": "many"})


def test_sqlite_store_outside_root_is_refused(tmp_path: Path) -> None:
    text = EXAMPLE.replace("sqlite:///.boucle/ledger.db", "sqlite:///../elsewhere/ledger.db")
    with pytest.raises(ConfigError, match=r"outside stores\.root"):
        load_config(write(tmp_path, text), env={})


def test_source_may_point_outside_the_project(tmp_path: Path) -> None:
    text = EXAMPLE.replace("data/adult.csv", "../shared/adult.csv")
    config = load_config(write(tmp_path, text), env={})
    assert config.data.source == str((tmp_path / ".." / "shared" / "adult.csv").resolve())


def test_train_threads_default_to_one_and_must_be_positive(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, EXAMPLE), env={}).train.threads == 1
    two = EXAMPLE.replace("  model: lightgbm", "  threads: 2\n  model: lightgbm")
    assert load_config(write(tmp_path, two), env={}).train.threads == 2
    path = write(tmp_path, EXAMPLE.replace("  model: lightgbm", "  threads: 0\n  model: lightgbm"))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "train.threads = 0" in str(info.value)
