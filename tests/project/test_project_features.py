"""Feature references: parsed, resolved inside the project, hashed, loaded with clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from boucle.errors import ConfigError
from boucle.hashing import blake3_hex
from boucle.project.features import (
    load_feature_function,
    parse_feature_spec,
    resolve_feature,
    resolve_features,
)

GOOD = """\
import pandas as pd


def add_one(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(plus_one=frame["x"] + 1)


NOT_CALLABLE = 3


class Transformer:
    def transform(self, frame):
        return frame


def two_args(frame, other):
    return frame
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "features.py").write_text(GOOD)
    return tmp_path


def test_parse_accepts_both_forms_and_names_the_bad_entry() -> None:
    assert parse_feature_spec("features.py:add_one") == ("features.py", "add_one")
    assert parse_feature_spec("lib/feats.py:f") == ("lib/feats.py", "f")
    assert parse_feature_spec("pkg.mod:f") == ("pkg.mod", "f")
    for bad in ("features.py", "features.py:", ":f", "features.py:1f", "pkg mod:f", "x.py:class"):
        with pytest.raises(ConfigError, match="features entry"):
            parse_feature_spec(bad)


def test_file_reference_resolves_against_the_project_and_hashes_the_file(project: Path) -> None:
    ref = resolve_feature("features.py:add_one", project)
    assert ref.file == (project / "features.py").resolve()
    assert ref.module is None and ref.function == "add_one"
    assert ref.source_hash == blake3_hex(GOOD.encode())
    function = load_feature_function(ref, project)
    out = function(pd.DataFrame({"x": [1, 2]}))
    assert out["plus_one"].tolist() == [2, 3]
    # Editing the file changes the hash (it is part of the train step's cache key).
    (project / "features.py").write_text(GOOD.replace("+ 1", "+ 2"))
    assert resolve_feature("features.py:add_one", project).source_hash != ref.source_hash


def test_a_file_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "evil.py").write_text(GOOD)
    with pytest.raises(ConfigError, match="outside the project folder") as caught:
        resolve_feature("../evil.py:add_one", project)
    assert "module:function" in (caught.value.hint or "")


def test_a_missing_file_lists_the_python_files_there(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"'featurs\.py' does not exist") as caught:
        resolve_feature("featurs.py:add_one", project)
    assert "features.py" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "has no function 'missing'"),
        ("NOT_CALLABLE", "is a int, not a function"),
        ("Transformer", "is a type, not a function"),
        ("two_args", "cannot be called with one DataFrame"),
    ],
)
def test_a_bad_function_is_a_config_error(project: Path, name: str, message: str) -> None:
    ref = resolve_feature(f"features.py:{name}", project)
    with pytest.raises(ConfigError, match=message):
        load_feature_function(ref, project)


def test_a_module_that_fails_to_import_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(frame):\n    return frame +\n")
    ref = resolve_feature("broken.py:f", tmp_path)
    with pytest.raises(ConfigError, match=r"importing .*broken.py failed \(line 2\): SyntaxError"):
        load_feature_function(ref, tmp_path)
    (tmp_path / "raises.py").write_text("raise RuntimeError('no database here')\n")
    ref = resolve_feature("raises.py:f", tmp_path)
    with pytest.raises(ConfigError, match="RuntimeError: no database here"):
        load_feature_function(ref, tmp_path)


def test_dotted_module_form_imports_from_the_project_folder(tmp_path: Path) -> None:
    package = tmp_path / "myfeats"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ratios.py").write_text(GOOD)
    ref = resolve_feature("myfeats.ratios:add_one", tmp_path)
    assert ref.module == "myfeats.ratios"
    assert ref.file == (package / "ratios.py").resolve()
    try:
        function = load_feature_function(ref, tmp_path)
        assert function(pd.DataFrame({"x": [0]}))["plus_one"].tolist() == [1]
    finally:
        for name in ("myfeats.ratios", "myfeats"):
            sys.modules.pop(name, None)
    assert str(tmp_path.resolve()) not in sys.path  # the folder was on sys.path only meanwhile
    with pytest.raises(ConfigError, match="module 'nosuchpkg_xyz' cannot be found"):
        resolve_feature("nosuchpkg_xyz:f", tmp_path)


def test_duplicates_are_refused_and_order_is_kept(project: Path) -> None:
    with pytest.raises(ConfigError, match="more than once"):
        resolve_features(["features.py:add_one", "features.py:add_one"], project)
    refs = resolve_features(["features.py:two_args", "features.py:add_one"], project)
    assert [r.function for r in refs] == ["two_args", "add_one"]
