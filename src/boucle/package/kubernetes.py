"""The bundle's Kubernetes manifests: a Deployment, its Service and a HorizontalPodAutoscaler.

The Deployment probes ``/readyz`` (a pod gets traffic only once its model is loaded and its
hash matched) and ``/healthz`` (liveness), reserves and caps CPU and memory, and runs the
container as the image's non-root user on a read-only root file system, without privilege
escalation or capabilities; ``/tmp`` is a small in-memory volume. The autoscaler
(``autoscaling/v2``) scales on the average CPU use relative to the request.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from boucle.package.dockerfile import APP_UID

if TYPE_CHECKING:
    from boucle.config.package import PackageConfig

__all__ = ["kubernetes_name", "render_manifests"]

_MANAGED_BY = "boucle"


def kubernetes_name(image: str) -> str:
    """A DNS-1123 name for the Deployment, Service and autoscaler: the image's last part."""
    last = image.rsplit("/", 1)[-1]
    name = re.sub(r"[^a-z0-9-]+", "-", last.lower()).strip("-")[:63].rstrip("-")
    return name or "boucle-model"


def render_manifests(
    *, name: str, image: str, version: str, package: PackageConfig
) -> dict[str, dict[str, Any]]:
    """``{path in the bundle: manifest}`` for the Deployment, the Service and the autoscaler.

    ``image`` is the full reference (``name:tag``), ``version`` the label value naming what
    is deployed.
    """
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/version": _label_value(version),
        "app.kubernetes.io/managed-by": _MANAGED_BY,
    }
    selector = {"app.kubernetes.io/name": name}
    return {
        "k8s/deployment.yaml": _deployment(name, image, labels, selector, package),
        "k8s/service.yaml": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": {
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        "k8s/hpa.yaml": _autoscaler(name, labels, package),
    }


def _label_value(text: str) -> str:
    """A valid label value: at most 63 characters, letters or digits at both ends."""
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", text[:63])


def _deployment(
    name: str,
    image: str,
    labels: dict[str, str],
    selector: dict[str, str],
    package: PackageConfig,
) -> dict[str, Any]:
    resources = package.resources
    container = {
        "name": "server",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": package.port, "protocol": "TCP"}],
        "readinessProbe": _probe("/readyz", period=5, initial=2),
        "livenessProbe": _probe("/healthz", period=10, initial=10),
        "resources": {
            "requests": resources.requests.model_dump(),
            "limits": resources.limits.model_dump(),
        },
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": package.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": APP_UID,
                        "runAsGroup": APP_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def _probe(path: str, *, period: int, initial: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": initial,
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }


def _autoscaler(name: str, labels: dict[str, str], package: PackageConfig) -> dict[str, Any]:
    scaling = package.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": scaling.target_cpu_percent,
                        },
                    },
                }
            ],
        },
    }
