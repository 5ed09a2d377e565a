"""COCO json to YOLO: DroneSwarms (single class 'drone') and AI-TOD (8 classes) ship their boxes this way."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .common import YoloSplitWriter, write_data_yaml

__all__ = ("AITOD_NAMES", "convert_aitod", "convert_coco", "convert_droneswarms")

AITOD_NAMES = ("airplane", "bridge", "storage-tank", "ship", "swimming-pool", "vehicle", "person", "wind-mill")


def convert_coco(
    annotations: str | Path,
    images: str | Path,
    out: str | Path,
    split: str,
    names: list[str] | tuple[str, ...] | None = None,
    mode: str = "link",
) -> dict:
    """Convert one COCO-format split to YOLO labels.

    Follows the official SR-TOD loader for COCO-style sets: annotations flagged `ignore` are left out; `iscrowd`
    boxes become ignore regions; boxes under 1 px wide or high, with no area, or outside the image are dropped
    (and counted). Classes are numbered by `names` (matched to category names) or by category id order.

    Args:
        annotations (str | Path): The COCO json file.
        images (str | Path): Folder the json's `file_name`s are relative to.
        out (str | Path): YOLO dataset root to write into.
        split (str): Split name ('train', 'val', ...).
        names (list[str] | None): Class names in YOLO order; None: every category, by id.
        mode (str): 'link', 'copy' or 'move' the images.

    Returns:
        (dict): What was written and what was skipped, with reasons.
    """
    annotations, images = Path(annotations), Path(images)
    data = json.loads(annotations.read_text())
    categories = sorted(data.get("categories", []), key=lambda c: c["id"])
    if names is None:
        class_of = {c["id"]: i for i, c in enumerate(categories)}
        names = [c.get("name", str(c["id"])) for c in categories]
    else:
        by_name = {c.get("name"): c["id"] for c in categories}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ValueError(f"{annotations}: categories {missing} not found; it has {sorted(by_name)}")
        class_of = {by_name[n]: i for i, n in enumerate(names)}
    per_image = defaultdict(list)
    for ann in data.get("annotations", []):
        per_image[ann["image_id"]].append(ann)
    writer = YoloSplitWriter(out, split, mode)
    for image in data.get("images", []):
        source = images / image["file_name"]
        if not source.is_file():
            writer.skipped["image file missing"] += 1
            continue
        stem = Path(image["file_name"]).with_suffix("").as_posix().replace("/", "_")
        boxes, classes, ignore = [], [], []
        for ann in per_image[image["id"]]:
            x, y, w, h = ann["bbox"]
            if ann.get("ignore", False):
                writer.skipped["flagged ignore"] += 1
            elif ann.get("iscrowd", 0):
                ignore.append((x, y, x + w, y + h))
            elif ann["category_id"] not in class_of:
                writer.skipped["category not selected"] += 1
            elif w < 1 or h < 1 or ann.get("area", w * h) <= 0:
                writer.skipped["under 1 px or no area"] += 1
            else:
                boxes.append((x, y, x + w, y + h))
                classes.append(class_of[ann["category_id"]])
        writer.place_image(source, f"{stem}{source.suffix}")
        writer.write(stem, image["width"], image["height"], boxes, classes, ignore)
    return {**writer.summary(), "names": list(names)}


def convert_droneswarms(raw: str | Path, out: str | Path, mode: str = "link") -> dict:
    """Convert DroneSwarms as the SR-TOD authors lay it out: `train/train.json` + `train/JPEGImages/`, `test/...`.

    The test split becomes YOLO 'val' (the paper reports on it). Returns per-split summaries.
    """
    raw = Path(raw)
    summaries = {}
    for source, split in (("train", "train"), ("test", "val")):
        ann = raw / source / f"{source}.json"
        if not ann.is_file():
            raise FileNotFoundError(f"DroneSwarms: '{ann}' not found; expected {raw}/{{train,test}}/{{train,test}}.json")
        summaries[split] = convert_coco(ann, raw / source / "JPEGImages", out, split, names=["drone"], mode=mode)
    write_data_yaml(out, {0: "drone"}, {"train": "images/train", "val": "images/val"}, "DroneSwarms (Cao et al., ECCV 2024), converted by srtod-yolo")
    return summaries


def convert_aitod(raw: str | Path, out: str | Path, mode: str = "link", version: str = "v1") -> dict:
    """Convert AI-TOD as its toolkit builds it: `annotations/aitod_{train,val,test}_<version>.json`, `images/<split>/`."""
    raw = Path(raw)
    summaries, splits = {}, {}
    for split in ("train", "val", "test"):
        ann = raw / "annotations" / f"aitod_{split}_{version}.json"
        if not ann.is_file():
            if split == "test":
                continue
            raise FileNotFoundError(f"AI-TOD: '{ann}' not found; build the set with AI-TOD's aitodtoolkit first")
        summaries[split] = convert_coco(ann, raw / "images" / split, out, split, names=list(AITOD_NAMES), mode=mode)
        splits[split] = f"images/{split}"
    write_data_yaml(out, dict(enumerate(AITOD_NAMES)), splits, "AI-TOD (Wang et al., ICPR 2020), converted by srtod-yolo")
    return summaries
