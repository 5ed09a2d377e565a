"""VisDrone2019-DET to YOLO, with ignored regions and 'others' handled as VisDrone's toolkit prescribes."""

from __future__ import annotations

from pathlib import Path

from .common import YoloSplitWriter, image_size, write_data_yaml

__all__ = ("VISDRONE_NAMES", "convert_visdrone", "convert_visdrone_split")

# Categories 1-10 of VisDrone2019-DET, in order; 0 'ignored regions' and 11 'others' are not classes.
VISDRONE_NAMES = ("pedestrian", "people", "bicycle", "car", "van", "truck", "tricycle", "awning-tricycle", "bus", "motor")
SPLITS = {"train": "VisDrone2019-DET-train", "val": "VisDrone2019-DET-val", "test": "VisDrone2019-DET-test-dev"}


def convert_visdrone_split(split_dir: str | Path, out: str | Path, split: str, mode: str = "link") -> dict:
    """Convert one VisDrone split folder (`images/*.jpg`, `annotations/*.txt`).

    Each annotation row is `left,top,width,height,score,category,truncation,occlusion`. VisDrone's evaluation
    ignores rows with score 0 (the 'ignored regions', category 0) and category 11 ('others'), and does not count
    detections inside them; they are written as ignore regions, not as boxes. Categories 1-10 become classes 0-9.
    """
    split_dir = Path(split_dir)
    writer = YoloSplitWriter(out, split, mode)
    annotations = split_dir / "annotations"
    if not annotations.is_dir():
        raise FileNotFoundError(f"VisDrone: no 'annotations' folder in '{split_dir}'")
    for image in sorted((split_dir / "images").glob("*.jpg")):
        ann = annotations / f"{image.stem}.txt"
        if not ann.is_file():
            writer.skipped["image without annotation file"] += 1
            continue
        width, height = image_size(image)
        boxes, classes, ignore = [], [], []
        for n, line in enumerate(ann.read_text().splitlines(), 1):
            fields = [f for f in line.replace(" ", "").split(",") if f != ""]
            if not fields:
                continue
            if len(fields) < 6:
                raise ValueError(f"{ann}:{n}: expected at least 6 comma-separated fields, got '{line}'")
            x, y, w, h, score, category = (int(float(v)) for v in fields[:6])
            if score == 0 or category in (0, 11):
                ignore.append((x, y, x + w, y + h))
            elif 1 <= category <= 10:
                boxes.append((x, y, x + w, y + h))
                classes.append(category - 1)
            else:
                writer.skipped[f"unknown category {category}"] += 1
        writer.place_image(image, image.name)
        writer.write(image.stem, width, height, boxes, classes, ignore)
    return writer.summary()


def convert_visdrone(raw: str | Path, out: str | Path, mode: str = "link") -> dict:
    """Convert the VisDrone2019-DET split folders found under `raw` (as unzipped from the official archives)."""
    raw = Path(raw)
    summaries, splits = {}, {}
    for split, folder in SPLITS.items():
        if (raw / folder).is_dir():
            summaries[split] = convert_visdrone_split(raw / folder, out, split, mode)
            splits[split] = f"images/{split}"
    if not summaries:
        raise FileNotFoundError(f"VisDrone: none of {list(SPLITS.values())} under '{raw}'")
    write_data_yaml(out, dict(enumerate(VISDRONE_NAMES)), splits, "VisDrone2019-DET, converted by srtod-yolo")
    return summaries
