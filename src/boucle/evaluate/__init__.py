"""Evaluation: headline metrics, confusion matrix, per-class metrics and sensitive slices."""

from boucle.evaluate.metrics import Evaluation, SliceMetrics, evaluate_model, headline_metrics
from boucle.evaluate.slices import SliceGroup, slice_groups

__all__ = [
    "Evaluation",
    "SliceGroup",
    "SliceMetrics",
    "evaluate_model",
    "headline_metrics",
    "slice_groups",
]
