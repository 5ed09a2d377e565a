"""What every converter shares: writing a YOLO-format split, clipping boxes, counting what was dropped and why."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..ignore import format_ignore_line

__all__ = ("IMAGE_MODES", "YoloSplitWriter", "data_yaml_splits", "image_size", "require", "write_data_yaml")

IMAGE_MODES = ("link", "copy", "move")


def require(path: str | Path, what: str, hint: str = "") -> Path:
    """Return `path` if it exists, else raise FileNotFoundError naming it, what it should be, and `hint`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: '{path}'" + (f"; {hint}" if hint else ""))
    return path


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) in pixels of an image file, read from its header; OSError naming the file if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError, UnidentifiedImageError) as e:
        raise OSError(f"cannot read image '{path}': {e}") from e


def _clip(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float] | None:
    """Clip a pixel box (x0, y0, x1, y1) to the image; None if nothing of it is left inside."""
    x0, x1 = (max(0.0, min(float(v), width)) for v in (box[0], box[2]))
    y0, y1 = (max(0.0, min(float(v), height)) for v in (box[1], box[3]))
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _xywhn(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float]:
    """Pixel (x0, y0, x1, y1) to YOLO's normalised (x_center, y_center, width, height)."""
    x0, y0, x1, y1 = box
    return (x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height


class YoloSplitWriter:
    """Write one split of a YOLO dataset: `images/<split>/`, `labels/<split>/` and, if any, `ignore/<split>/`.

    Boxes are given in pixels (x0, y0, x1, y1); they are clipped to the image, and boxes with no area left are
    dropped and counted by reason. Every image gets a label file (empty for an image without boxes, which YOLO
    trains on as background). Ignore regions (VisDrone's ignored regions and 'others', COCO `iscrowd`) go to
    `ignore/<split>/<stem>.txt`, one region a line: `x_center y_center width height` (normalised) for a region
    of every class, `class x_center y_center width height` for one class only. `TinyObjectValidator` reads them
    and, as COCO does with crowds, does not count detections inside them.

    Args:
        root (str | Path): Dataset root.
        split (str): Split name, e.g. 'train'.
        mode (str): How images get there: 'link' (symlink, falls back to copy), 'copy' or 'move'.

    Example:
        >>> w = YoloSplitWriter("out", "train", mode="copy")
        >>> w.place_image("raw/a.jpg", "a.jpg")
        >>> w.write("a", 640, 480, boxes=[(10, 20, 18, 26)], classes=[0])
        1
    """

    def __init__(self, root: str | Path, split: str, mode: str = "link"):
        if mode not in IMAGE_MODES:
            raise ValueError(f"image mode must be one of {IMAGE_MODES}, got '{mode}'")
        self.root, self.split, self.mode = Path(root), split, mode
        self.images_dir = self.root / "images" / split
        self.labels_dir = self.root / "labels" / split
        self.ignore_dir = self.root / "ignore" / split
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.labels_dir.mkdir(parents=True, exist_ok=True)
        self.counts: Counter = Counter(images=0, boxes=0, ignore_regions=0)
        self.skipped: Counter = Counter()

    def place_image(self, source: str | Path, name: str) -> Path:
        """Put an image into the split under `name` (link, copy or move it); return its new path."""
        source, target = Path(source), self.images_dir / name
        if target.exists() or target.is_symlink():
            target.unlink()
        if self.mode == "move":
            shutil.move(str(source), target)
        elif self.mode == "link":
            try:
                os.symlink(source.resolve(), target)
            except OSError:  # file systems without symlinks (some Windows setups)
                shutil.copy2(source, target)
        else:
            shutil.copy2(source, target)
        return target

    def write(
        self,
        stem: str,
        width: int,
        height: int,
        boxes: Iterable[Sequence[float]],
        classes: Iterable[int],
        ignore: Iterable[Sequence[float]] = (),
        ignore_classes: Iterable[int | None] | None = None,
    ) -> int:
        """Write the label file (and ignore file, if any regions) of one image.

        Args:
            stem (str): File name without suffix, the same as the image's.
            width (int): Image width in pixels.
            height (int): Image height in pixels.
            boxes: Pixel boxes (x0, y0, x1, y1).
            classes: Class index of each box.
            ignore: Pixel regions (x0, y0, x1, y1) in which detections are not counted.
            ignore_classes: Class of each region, None for every class; None: every region is for every class.

        Returns:
            (int): The number of boxes written.
        """
        lines = []
        for box, cls in zip(boxes, classes):
            clipped = _clip(box, width, height)
            if clipped is None:
                self.skipped["no area inside the image"] += 1
                continue
            lines.append(f"{int(cls)} " + " ".join(f"{v:.6f}" for v in _xywhn(clipped, width, height)))
        (self.labels_dir / f"{stem}.txt").write_text("".join(f"{line}\n" for line in lines))
        ignore = list(ignore)
        regions = []
        for box, cls in zip(ignore, ignore_classes if ignore_classes is not None else [None] * len(ignore)):
            clipped = _clip(box, width, height)
            if clipped is not None:
                regions.append(format_ignore_line(_xywhn(clipped, width, height), cls))
        ignore_file = self.ignore_dir / f"{stem}.txt"
        if regions:
            self.ignore_dir.mkdir(parents=True, exist_ok=True)
            ignore_file.write_text("".join(f"{r}\n" for r in regions))
        elif ignore_file.exists():  # a stale file of an earlier conversion would hide detections
            ignore_file.unlink()
        self.counts["images"] += 1
        self.counts["boxes"] += len(lines)
        self.counts["ignore_regions"] += len(regions)
        return len(lines)

    def summary(self) -> dict:
        """Counts of images, boxes and ignore regions written, and of what was skipped, by reason."""
        return {"split": self.split, **dict(self.counts), "skipped": dict(self.skipped)}


def data_yaml_splits(splits: dict[str, str]) -> dict[str, str]:
    """The split lines of a `data.yaml` for the splits a conversion found, so the stock commands accept it.

    ultralytics refuses a data YAML without `train:` and `val:` keys, even for `yolo val`. A missing split is
    therefore written, with a comment saying what it does:

    - no val split: `val` reuses the train images (the scores of validation during training are then optimistic);
    - no train split: `train` names `images/train`, which does not exist, so `yolo val` works and `yolo train`
      stops naming the missing folder instead of training on the validation images.

    Args:
        splits (dict[str, str]): Split name to image folder, relative to the root, for the splits found.

    Returns:
        (dict[str, str]): Key to YAML value (with a trailing comment where the split was not found), in the order
            train, val, then the others.
    """
    if not splits:
        raise ValueError("no split was converted, so there is no data.yaml to write")
    lines = {}
    if "train" in splits:
        lines["train"] = splits["train"]
    else:
        lines["train"] = "images/train  # no train split found: `yolo val` works, `yolo train` needs one"
    if "val" in splits:
        lines["val"] = splits["val"]
    elif "train" in splits:
        lines["val"] = f"{splits['train']}  # no val split found: validation reuses the train images"
    else:
        first = next(iter(splits))
        lines["val"] = f"{splits[first]}  # no val split found: validation uses the {first} images"
    lines.update({k: v for k, v in splits.items() if k not in lines})
    return lines


def write_data_yaml(root: str | Path, names: dict[int, str], splits: dict[str, str], comment: str = "") -> Path:
    """Write `root/data.yaml` for ultralytics: splits relative to `root` (the file has no `path:` key), names.

    Only the splits found need be given: `data_yaml_splits` fills in `train:` and `val:` where they are missing,
    saying so in a comment.

    Args:
        root (str | Path): Dataset root.
        names (dict[int, str]): Class names by index.
        splits (dict[str, str]): Split name to image folder, relative to root ('train': 'images/train'), of the
            splits that were converted.
        comment (str): Lines written as a YAML comment on top.

    Returns:
        (Path): The file written.
    """
    root = Path(root)
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"# splits found: {', '.join(splits)}"]
    lines += [f"{k}: {v}" for k, v in data_yaml_splits(splits).items()]
    lines += ["names:"] + [f"  {i}: {json.dumps(n)}" for i, n in sorted(names.items())]
    path = root / "data.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
