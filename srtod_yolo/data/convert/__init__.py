"""Converters of real tiny-object datasets to YOLO format: DroneSwarms, AI-TOD, VisDrone2019-DET, Halmstad drones.

Each writes `images/<split>/`, `labels/<split>/`, `ignore/<split>/` (regions where detections are not counted,
if the dataset has any) and a `data.yaml`, and returns per-split counts of what it wrote and what it skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .coco import AITOD_NAMES, convert_aitod, convert_coco, convert_droneswarms
from .common import YoloSplitWriter, write_data_yaml
from .halmstad import HALMSTAD_CLASSES, convert_halmstad, locate_halmstad
from .visdrone import VISDRONE_NAMES, convert_visdrone

__all__ = (
    "AITOD_NAMES",
    "CONVERTERS",
    "HALMSTAD_CLASSES",
    "VISDRONE_NAMES",
    "YoloSplitWriter",
    "convert_aitod",
    "convert_coco",
    "convert_dataset",
    "convert_droneswarms",
    "convert_halmstad",
    "convert_visdrone",
    "format_summary",
    "write_data_yaml",
)


def _halmstad(raw: str | Path, out: str | Path, mode: str = "copy", **kwargs) -> dict:
    """Halmstad from one folder holding both source trees (see `locate_halmstad`); frames are always written."""
    videos, labels = locate_halmstad(raw)
    return convert_halmstad(videos, labels, out, **kwargs)


CONVERTERS: dict[str, Callable[..., dict]] = {
    "droneswarms": convert_droneswarms,
    "aitod": convert_aitod,
    "visdrone": convert_visdrone,
    "halmstad": _halmstad,
}


def convert_dataset(dataset: str, raw: str | Path, out: str | Path, mode: str = "link", **kwargs) -> dict:
    """Convert a dataset by name (one of `CONVERTERS`) from its raw folder into a YOLO dataset at `out`.

    Example:
        >>> convert_dataset("visdrone", "downloads/visdrone", "datasets/visdrone2019")["val"]["boxes"]
    """
    converter = CONVERTERS.get(str(dataset).lower())
    if converter is None:
        raise ValueError(f"unknown dataset '{dataset}'; valid: {', '.join(CONVERTERS)}")
    return converter(raw, out, mode=mode, **kwargs)


def format_summary(summaries: dict) -> list[str]:
    """One line per split: images, boxes and ignore regions written, and what was skipped and why."""
    lines = []
    for split, s in summaries.items():
        skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(s.get("skipped", {}).items())) or "nothing"
        lines.append(
            f"{split}: {s.get('images', 0)} images, {s.get('boxes', 0)} boxes, "
            f"{s.get('ignore_regions', 0)} ignore regions; skipped: {skipped}"
        )
    return lines
