"""What every converter shares: writing a YOLO-format split, clipping boxes, counting what was dropped and why."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

__all__ = ("YoloSplitWriter", "image_size", "write_data_yaml")


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) of an image file, read from its header."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError) as e:
        raise OSError(f"cannot read image '{path}': {e}") from e


class YoloSplitWriter:
    """Write one split of a YOLO dataset: `images/<split>/`, `labels/<split>/` and, if any, `ignore/<split>/`.

    Boxes are given in pixels (x0, y0, x1, y1); they are clipped to the image, and boxes with no area left are
    dropped and counted by reason. Ignore regions (VisDrone's ignored regions, COCO `iscrowd`) go to
    `ignore/<split>/<stem>.txt` as normalised `x_center y_center width height` lines, where the validator
    reads them as regions in which detections are not counted.

    Args:
        root (str | Path): Dataset root.
        split (str): Split name, e.g. 'train'.
        mode (str): How images get there: 'link' (symlink, falls back to copy), 'copy' or 'move'.
    """

    def __init__(self, root: str | Path, split: str, mode: str = "link"):
        if mode not in {"link", "copy", "move"}:
            raise ValueError(f"image mode must be 'link', 'copy' or 'move', got '{mode}'")
        self.root, self.split, self.mode = Path(root), split, mode
        self.images_dir = self.root / "images" / split
        self.labels_dir = self.root / "labels" / split
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.labels_dir.mkdir(parents=True, exist_ok=True)
        self.counts: Counter = Counter()
        self.skipped: Counter = Counter()

    def place_image(self, source: str | Path, name: str) -> Path:
        """Put an image into the split under `name`; return its new path."""
        target = self.images_dir / name
        source = Path(source)
        if target.exists() or target.is_symlink():
            target.unlink()
        if self.mode == "move":
            shutil.move(str(source), target)
        elif self.mode == "link":
            try:
                os.symlink(source.resolve(), target)
            except OSError:
                shutil.copy2(source, target)
        else:
            shutil.copy2(source, target)
        return target

    def write(self, stem: str, width: int, height: int, boxes, classes, ignore=()) -> int:
        """Write the label file of one image; return the number of boxes kept."""
        lines = []
        for (x0, y0, x1, y1), cls in zip(boxes, classes):
            line = self._normalised(x0, y0, x1, y1, width, height)
            if line is None:
                self.skipped["no area inside the image"] += 1
                continue
            lines.append(f"{int(cls)} {line}")
        (self.labels_dir / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
        regions = [r for r in (self._normalised(*box, width, height) for box in ignore) if r is not None]
        if regions:
            folder = self.root / "ignore" / self.split
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{stem}.txt").write_text("\n".join(regions) + "\n")
        self.counts["images"] += 1
        self.counts["boxes"] += len(lines)
        self.counts["ignore_regions"] += len(regions)
        return len(lines)

    @staticmethod
    def _normalised(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> str | None:
        x0, x1 = max(0.0, min(float(x0), width)), max(0.0, min(float(x1), width))
        y0, y1 = max(0.0, min(float(y0), height)), max(0.0, min(float(y1), height))
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            return None
        return f"{(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"

    def summary(self) -> dict:
        """Counts of images, boxes and ignore regions written, and of boxes dropped by reason."""
        return {"split": self.split, **dict(self.counts), "skipped": dict(self.skipped)}


def write_data_yaml(root: str | Path, names: dict[int, str], splits: dict[str, str], comment: str = "") -> Path:
    """Write `root/data.yaml` (no 'path:' key: splits resolve against the file's folder)."""
    root = Path(root)
    lines = [f"# {line}" for line in comment.splitlines()] if comment else []
    lines += [f"{k}: {v}" for k, v in splits.items()]
    lines += ["names:"] + [f"  {i}: {json.dumps(n)}" for i, n in sorted(names.items())]
    path = root / "data.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
