"""build_package: the files of a bundle, its manifest, pins, ledger event, output folder rules."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from package_helpers import PROJECT, configure, project_yaml

from boucle.config import load_config
from boucle.errors import BoucleError, ConfigError, TrackingError
from boucle.hashing import blake3_hex
from boucle.ledger import Ledger
from boucle.package import SERVER_PACKAGES, PackageError, build_package, server_source
from boucle.registry import resolve_version

pytestmark = pytest.mark.slow

_FILES = {
    ".dockerignore",
    "Dockerfile",
    "k8s/deployment.yaml",
    "k8s/hpa.yaml",
    "k8s/service.yaml",
    "manifest.json",
    "models/german-pkg-v1.onnx",
    "requirements.txt",
    "server.py",
}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_bundle_of_the_champion(package_project: Path, german_path: Path) -> None:
    config = configure(package_project, german_path)
    result = build_package(config)
    assert result.out == package_project / "bundles" / "german-pkg-v1"
    assert result.image == "german-pkg:v1"
    assert result.models == ({"alias": "champion", "name": PROJECT, "version": "1"},)
    written = _files(result.out)
    assert set(written) == _FILES
    assert not [p for p in result.out.parent.iterdir() if p.name.startswith(".")]  # no staging
    # manifest.json lists every other file with its sha256 and blake3.
    manifest = json.loads(written["manifest.json"])
    assert manifest["format"] == "boucle-bundle/1"
    assert set(manifest["files"]) == _FILES - {"manifest.json"}
    for path, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256(written[path]).hexdigest(), path
        assert entry["blake3"] == blake3_hex(written[path]), path
        assert entry["bytes"] == len(written[path])
    # The model is the registry's ONNX export of version 1, byte for byte.
    info = resolve_version(config.stores.tracking or "", PROJECT, "champion")
    assert blake3_hex(written["models/german-pkg-v1.onnx"]) == info.tags["boucle.onnx_digest"]
    (model,) = manifest["models"]
    assert model["version"] == "1" and model["classes"] == ["good", "bad"]
    assert model["lineage_id"] == info.tags["boucle.lineage_id"]
    assert model["categories"]["purpose"][:2] == ["business", "car (new)"]
    assert "duration_in_month" not in model["categories"]
    assert manifest["routes"] == [{"alias": "champion", "weight": 1.0}]
    assert manifest["unknown_category"] == "reject"  # serve.unknown_category's default
    assert written["server.py"] == server_source()
    # The ledger holds package_built with the blake3 of every file, manifest included.
    with Ledger(config.stores.ledger or "") as ledger:
        events = [e for e in ledger.events() if e.kind == "package_built"]
    event = next(e for e in events if e.payload["out"] == str(result.out))
    assert event.payload["model"] == PROJECT and event.payload["version"] == "1"
    assert event.payload["files"] == {path: blake3_hex(data) for path, data in written.items()}
    assert event.lineage_id == info.tags["boucle.lineage_id"]


def test_requirements_pin_what_is_installed(package_project: Path, german_path: Path) -> None:
    config = configure(package_project, german_path)
    result = build_package(config, out=package_project / "pins")
    lines = (result.out / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    for name in SERVER_PACKAGES:
        assert pins[name] == metadata.version(name), name
    # What those five need is pinned too, at the installed version (starlette for fastapi...).
    assert pins["starlette"] == metadata.version("starlette")
    assert pins["pydantic-core"] == metadata.version("pydantic-core")
    assert "boucle" not in pins and "pandas" not in pins and "mlflow" not in pins


def test_rebuild_is_identical_and_out_rules(
    package_project: Path, german_path: Path, tmp_path: Path
) -> None:
    config = configure(package_project, german_path)
    (tmp_path / "a").mkdir()  # an empty folder is fine
    first = build_package(config, out=tmp_path / "a")
    second = build_package(config, out=tmp_path / "b")
    assert _files(first.out) == _files(second.out)  # no time stamp: same model, same bytes
    # A non-empty --out is refused; --force replaces a bundle; never a folder of other files.
    with pytest.raises(PackageError, match="not empty") as refused:
        build_package(config, out=first.out)
    assert "--force" in (refused.value.hint or "")
    (first.out / "stale.txt").write_text("left by an old bundle")
    build_package(config, out=first.out, force=True)
    assert set(_files(first.out)) == _FILES
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(PackageError, match="holds no boucle bundle"):
        build_package(config, out=mine, force=True)
    assert (mine / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(PackageError, match="is a file"):
        build_package(config, out=tmp_path / "file")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_references_are_clear_errors(
    package_project: Path, german_path: Path, tmp_path: Path
) -> None:
    config = configure(package_project, german_path)
    with pytest.raises(TrackingError, match="no version or alias 'nope'") as unknown:
        build_package(config, ref="nope", out=tmp_path / "x")
    assert "champion" in (unknown.value.hint or "")
    with pytest.raises(BoucleError, match=r"version 2 .* has no ONNX export") as unexported:
        build_package(config, ref="2", out=tmp_path / "x")
    assert "boucle export 2" in (unexported.value.hint or "")
    with pytest.raises(PackageError, match="'a/b'"):
        build_package(config, ref="a/b", out=tmp_path / "x")
    bad_routes = configure(
        package_project,
        german_path,
        "package: {routes: [{alias: champion, weight: 0.5}, {alias: challenger, weight: 0.2}]}\n",
    )
    with pytest.raises(ConfigError, match=r"package\.routes.*sum to 1"):
        build_package(bad_routes, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_two_routes_and_version_number(
    package_project: Path, german_path: Path, tmp_path: Path
) -> None:
    config = configure(
        package_project,
        german_path,
        "package:\n  image: registry.example.com:5000/credit/german\n  unknown_category: allow\n"
        "  routes: [{alias: champion, weight: 0.9}, {alias: challenger, weight: 0.1}]\n",
    )
    result = build_package(config, out=tmp_path / "ab")
    assert result.image == "registry.example.com:5000/credit/german:v1-v3"
    assert [m["version"] for m in result.models] == ["1", "3"]
    manifest = json.loads((result.out / "manifest.json").read_text())
    assert [m["file"] for m in manifest["models"]] == [
        "models/german-pkg-v1.onnx",
        "models/german-pkg-v3.onnx",
    ]
    assert manifest["routes"][1] == {"alias": "challenger", "weight": 0.1}
    assert manifest["unknown_category"] == "allow"  # package: overrides serve:
    single = build_package(config, ref="3", out=tmp_path / "v3")
    assert single.image.endswith(":v3") and single.models[0]["alias"] == "3"


def test_config_section_is_validated(tmp_path: Path, german_path: Path) -> None:
    def load(section: str) -> None:
        path = tmp_path / "boucle.yaml"
        path.write_text(project_yaml(german_path, f"package: {section}\n"))
        load_config(path)

    load("{port: 9000, resources: {requests: {cpu: 500m, memory: 1Gi}}}")
    with pytest.raises(ConfigError, match=r"cpu request '2' is above its limit '1'"):
        load("{resources: {requests: {cpu: '2', memory: 256Mi}}}")
    with pytest.raises(ConfigError, match="memory"):
        load("{resources: {limits: {cpu: '1', memory: lots}}}")
    with pytest.raises(ConfigError, match="outside the autoscaling range"):
        load("{replicas: 9}")
    with pytest.raises(ConfigError, match="min_replicas"):
        load("{autoscaling: {min_replicas: 4, max_replicas: 3}, replicas: 3}")
    with pytest.raises(ConfigError, match="image"):
        load("{image: My_Image}")
    with pytest.raises(ConfigError, match="port"):
        load("{port: 80}")
    with pytest.raises(ConfigError, match="replicaz"):
        load("{replicaz: 3}")


def test_cli_package(package_project: Path, german_path: Path, tmp_path: Path) -> None:
    def boucle(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "boucle", *args],
            cwd=package_project,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    done = boucle("package", "--out", str(tmp_path / "cli"))
    assert done.returncode == 0, done.stderr
    assert "champion = german-pkg v1" in done.stdout
    assert f"docker build -t german-pkg:v1 {tmp_path / 'cli'}" in done.stdout
    again = boucle("package", "--out", str(tmp_path / "cli"))
    assert again.returncode == 2 and "is not empty" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    assert boucle("package", "--out", str(tmp_path / "cli"), "--force").returncode == 0
    unknown = boucle("package", "--model", "nope", "--out", str(tmp_path / "n"))
    assert unknown.returncode == 2 and "'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


@pytest.mark.postgres
def test_package_built_on_postgres(postgres_url: str, german_path: Path, tmp_path: Path) -> None:
    (tmp_path / "boucle.yaml").write_text(
        project_yaml(german_path, f"stores: {{ledger: '{postgres_url}'}}\n")
    )
    done = subprocess.run(
        [sys.executable, "-m", "boucle", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = load_config(tmp_path / "boucle.yaml")
    result = build_package(config, out=tmp_path / "bundle")
    with Ledger(postgres_url) as ledger:
        (event,) = [e for e in ledger.events() if e.kind == "package_built"]
        assert ledger.verify().ok
    assert event.payload["out"] == str(result.out) and event.payload["version"] == "1"
    assert event.payload["files"] == result.files
    assert event.payload["files"]["manifest.json"] == blake3_hex(
        (result.out / "manifest.json").read_bytes()
    )
    assert not (tmp_path / ".boucle" / "ledger.db").exists()
