"""Ignore regions: where a dataset says detections must not be counted (VisDrone's ignored regions, COCO crowds).

They live beside the labels, `ignore/<split>/<stem>.txt` next to `labels/<split>/<stem>.txt`, one region a line,
normalised like YOLO labels: `x_center y_center width height` for a region of every class, or
`class x_center y_center width height` for a region of one class only (a COCO crowd of that category).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .text import read_text

__all__ = ("ALL_CLASSES", "format_ignore_line", "ignore_file_of", "read_ignore_regions")

ALL_CLASSES = -1  # the class of a region that holds for every class


def format_ignore_line(xywhn: Sequence[float], cls: int | None = None) -> str:
    """One line of an ignore file: a normalised region, with its class in front if it is for one class only."""
    box = " ".join(f"{v:.6f}" for v in xywhn)
    return box if cls is None or cls == ALL_CLASSES else f"{int(cls)} {box}"


def ignore_file_of(image: str | Path) -> Path:
    """The ignore file of an image: its path with the last `images` folder replaced by `ignore`, suffix `.txt`.

    Example:
        >>> ignore_file_of("data/images/val/0001.jpg").as_posix()
        'data/ignore/val/0001.txt'
    """
    parts = list(Path(image).parts)
    index = max((i for i, p in enumerate(parts[:-1]) if p == "images"), default=None)
    if index is None:
        raise ValueError(f"'{image}' is not under an 'images' folder, so it has no ignore file")
    parts[index] = "ignore"
    return Path(*parts).with_suffix(".txt")


def read_ignore_regions(path: str | Path, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Read an ignore file into pixel regions of an image of `width` x `height`.

    Args:
        path (str | Path): The ignore file; a missing file means no regions.
        width (int): Image width in pixels.
        height (int): Image height in pixels.

    Returns:
        (tuple[np.ndarray, np.ndarray]): Regions (N, 4) as (x0, y0, x1, y1) in pixels, and their classes (N,),
            `ALL_CLASSES` (-1) for a region of every class.

    Raises:
        ValueError: A line that is not 4 or 5 numbers, naming the file and line.
    """
    boxes, classes = [], []
    if os.path.isfile(path):
        for n, line in enumerate(read_text(path, "an ignore-region file, x0 y0 x1 y1 [class] a line").splitlines(), 1):
            fields = line.split()
            if not fields:
                continue
            try:
                values = [float(v) for v in fields]
            except ValueError:
                values = []
            if len(values) not in (4, 5):
                raise ValueError(f"{path}:{n}: expected '[class] x_center y_center width height', got '{line}'")
            cls = int(values[0]) if len(values) == 5 else ALL_CLASSES
            cx, cy, w, h = values[-4:]
            boxes.append(((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height))
            classes.append(cls)
    return np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(classes, np.int64).reshape(-1)
