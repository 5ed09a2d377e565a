"""The released SR-TOD checkpoint for export tests: a private copy of it, and a 4-frame real calibration set."""

import shutil
from pathlib import Path

import yaml
from conftest import SHARED_DATA

from srtod_yolo.weights import resolve_weights

WEIGHTS = "srtod-yolov8n-p2-halmstad.pt"


def copy_released(folder: Path) -> str:
    """A copy of the released checkpoint in folder, so that exports land there and not in the package."""
    return shutil.copy(resolve_weights(WEIGHTS), Path(folder) / WEIGHTS)


def calibration_set(root: Path) -> Path:
    """A dataset of 4 real training frames (links), for INT8 calibration; returns its data.yaml."""
    for sub in ("images", "labels"):
        (root / sub).mkdir(parents=True)
    for name in ("tr_0001", "tr_0300", "tr_0600", "tr_0900"):
        (root / "images" / f"{name}.png").symlink_to(SHARED_DATA / "train" / "images" / f"{name}.png")
        (root / "labels" / f"{name}.txt").symlink_to(SHARED_DATA / "train" / "labels" / f"{name}.txt")
    names = yaml.safe_load((SHARED_DATA / "data.yaml").read_text())["names"]
    data = root / "data.yaml"
    data.write_text(yaml.safe_dump({"path": str(root), "train": "images", "val": "images", "names": names}))
    return data
