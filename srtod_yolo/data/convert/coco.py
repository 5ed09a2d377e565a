"""COCO json to YOLO: DroneSwarms (one class, drone) and AI-TOD (8 classes) ship their boxes this way."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ..coco_ids import record_coco_ids
from ..text import read_text
from .common import YoloSplitWriter, image_size, require, write_data_yaml

__all__ = ("AITOD_NAMES", "convert_aitod", "convert_coco", "convert_droneswarms")

# AI-TOD's categories 1-8, in id order (aitod_*_v1.json).
AITOD_NAMES = ("airplane", "bridge", "storage-tank", "ship", "swimming-pool", "vehicle", "person", "wind-mill")
DRONESWARMS_URL = "https://hiyuur.github.io"
AITOD_URL = "https://github.com/jwwangchn/AI-TOD"


def _class_map(categories: list[dict], names: Sequence[str] | None, single_class: bool, source: Path):
    """Category id to class index, and the class names, by `names` (matched by name) or by category id order."""
    categories = sorted(categories, key=lambda c: c["id"])
    if single_class:
        return {c["id"]: 0 for c in categories}, list(names or ["object"])
    if names is None:
        return {c["id"]: i for i, c in enumerate(categories)}, [c.get("name", str(c["id"])) for c in categories]
    by_name = {c.get("name"): c["id"] for c in categories}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"{source}: categories {missing} not found; the file has {sorted(map(str, by_name))}")
    return {by_name[n]: i for i, n in enumerate(names)}, list(names)


def convert_coco(
    annotations: str | Path,
    images: str | Path,
    out: str | Path,
    split: str,
    names: Sequence[str] | None = None,
    mode: str = "link",
    single_class: bool = False,
) -> dict:
    """Convert one COCO-format split to YOLO labels.

    Annotations are kept or dropped as mmdetection's COCO loader (which SR-TOD trains with) does, in its order:
    flagged `ignore`: dropped; no area inside the image: dropped; `area` <= 0 or under 1 px wide or high: dropped;
    category not selected: dropped; `iscrowd`: an ignore region of its class; else a box. Boxes are clipped to
    the image. Image files are named by their `file_name` with '/' replaced by '_'. The json's image ids and
    category ids are kept in `out/coco_ids.json` (`srtod_yolo.data.coco_ids`), so `yolo val save_json=True` writes
    them back and its json can be scored against this annotation file.

    Args:
        annotations (str | Path): The COCO json file.
        images (str | Path): Folder the json's `file_name`s are relative to.
        out (str | Path): YOLO dataset root to write into.
        split (str): Split name ('train', 'val', ...).
        names (Sequence[str] | None): Class names in YOLO order, matched to category names; None: every category,
            by id. With `single_class`, the name of the one class.
        mode (str): 'link', 'copy' or 'move' the images.
        single_class (bool): Every category becomes class 0.

    Returns:
        (dict): Counts of what was written and of what was skipped, by reason, and the class names.
    """
    annotations = require(annotations, "COCO annotation file")
    images = require(images, "image folder", f"the folder the 'file_name's of {annotations.name} are relative to")
    try:
        data = json.loads(read_text(annotations, "a COCO annotation json", encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{annotations}: not valid json ({e})") from e
    class_of, names = _class_map(data.get("categories", []), names, single_class, annotations)
    per_image = defaultdict(list)
    for ann in data.get("annotations", []):
        per_image[ann["image_id"]].append(ann)
    writer = YoloSplitWriter(out, split, mode)
    source_ids = {}  # converted file name -> the json's image id, kept in coco_ids.json
    for image in data.get("images", []):
        source = images / image["file_name"]
        if not source.is_file():
            writer.skipped["image file missing"] += 1
            continue
        if "width" in image and "height" in image:
            width, height = int(image["width"]), int(image["height"])
        else:
            width, height = image_size(source)
        boxes, classes, ignore, ignore_classes = [], [], [], []
        for ann in per_image[image["id"]]:
            x, y, w, h = (float(v) for v in ann["bbox"])
            inside_w = max(0.0, min(x + w, width) - max(x, 0.0))
            inside_h = max(0.0, min(y + h, height) - max(y, 0.0))
            if ann.get("ignore", False):
                writer.skipped["flagged ignore"] += 1
            elif inside_w * inside_h == 0:
                writer.skipped["no area inside the image"] += 1
            elif ann.get("area", w * h) <= 0 or w < 1 or h < 1:
                writer.skipped["under 1 px or no area"] += 1
            elif ann["category_id"] not in class_of:
                writer.skipped["category not selected"] += 1
            elif ann.get("iscrowd", 0):
                ignore.append((x, y, x + w, y + h))
                ignore_classes.append(class_of[ann["category_id"]])
            else:
                boxes.append((x, y, x + w, y + h))
                classes.append(class_of[ann["category_id"]])
        stem = Path(image["file_name"]).with_suffix("").as_posix().replace("/", "_")
        writer.place_image(source, f"{stem}{source.suffix}")
        writer.write(stem, width, height, boxes, classes, ignore, ignore_classes)
        source_ids[f"{stem}{source.suffix}"] = image["id"]
    record_coco_ids(out, split, source_ids, _source_categories(class_of), annotations)
    return {**writer.summary(), "names": list(names)}


def _source_categories(class_of: dict[int, int]) -> dict[int, int]:
    """Class index -> source category id; a class merged from several categories has none."""
    ids_of = defaultdict(list)
    for category, index in class_of.items():
        ids_of[index].append(category)
    return {index: ids[0] for index, ids in ids_of.items() if len(ids) == 1}


def convert_droneswarms(raw: str | Path, out: str | Path, mode: str = "link") -> dict:
    """Convert DroneSwarms as its authors ship it: `train/train.json` + `train/JPEGImages/`, `test/...` likewise.

    Every category becomes the one class 'drone'. The test split becomes YOLO 'val' (the paper reports on it).
    A split whose folder is absent is left out (the data.yaml says so, see `data_yaml_splits`).

    Args:
        raw (str | Path): The unpacked DroneSwarms folder.
        out (str | Path): YOLO dataset root to write (with its `data.yaml`).
        mode (str): 'link', 'copy' or 'move' the images.

    Returns:
        (dict): Per-split summaries of the splits found ('train', 'val').
    """
    raw = require(raw, "DroneSwarms folder", f"request the dataset at {DRONESWARMS_URL}")
    summaries, splits = {}, {}
    for source, split in (("train", "train"), ("test", "val")):
        if not (raw / source).is_dir():  # a partial download: convert the splits that are there
            continue
        ann = require(
            raw / source / f"{source}.json", "DroneSwarms annotations", "expected {train,test}/{train,test}.json"
        )
        images = require(raw / source / "JPEGImages", "DroneSwarms image folder")
        summaries[split] = convert_coco(ann, images, out, split, names=["drone"], mode=mode, single_class=True)
        splits[split] = f"images/{split}"
    if not summaries:
        raise FileNotFoundError(f"DroneSwarms: neither 'train/' nor 'test/' found in '{raw}'")
    write_data_yaml(out, {0: "drone"}, splits, "DroneSwarms (Cao et al., ECCV 2024), converted by srtod-yolo")
    return summaries


def convert_aitod(raw: str | Path, out: str | Path, mode: str = "link", version: str = "v1") -> dict:
    """Convert AI-TOD as its toolkit builds it: `annotations/aitod_{train,val,test}_<version>.json`, `images/<split>/`.

    Args:
        raw (str | Path): The `aitod` folder that AI-TOD's `generate_aitod_imgs.py` completes.
        out (str | Path): YOLO dataset root to write (with its `data.yaml`).
        mode (str): 'link', 'copy' or 'move' the images.
        version (str): Annotation version in the file names.

    Returns:
        (dict): Per-split summaries of the splits whose json is there ('train', 'val', 'test'); the data.yaml
            fills in a missing train or val as `data_yaml_splits` says.
    """
    raw = require(raw, "AI-TOD folder", f"build AI-TOD with the toolkit of {AITOD_URL}")
    summaries, splits = {}, {}
    for split in ("train", "val", "test"):
        ann = raw / "annotations" / f"aitod_{split}_{version}.json"
        if not ann.is_file():  # a partial build: convert the splits that are there
            continue
        images = require(raw / "images" / split, "AI-TOD image folder", "run the toolkit's generate_aitod_imgs.py")
        summaries[split] = convert_coco(ann, images, out, split, names=AITOD_NAMES, mode=mode)
        splits[split] = f"images/{split}"
    if not summaries:
        raise FileNotFoundError(
            f"AI-TOD: no annotations/aitod_{{train,val,test}}_{version}.json in '{raw}'; build AI-TOD with the "
            f"toolkit of {AITOD_URL}"
        )
    write_data_yaml(
        out, dict(enumerate(AITOD_NAMES)), splits, "AI-TOD (Wang et al., ICPR 2020), converted by srtod-yolo"
    )
    return summaries
