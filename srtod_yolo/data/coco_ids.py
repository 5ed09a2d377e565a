"""The source dataset's own image and category ids, kept beside a converted dataset so every json keeps them.

YOLO labels have no image ids and number classes from 0. A dataset converted from COCO json (DroneSwarms, AI-TOD)
or with its own category ids (VisDrone's 1-10) would otherwise come back from `yolo val save_json=True` with ids
srtod-yolo made up, which its own annotation file, a leaderboard or AI-TOD's evaluator do not know. The converters
therefore write `coco_ids.json` at the dataset root:

    {"splits": {"val": {"annotations": "/raw/test/test.json",
                        "images": {"frame_07.jpg": 5007, ...},     # converted file name -> source image id
                        "categories": {"0": 3}}}}                  # class index -> source category id

and `TinyObjectValidator` writes `predictions.json`, `aitod_gt.json` and `aitod_predictions.json` with those ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ("COCO_IDS_FILE", "CocoIds", "record_coco_ids")

COCO_IDS_FILE = "coco_ids.json"


def record_coco_ids(
    root: str | Path,
    split: str,
    images: dict[str, int],
    categories: dict[int, int],
    annotations: str | Path | None = None,
) -> Path:
    """Record one converted split's source ids in `root/coco_ids.json` (other splits already there are kept).

    Args:
        root (str | Path): The converted dataset's root (holding `images/<split>/`).
        split (str): The split's folder name under `images/`.
        images (dict[str, int]): File name in `images/<split>/` -> the source's image id ({} if it has none).
        categories (dict[int, int]): Class index -> the source's category id.
        annotations (str | Path | None): The source annotation file the ids come from, for the record.

    Returns:
        (Path): The file written.
    """
    path = Path(root) / COCO_IDS_FILE
    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    record.setdefault("about", "source ids of the converted images and classes (srtod_yolo.data.coco_ids)")
    record.setdefault("splits", {})[split] = {
        "annotations": str(Path(annotations).resolve()) if annotations else None,
        "images": dict(sorted(images.items())),
        "categories": {str(k): int(v) for k, v in sorted(categories.items())},
    }
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path


def _split_of(image: Path) -> tuple[Path, str] | None:
    """(dataset root, split) of an image at `<root>/images/<split>/<name>`, else None."""
    parts = image.parts
    if len(parts) >= 3 and parts[-3] == "images":
        return Path(*parts[:-3]), parts[-2]
    return None


@dataclass
class CocoIds:
    """The source ids of a set of converted images: image id by image path, category id by class index.

    `image_ids` is empty unless every image has a source id (a partial map could clash with made-up ids);
    `category_ids` is empty unless the images' splits agree on one map.
    """

    image_ids: dict[str, int] = field(default_factory=dict)
    category_ids: dict[int, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def for_images(cls, im_files: list[str]) -> CocoIds | None:
        """The ids recorded by the converters for these images (paths as the dataset lists them); None if none."""
        records: dict[Path, dict] = {}
        image_ids, category_maps, sources = {}, [], []
        for file in im_files:
            where = _split_of(Path(file))
            if where is None:
                return None
            root, split = where
            if root not in records:
                path = root / COCO_IDS_FILE
                records[root] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            entry = records[root].get("splits", {}).get(split)
            if entry is None:
                return None
            if (root, split) not in {s[0] for s in sources}:
                sources.append(((root, split), entry.get("annotations")))
                category_maps.append({int(k): int(v) for k, v in entry.get("categories", {}).items()})
            image_id = entry.get("images", {}).get(Path(file).name)
            if image_id is not None:
                image_ids[file] = image_id
        if not sources:
            return None
        complete = len(image_ids) == len(im_files) and len(set(image_ids.values())) == len(image_ids)
        same = all(m == category_maps[0] for m in category_maps)
        return cls(
            image_ids=image_ids if complete else {},
            category_ids=category_maps[0] if same else {},
            sources=[str(a) for _, a in sources if a],
        )

    def class_map(self, nc: int) -> list[int] | None:
        """Source category id of each of `nc` classes, or None unless every class has one (and no two share it)."""
        ids = [self.category_ids.get(c) for c in range(nc)]
        return ids if None not in ids and len(set(ids)) == nc else None
