"""The Halmstad drone-detection dataset (mp4 clips + per-frame CSV labels) to YOLO frames.

Sources: videos in `Data/Video_IR/*.mp4` and `Data/Video_V/*.mp4` (github.com/DroneDetectionThesis/
Drone-detection-dataset), labels in `output_IR/*_LABELS.csv` and `output_V/*_LABELS.csv`
(github.com/NickStassen/Drone-detection-dataset), rows `frame,label,x,y,width,height` with a 0-based frame
index and the box in pixels from its top-left corner. Frames are decoded with OpenCV in order from 0 and saved
as lossless PNG at native size; boxes are clipped to the frame and normalised to 6 decimals.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

import cv2

from ..text import read_text
from .common import YoloSplitWriter, require, write_data_yaml

__all__ = (
    "HALMSTAD_CLASSES",
    "convert_clip",
    "convert_halmstad",
    "has_clips",
    "locate_halmstad",
    "read_clip_list",
    "read_label_csv",
    "split_of_clip",
)

HALMSTAD_CLASSES = {"DRONE": 0, "BIRD": 1, "AIRPLANE": 2, "HELICOPTER": 3}
CLIP = re.compile(r"^(IR|V)_([A-Z]+)_(\d+)$")  # e.g. IR_DRONE_025
VAL_EVERY = 4  # without a val clip list, every 4th clip of each (sensor, class) group goes to val


def read_label_csv(path: str | Path) -> dict[int, list[tuple[str, float, float, float, float]]]:
    """Per-frame boxes of one clip: {frame: [(LABEL, x, y, width, height), ...]}, pixels from the top-left."""
    path = require(path, "Halmstad label file")
    frames = defaultdict(list)
    text = read_text(path, "a Halmstad label CSV (frame,label,x,y,width,height)")
    for n, row in enumerate(csv.DictReader(text.splitlines()), 2):
        try:
            box = tuple(float(row[k]) for k in ("x", "y", "width", "height"))
            frames[int(row["frame"])].append((row["label"].strip().upper(), *box))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}:{n}: expected frame,label,x,y,width,height, got {row}") from e
    return dict(frames)


def read_clip_list(path: str | Path) -> list[str]:
    """Clip names (e.g. 'IR_DRONE_025') from a text file, one a line, or a CSV with a `source_clip` or `clip` column.

    A text file may hold blank lines and `#` comments (a name may end in `.mp4`); a CSV is a frame manifest such as
    the shared sample's `val/manifest.csv` (each clip once, however many of its frames it lists), or a clip manifest
    of one split (a `split` column naming several is refused: which split's clips?). A bare file name
    not found in the working directory is looked up among srtod-yolo's dataset files: `halmstad-drone-val-clips.txt`
    is the 124 clips of the real-halmstad-drone sample's val split, none of which the released `*-halmstad.pt`
    weights were trained on.

    Returns:
        (list[str]): The names in file order, each once.

    Raises:
        FileNotFoundError: The file is missing (the message names the shipped lists).
        ValueError: A name is not a Halmstad clip name (`IR|V_CLASS_NNN`), with its file and line; none is given; or
            a CSV lists the clips of several splits.
    """
    from ...yolo.hooks import config_dirs

    path, shipped = Path(path), {p.name: p for p in config_dirs()[1].glob("*.txt")}
    if not path.is_file() and len(path.parts) == 1 and path.name in shipped:
        path = shipped[path.name]
    if not path.is_file():
        raise FileNotFoundError(f"Halmstad clip list '{path}' not found (shipped: {', '.join(sorted(shipped))})")
    lines = read_text(path, "clip names one a line, or a CSV with a source_clip or clip column").splitlines()
    header = next(csv.reader(lines[:1]), [])
    column = next((c for c in ("source_clip", "clip") if c in header), None)
    csv_rows = column is not None
    if csv_rows:
        table = list(csv.DictReader(lines))
        splits = sorted({row.get("split") or "" for row in table} - {""}) if "split" in header else []
        if len(splits) > 1:  # e.g. the sample's clips/manifest.csv: every clip, each with its split
            raise ValueError(
                f"{path}: it lists the clips of several splits ({', '.join(splits)}); give only the val clips, e.g. "
                "val_clips=halmstad-drone-val-clips.txt or the sample's val/manifest.csv"
            )
        rows = [(n, row.get(column) or "") for n, row in enumerate(table, 2)]
    else:
        rows = [(n, line.split("#")[0]) for n, line in enumerate(lines, 1)]
    names = []
    for n, name in rows:
        name = name.strip().removesuffix(".mp4")
        if not name and csv_rows:
            raise ValueError(f"{path}:{n}: the row has no {column}")
        if name and not CLIP.match(name):
            raise ValueError(f"{path}:{n}: '{name}' is not a Halmstad clip name such as IR_DRONE_025 or V_BIRD_003")
        if name and name not in names:
            names.append(name)
    if not names:
        raise ValueError(f"{path}: no clip names in it")
    return names


def split_of_clip(index_in_group: int, val_every: int = VAL_EVERY) -> str:
    """Clips, not frames, go to one split: clip 2, 6, 10, ... (0-based) of each (sensor, class) group is 'val'."""
    return "val" if val_every and index_in_group % val_every == val_every // 2 else "train"


def has_clips(folder: str | Path) -> bool:
    """Whether `folder` holds `Video_IR/*.mp4` or `Video_V/*.mp4` that are clips, not Git LFS pointer files."""
    for clip in Path(folder).glob("Video_*/*.mp4"):
        with open(clip, "rb") as f:
            if not f.read(64).startswith(b"version https://git-lfs"):
                return True
    return False


def locate_halmstad(raw: str | Path) -> tuple[Path, Path]:
    """Find the video folder (holding `Video_IR/`, `Video_V/`) and the label folder (`output_IR/`, `output_V/`).

    Accepts a folder holding both repositories' trees directly, or their unzipped GitHub archives side by side
    (`Drone-detection-dataset-<commit>/` each).

    Returns:
        (tuple[Path, Path]): (videos, labels).
    """
    raw = require(raw, "Halmstad folder")
    candidates = [raw, *sorted(p for p in raw.iterdir() if p.is_dir())]
    videos = next((c / "Data" for c in candidates if has_clips(c / "Data")), None)
    labels = next((c for c in candidates if any(c.glob("output_*/*_LABELS.csv"))), None)
    if videos is None or labels is None:
        missing = "Data/Video_IR/*.mp4 or Data/Video_V/*.mp4" if videos is None else "output_IR/*_LABELS.csv"
        raise FileNotFoundError(f"Halmstad: no {missing} in '{raw}' or the folders in it")
    return videos, labels


def convert_halmstad(
    videos: str | Path,
    labels: str | Path,
    out: str | Path,
    stride: int = 10,
    val_every: int = VAL_EVERY,
    clips: list[str] | None = None,
    frames: dict[str, Collection[int]] | None = None,
    val_clips: Collection[str] | None = None,
) -> dict:
    """Decode every `stride`-th frame of each labelled clip into YOLO images (PNG, native size) and labels.

    Args:
        videos (str | Path): Folder holding `Video_IR/` and `Video_V/` (the source repository's `Data/`).
        labels (str | Path): Folder holding `output_IR/` and `output_V/` (the label fork's root).
        out (str | Path): YOLO dataset root to write (with its `data.yaml`).
        stride (int): Keep frames 0, stride, 2*stride, ... (the clips run at 30 fps: 10 keeps 3 frames a second).
        val_every (int): Every `val_every`-th clip of each (sensor, class) group goes to 'val' (0: all to train).
        clips (list[str] | None): Only these clips (e.g. ['IR_DRONE_001']); None: every clip found.
        frames (dict[str, Collection[int]] | None): Only these 0-based frames of these clips, in place of
            `stride` (e.g. to rebuild a chosen subset); clips not named are left out.
        val_clips (Collection[str] | None): These clips go to 'val' and every other one to 'train', in place of
            `val_every` (`read_clip_list('halmstad-drone-val-clips.txt')`: the shared sample's val clips). Listed
            clips that are not in `videos` are counted in the val summary's `skipped`.

    Returns:
        (dict): Per-split summaries ('train', 'val'), each with the clips it holds.
    """
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    videos, labels = Path(videos), Path(labels)
    found = sorted(videos.glob("Video_*/*.mp4"))
    if not found:
        raise FileNotFoundError(f"Halmstad: no clips in '{videos / 'Video_IR'}' or '{videos / 'Video_V'}'")
    groups = defaultdict(list)
    for video in found:
        m = CLIP.match(video.stem)
        wanted = (clips is None or video.stem in clips) and (frames is None or video.stem in frames)
        if m and wanted:
            groups[(m[1], m[2])].append((int(m[3]), video))
    writers = {s: YoloSplitWriter(out, s, "copy") for s in ("train", "val")}
    clip_splits = {"train": [], "val": []}
    for (sensor, _), members in sorted(groups.items()):
        for index, (_, video) in enumerate(sorted(members)):
            split = (
                split_of_clip(index, val_every) if val_clips is None else "val" if video.stem in val_clips else "train"
            )
            csv_path = labels / f"output_{sensor}" / f"{video.stem}_LABELS.csv"
            if not csv_path.is_file():
                writers[split].skipped["clip without label file"] += 1
                continue
            keep = set(frames[video.stem]) if frames is not None else None
            convert_clip(video, read_label_csv(csv_path), writers[split], stride, keep)
            clip_splits[split].append(video.stem)
    if val_clips is not None:
        listed = set(val_clips) - {video.stem for video in found}
        if listed:
            writers["val"].skipped["listed val clips not in the videos"] += len(listed)
    splits = {s: f"images/{s}" for s in ("train", "val") if clip_splits[s]}
    if not splits:
        raise FileNotFoundError(f"Halmstad: none of the clips in '{videos}' has a label file in '{labels}'")
    names = {i: n.lower() for n, i in HALMSTAD_CLASSES.items()}
    write_data_yaml(
        out, names, splits, "Halmstad drone-detection dataset (CC0), converted by srtod-yolo; split by clip"
    )
    return {s: {**writers[s].summary(), "clips": clip_splits[s]} for s in ("train", "val")}


def convert_clip(video: Path, frames: dict, writer: YoloSplitWriter, stride: int, keep: set | None) -> None:
    """Write every `stride`-th frame (or those in `keep`) of one clip and its labels; count what is left out.

    Args:
        video (Path): The clip (`<clip>.mp4`); frames are decoded in order from 0 and named `<clip>_<frame:05d>.png`.
        frames (dict): Its boxes per 0-based frame, as `read_label_csv` returns them.
        writer (YoloSplitWriter): The split to write into; unknown labels and labelled frames past the clip's end
            are counted in `writer.skipped`.
        stride (int): Keep frames 0, stride, 2*stride, ... (ignored when `keep` is given).
        keep (set | None): Only these 0-based frames.

    Raises:
        OSError: OpenCV cannot open the clip or a frame cannot be written.
    """
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"OpenCV cannot open the clip '{video}'")
    index = 0
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            if (index in keep) if keep is not None else index % stride == 0:
                stem = f"{video.stem}_{index:05d}"
                height, width = image.shape[:2]
                if not cv2.imwrite(str(writer.images_dir / f"{stem}.png"), image):
                    raise OSError(f"could not write frame {index} of '{video}' to '{writer.images_dir}'")
                rows = frames.get(index, [])
                known = [r for r in rows if r[0] in HALMSTAD_CLASSES]
                for label in sorted({r[0] for r in rows} - set(HALMSTAD_CLASSES)):
                    writer.skipped[f"unknown label {label}"] += sum(r[0] == label for r in rows)
                boxes = [(x, y, x + w, y + h) for _, x, y, w, h in known]
                writer.write(stem, width, height, boxes, [HALMSTAD_CLASSES[r[0]] for r in known])
            index += 1
    finally:
        cap.release()
    past_end = sum(1 for f in frames if f >= index)
    if past_end:
        writer.skipped["labelled frames past the end of the clip"] += past_end
