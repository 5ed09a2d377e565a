"""The Halmstad drone-detection dataset (mp4 clips + per-frame CSV labels) to YOLO frames.

Layout of the sources: videos in `Data/Video_IR/*.mp4` and `Data/Video_V/*.mp4`
(github.com/DroneDetectionThesis/Drone-detection-dataset), labels in `output_IR/*_LABELS.csv` and
`output_V/*_LABELS.csv` (github.com/NickStassen/Drone-detection-dataset), rows `frame,label,x,y,width,height`
with a 0-based frame index and the box in pixels from its top-left corner.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import cv2

from .common import YoloSplitWriter, write_data_yaml

__all__ = ("HALMSTAD_CLASSES", "convert_halmstad", "read_label_csv", "split_of_clip")

HALMSTAD_CLASSES = {"DRONE": 0, "BIRD": 1, "AIRPLANE": 2, "HELICOPTER": 3}
CLIP = re.compile(r"^(IR|V)_([A-Z]+)_(\d+)$")


def read_label_csv(path: str | Path) -> dict[int, list[tuple[str, float, float, float, float]]]:
    """Per-frame boxes of one clip: {frame: [(label, x, y, w, h), ...]}."""
    frames = defaultdict(list)
    with open(path, newline="") as f:
        for n, row in enumerate(csv.DictReader(f), 2):
            try:
                frames[int(row["frame"])].append(
                    (row["label"].strip().upper(), *(float(row[k]) for k in ("x", "y", "width", "height")))
                )
            except (KeyError, ValueError) as e:
                raise ValueError(f"{path}:{n}: expected frame,label,x,y,width,height, got {row}") from e
    return frames


def split_of_clip(index_in_group: int, val_every: int = 4) -> str:
    """Clips, not frames, go to one split: every `val_every`-th clip of a (sensor, class) group is 'val'."""
    return "val" if val_every and index_in_group % val_every == val_every // 2 else "train"


def convert_halmstad(
    videos: str | Path, labels: str | Path, out: str | Path, stride: int = 10, val_every: int = 4, clips: list[str] | None = None
) -> dict:
    """Decode every `stride`-th frame of each labelled clip into YOLO images (PNG, native size) and labels.

    Args:
        videos (str | Path): Folder holding `Video_IR/` and `Video_V/` (the source repository's `Data/`).
        labels (str | Path): Folder holding `output_IR/` and `output_V/` (the label fork's root).
        out (str | Path): YOLO dataset root to write.
        stride (int): Keep frames 0, stride, 2*stride, ... (30 fps clips: 10 keeps 3 frames a second).
        val_every (int): Every `val_every`-th clip of each (sensor, class) group goes to 'val' (0: all train).
        clips (list[str] | None): Only these clip names (e.g. ['IR_DRONE_001']); None: every clip found.

    Returns:
        (dict): Per-split summaries, plus the clips of each split.
    """
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    videos, labels = Path(videos), Path(labels)
    found = sorted(videos.glob("Video_*/*.mp4"))
    if not found:
        raise FileNotFoundError(f"Halmstad: no clips in '{videos}/Video_IR' or '{videos}/Video_V'")
    groups = defaultdict(list)
    for video in found:
        m = CLIP.match(video.stem)
        if m and (clips is None or video.stem in clips):
            groups[(m[1], m[2])].append((int(m[3]), video))
    writers = {s: YoloSplitWriter(out, s, "copy") for s in ("train", "val")}
    clip_splits = {"train": [], "val": []}
    for (sensor, _), members in sorted(groups.items()):
        for index, (_, video) in enumerate(sorted(members)):
            split = split_of_clip(index, val_every)
            csv_path = labels / f"output_{sensor}" / f"{video.stem}_LABELS.csv"
            if not csv_path.is_file():
                writers[split].skipped["clip without label file"] += 1
                continue
            _convert_clip(video, read_label_csv(csv_path), writers[split], stride)
            clip_splits[split].append(video.stem)
    splits = {s: f"images/{s}" for s in ("train", "val") if clip_splits[s]}
    names = {i: n.lower() for n, i in HALMSTAD_CLASSES.items()}
    write_data_yaml(out, names, splits, "Halmstad drone-detection dataset (CC0), converted by srtod-yolo; split by clip")
    return {s: {**writers[s].summary(), "clips": clip_splits[s]} for s in ("train", "val")}


def _convert_clip(video: Path, frames: dict, writer: YoloSplitWriter, stride: int) -> None:
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"OpenCV cannot open the clip '{video}'")
    index = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if index % stride == 0:
                stem = f"{video.stem}_{index:05d}"
                h, w = image.shape[:2]
                if not cv2.imwrite(str(writer.images_dir / f"{stem}.png"), image):
                    raise OSError(f"could not write frame {index} of '{video}'")
                rows = frames.get(index, [])
                unknown = [r[0] for r in rows if r[0] not in HALMSTAD_CLASSES]
                if unknown:
                    writer.skipped[f"unknown labels {sorted(set(unknown))}"] += len(unknown)
                rows = [r for r in rows if r[0] in HALMSTAD_CLASSES]
                writer.write(stem, w, h, [(x, y, x + bw, y + bh) for _, x, y, bw, bh in rows], [HALMSTAD_CLASSES[r[0]] for r in rows])
            index += 1
    finally:
        cap.release()
    labelled = max(frames) + 1 if frames else 0
    if labelled > index:
        writer.skipped[f"labels past the last frame of {video.stem}"] += labelled - index
