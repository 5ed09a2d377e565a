"""Tiny-object metrics: AI-TOD's size-binned AP, computed by a maintained COCO evaluator."""

from .aitod import METRIC_KEYS, AITODEvaluator, class_subset, evaluate_coco, plot_pr_curves

__all__ = ("METRIC_KEYS", "AITODEvaluator", "class_subset", "evaluate_coco", "plot_pr_curves")
