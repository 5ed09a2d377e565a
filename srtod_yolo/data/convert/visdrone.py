"""VisDrone2019-DET to YOLO, with ignored regions and 'others' kept as ignore regions, as VisDrone prescribes."""

from __future__ import annotations

from pathlib import Path

from ..coco_ids import record_coco_ids
from ..text import read_text
from .common import YoloSplitWriter, image_size, require, write_data_yaml

__all__ = ("VISDRONE_NAMES", "VISDRONE_SPLITS", "convert_visdrone", "convert_visdrone_split")

# Categories 1-10 of VisDrone2019-DET, in order; 0 'ignored regions' and 11 'others' are not classes.
VISDRONE_NAMES = (
    "pedestrian",
    "people",
    "bicycle",
    "car",
    "van",
    "truck",
    "tricycle",
    "awning-tricycle",
    "bus",
    "motor",
)
# YOLO split name: the folder each official archive unzips to.
VISDRONE_SPLITS = {
    "train": "VisDrone2019-DET-train",
    "val": "VisDrone2019-DET-val",
    "test": "VisDrone2019-DET-test-dev",
}


def convert_visdrone_split(split_dir: str | Path, out: str | Path, split: str, mode: str = "link") -> dict:
    """Convert one VisDrone split folder (`images/*.jpg`, `annotations/*.txt`).

    Each annotation row is `left,top,width,height,score,category,truncation,occlusion` in pixels. VisDrone's
    evaluation counts neither rows with score 0 nor those of category 0 ('ignored regions') or 11 ('others'),
    and does not count detections inside them: they become ignore regions of every class, not boxes.
    Categories 1-10 become classes 0-9.

    Args:
        split_dir (str | Path): E.g. `VisDrone2019-DET-val/`.
        out (str | Path): YOLO dataset root to write into.
        split (str): YOLO split name.
        mode (str): 'link', 'copy' or 'move' the images.

    Returns:
        (dict): Counts of what was written and of what was skipped, by reason.
    """
    split_dir = require(split_dir, "VisDrone split folder")
    annotations = require(split_dir / "annotations", "VisDrone annotation folder")
    images = require(split_dir / "images", "VisDrone image folder")
    writer = YoloSplitWriter(out, split, mode)
    for image in sorted(images.glob("*.jpg")):
        ann = annotations / f"{image.stem}.txt"
        if not ann.is_file():
            writer.skipped["image without annotation file"] += 1
            continue
        width, height = image_size(image)
        boxes, classes, ignore = [], [], []
        for n, line in enumerate(read_text(ann, "a VisDrone annotation file").splitlines(), 1):
            fields = [f.strip() for f in line.split(",")]
            fields = fields[:-1] if fields and fields[-1] == "" else fields  # some rows end with a comma
            if not any(fields):
                continue
            try:
                x, y, w, h, score, category = (int(float(v)) for v in fields[:6])
            except ValueError:
                x = None
            if x is None or len(fields) < 6:
                raise ValueError(f"{ann}:{n}: expected 'left,top,width,height,score,category,...', got '{line}'")
            if score == 0 or category in (0, 11):
                ignore.append((x, y, x + w, y + h))
            elif 1 <= category <= 10:
                boxes.append((x, y, x + w, y + h))
                classes.append(category - 1)
            else:
                writer.skipped[f"unknown category {category}"] += 1
        writer.place_image(image, image.name)
        writer.write(image.stem, width, height, boxes, classes, ignore)
    # VisDrone numbers its categories 1-10 and its images not at all: json written later keeps the category ids.
    record_coco_ids(out, split, {}, {i: i + 1 for i in range(len(VISDRONE_NAMES))}, annotations)
    return writer.summary()


def convert_visdrone(raw: str | Path, out: str | Path, mode: str = "link") -> dict:
    """Convert the VisDrone2019-DET split folders found under `raw`, as the official archives unzip.

    Args:
        raw (str | Path): Folder holding `VisDrone2019-DET-train/`, `-val/` and/or `-test-dev/`.
        out (str | Path): YOLO dataset root to write (with its `data.yaml`).
        mode (str): 'link', 'copy' or 'move' the images.

    Returns:
        (dict): Per-split summaries of the splits found.
    """
    raw = require(raw, "VisDrone folder")
    summaries, splits = {}, {}
    for split, folder in VISDRONE_SPLITS.items():
        if (raw / folder).is_dir():
            summaries[split] = convert_visdrone_split(raw / folder, out, split, mode)
            splits[split] = f"images/{split}"
    if not summaries:
        raise FileNotFoundError(f"VisDrone: none of {list(VISDRONE_SPLITS.values())} found in '{raw}'")
    write_data_yaml(out, dict(enumerate(VISDRONE_NAMES)), splits, "VisDrone2019-DET, converted by srtod-yolo")
    return summaries
