"""Prometheus metrics of one app, in its own ``CollectorRegistry`` (never the global one).

Requests by endpoint, route, model version and status; latency per endpoint, route and model
version; errors by kind; requests in flight; process CPU seconds and resident memory (the
standard ``process_*`` metrics); the distribution of the predicted positive-class probability
(classifiers) and counts of predicted labels; categories unseen in training (under
``unknown_category: allow``); feedback by result; shadow outcomes; prediction-log records
written and dropped. Labelled children are cached, so the hot path pays one dict lookup per metric.

The probability histogram is our own collector: prometheus_client has no bulk ``observe``, and
a 10,000-row request would otherwise take 10,000 locked calls; here it is one numpy histogram.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "ServeMetrics"]

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
_PROBABILITY_BOUNDS = np.linspace(0.1, 1.0, 10)
_BOUNDS = [round(bound, 1) for bound in _PROBABILITY_BOUNDS.tolist()]
_BUCKETS = len(_BOUNDS) + 1  # the last one is +Inf


class ServeMetrics:
    """Every metric of one app, registered in :attr:`registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        ProcessCollector(registry=registry)
        self.requests = Counter(
            "boucle_requests_total",
            "HTTP requests by endpoint, route, model version, status.",
            ["endpoint", "route", "model_version", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "boucle_request_latency_seconds",
            "Request latency by endpoint, route, version.",
            ["endpoint", "route", "model_version"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "boucle_errors_total",
            "Failed requests by endpoint and kind.",
            ["endpoint", "kind"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "boucle_requests_in_flight", "Requests being handled.", registry=registry
        )
        self.labels = Counter(
            "boucle_predicted_labels_total",
            "Predicted labels by route and model version.",
            ["route", "model_version", "label"],
            registry=registry,
        )
        self.shadow = Counter(
            "boucle_shadow_predictions_total",
            "Shadow scorings by model version and outcome.",
            ["model_version", "outcome"],
            registry=registry,
        )
        self.log_written = Counter(
            "boucle_prediction_log_written_total",
            "Prediction-log records written to Parquet.",
            registry=registry,
        )
        self.log_dropped = Counter(
            "boucle_prediction_log_dropped_total",
            "Prediction-log records dropped (queue full or write failed).",
            registry=registry,
        )
        self.unseen_categories = Counter(
            "boucle_unseen_categories_total",
            "Categorical values unseen in training, scored (unknown_category: allow).",
            ["route", "model_version", "field"],
            registry=registry,
        )
        self.feedback = Counter(
            "boucle_feedback_total",
            "Feedback requests by result (recorded, duplicate, conflict, unknown, unavailable).",
            ["result"],
            registry=registry,
        )
        self.models_loaded = Gauge(
            "boucle_models_loaded", "Models verified and loaded.", registry=registry
        )
        self.models_python = Gauge(
            "boucle_models_python_runtime",
            "Loaded models served through the Python path (feature functions, no ONNX form).",
            registry=registry,
        )
        self.models_refused = Gauge(
            "boucle_models_refused",
            "Models refused (hash mismatch or load failure).",
            registry=registry,
        )
        self.probability = _ProbabilityHistogram()
        registry.register(self.probability)
        self._request_children: dict[tuple[str, ...], Any] = {}
        self._latency_children: dict[tuple[str, ...], Any] = {}
        self._label_children: dict[tuple[str, ...], Any] = {}

    def observe_request(
        self, endpoint: str, status: int, seconds: float, route: str = "", version: str = ""
    ) -> None:
        """Count one request and its latency."""
        key = (endpoint, route, version, str(status))
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(*key)
        child.inc()
        short = (endpoint, route, version)
        timer = self._latency_children.get(short)
        if timer is None:
            timer = self._latency_children[short] = self.latency.labels(*short)
        timer.observe(seconds)

    def observe_predictions(
        self,
        route: str,
        version: str,
        labels: list[Any],
        positive: npt.NDArray[np.float32] | None,
    ) -> None:
        """Record predicted ``labels`` and the positive-class probabilities of N rows."""
        counts = {labels[0]: 1} if len(labels) == 1 else collections.Counter(labels)
        for label, count in counts.items():
            key = (route, version, str(label))
            child = self._label_children.get(key)
            if child is None:
                child = self._label_children[key] = self.labels.labels(*key)
            child.inc(count)
        if positive is not None:
            self.probability.observe(route, version, positive)

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class _ProbabilityHistogram(Collector):
    """Histogram of the predicted positive-class probability per route and model version."""

    name = "boucle_prediction_positive_probability"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str], list[Any]] = {}  # key -> [[bucket counts], sum]

    def observe(self, route: str, version: str, values: npt.NDArray[np.float32]) -> None:
        """Add ``values`` (probabilities in [0, 1]) to the series of ``route`` and ``version``."""
        if values.size == 1:  # the common case, without numpy temporaries
            value = float(values[0])
            with self._lock:
                series = self._series_of(route, version)
                series[0][bisect.bisect_left(_BOUNDS, value)] += 1
                series[1] += value
            return
        index = np.searchsorted(_PROBABILITY_BOUNDS, values.astype(np.float64))
        counts = np.bincount(index, minlength=_BUCKETS).tolist()
        total = float(values.sum(dtype=np.float64))
        with self._lock:
            series = self._series_of(route, version)
            series[0] = [a + b for a, b in zip(series[0], counts, strict=True)]
            series[1] += total

    def _series_of(self, route: str, version: str) -> list[Any]:
        series = self._series.get((route, version))
        if series is None:
            series = self._series[(route, version)] = [[0] * _BUCKETS, 0.0]
        return series

    def describe(self) -> Iterator[HistogramMetricFamily]:
        """The metric family without samples (for registration)."""
        yield HistogramMetricFamily(self.name, "Predicted positive-class probability.", labels=[])

    def collect(self) -> Iterator[HistogramMetricFamily]:
        """The current histograms, cumulative as Prometheus expects."""
        family = HistogramMetricFamily(
            self.name,
            "Predicted positive-class probability by route and model version.",
            labels=["route", "model_version"],
        )
        with self._lock:
            items = [(key, list(counts), total) for key, (counts, total) in self._series.items()]
        for (route, version), counts, total in items:
            cumulative = list(itertools.accumulate(counts))
            buckets = [(f"{b:.1f}", c) for b, c in zip(_BOUNDS, cumulative[:-1], strict=True)]
            buckets.append(("+Inf", cumulative[-1]))
            family.add_metric([route, version], buckets, total)
        yield family
