"""Clips and detections for the tracking benchmark: real Halmstad clips, synthetic swarms, cached detections.

A clip is a video with ground truth as rows `frame, id, x, y, w, h` (0-based frames, pixels). Detections are
cached once per (clip, source) under runs/tracking-cache/, as rows `frame, x0, y0, x1, y1, conf, cls`, with the
seconds spent decoding and detecting each frame, so that every tracker runs on the same boxes.
"""

from __future__ import annotations

import csv
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import REPO
from srtod_yolo.metrics.tracking import link_identities

REAL = REPO.parent / "shared" / "data" / "real-halmstad-drone" / "videos"
CACHE = REPO / "runs" / "tracking-cache"
# The released stock and SR-TOD (learned cue) detectors, trained the same way (weights/README.md).
MODELS = {"baseline": "yolov8n-p2-halmstad.pt", "srtod": "srtod-fuse-yolov8n-p2-halmstad.pt"}
CONF = 0.05  # cache everything above this; each tracker applies its own thresholds (all are >= 0.1)


@dataclass
class Clip:
    """A labelled video: name, sensor ('thermal', 'visible' or 'synthetic'), path, ground truth and frame count."""

    name: str
    sensor: str
    video: Path
    gt: np.ndarray  # (G, 6) frame, id, x, y, w, h; 0-based frames
    frames: int
    distractors: np.ndarray | None = None  # (B, 6) bird boxes of synthetic clips, same layout


def frames_of(video: Path, limit: int = 0):
    """Yield (index, BGR frame) from a video, the first `limit` frames (0: all)."""
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"OpenCV cannot open the video '{video}'")
    try:
        i = 0
        while not limit or i < limit:
            ok, frame = cap.read()
            if not ok:
                break
            yield i, frame
            i += 1
    finally:
        cap.release()


def count_frames(video: Path, limit: int = 0) -> int:
    """Frames OpenCV decodes from a video (at most `limit` if given)."""
    return sum(1 for _ in frames_of(video, limit))


def real_clips(names: list[str] | None, limit: int = 0, folder: Path = REAL) -> list[Clip]:
    """Labelled Halmstad clips (IR_* thermal, V_* visible) with `<stem>_LABELS.csv` beside each; ground truth cut to
    the decoded frames. `folder`: videos/ of the shared data by default; clips/val/ holds 124 more (never trained on).
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"no real clips: {folder} is missing (the shared real-halmstad-drone data)")
    clips = []
    for video in sorted(folder.glob("*.mp4")):
        if names and video.stem not in names:
            continue
        labels = video.with_name(f"{video.stem}_LABELS.csv")
        with open(labels, newline="") as f:
            rows = [
                (int(r["frame"]), r["label"], *(float(r[k]) for k in ("x", "y", "width", "height")))
                for r in csv.DictReader(f)
            ]
        frames = count_frames(video, limit)
        gt = link_identities([r for r in rows if r[0] < frames])
        sensor = "thermal" if video.stem.startswith("IR_") else "visible"
        clips.append(Clip(video.stem, sensor, video, gt, frames))
    return clips


def synthetic_clips(seeds: list[int], frames: int, cache: Path = CACHE) -> list[Clip]:
    """Synthetic swarm clips (srtod_yolo.data.synth.render_swarm_clip), rendered once into the cache folder."""
    from srtod_yolo.data.synth import render_swarm_clip
    from srtod_yolo.metrics.tracking import read_mot

    clips = []
    for seed in seeds:
        folder = cache / "synthetic" / f"f{frames}"
        video = folder / f"swarm-{seed}.mp4"
        gt, birds = folder / f"swarm-{seed}_gt.txt", folder / f"swarm-{seed}_birds.txt"
        if not (video.is_file() and gt.is_file() and birds.is_file()):
            render_swarm_clip(folder, seed=seed, frames=frames)
        to_rows = lambda p: read_mot(p)[:, :6] - np.array([1, 0, 0, 0, 0, 0])  # noqa: E731, 0-based frames
        clips.append(Clip(f"swarm-{seed}", "synthetic", video, to_rows(gt), frames, to_rows(birds)))
    return clips


def noisy_gt_detections(clip: Clip, seed: int) -> np.ndarray:
    """Detections derived from the ground truth with a detector's faults, seeded (for judging trackers alone).

    Per target box: missed with p 0.1 (0.25 under 5 px); centre jittered by N(0, 0.3 + 0.1 * size) px and size by
    x exp(N(0, 0.1)); score U(0.3, 0.95), or U(0.1, 0.25) with p 0.2 (these only reach ByteTrack's second stage).
    False positives: each bird box with p 0.3 (score U(0.1, 0.5)); Poisson(1) specks of 3-8 px a frame anywhere
    (score U(0.05, 0.35)).

    Returns:
        (np.ndarray): (D, 7) rows frame, x0, y0, x1, y1, conf, cls (cls 0 for targets, 1 for birds and specks).
    """
    rng = np.random.default_rng([seed, 11, *map(ord, clip.name)])
    out = []
    height, width = next(frames_of(clip.video, 1))[1].shape[:2]
    for f in range(clip.frames):
        for _, _, x, y, w, h in clip.gt[clip.gt[:, 0] == f]:
            size = np.sqrt(w * h)
            if rng.random() < (0.25 if size < 5 else 0.1):
                continue
            cx, cy = np.array([x + w / 2, y + h / 2]) + rng.normal(0, 0.3 + 0.1 * size, 2)
            w, h = np.array([w, h]) * np.exp(rng.normal(0, 0.1, 2))
            conf = rng.uniform(0.1, 0.25) if rng.random() < 0.2 else rng.uniform(0.3, 0.95)
            out.append((f, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, conf, 0))
        birds = clip.distractors[clip.distractors[:, 0] == f] if clip.distractors is not None else []
        for _, _, x, y, w, h in birds:
            if rng.random() < 0.3:
                out.append((f, x, y, x + w, y + h, rng.uniform(0.1, 0.5), 1))
        for _ in range(rng.poisson(1.0)):
            s = rng.uniform(3, 8)
            x, y = rng.uniform(0, width - s), rng.uniform(0, height - s)
            out.append((f, x, y, x + s, y + s, rng.uniform(0.05, 0.35), 1))
    dets = np.asarray(out, float).reshape(-1, 7)
    dets[:, [1, 3]] = dets[:, [1, 3]].clip(0, width)
    dets[:, [2, 4]] = dets[:, [2, 4]].clip(0, height)
    return dets


def model_detections(
    clip: Clip, source: str, imgsz: int, refresh: bool = False, cache: Path = CACHE
) -> tuple[np.ndarray, np.ndarray]:
    """A released model's detections on every frame of a clip, and seconds per frame (decode + inference), cached.

    Returns:
        (tuple[np.ndarray, np.ndarray]): (D, 7) rows frame, x0, y0, x1, y1, conf, cls; (frames,) seconds.
    """
    from srtod_yolo.weights import resolve_weights

    weights = resolve_weights(MODELS[source]) or MODELS[source]  # a released bare name, or a path
    digest = hashlib.sha256(Path(weights).read_bytes()).hexdigest()[:10]  # new weights under a name: new detections
    path = cache / "detections" / f"{clip.name}-f{clip.frames}-{source}-{imgsz}-{digest}.npz"
    if path.is_file() and not refresh:
        cached = np.load(path)
        return cached["detections"], cached["seconds"]
    from ultralytics import YOLO

    model = YOLO(weights)
    rows, seconds = [], []
    blank = np.zeros((imgsz, imgsz, 3), np.uint8)  # a warm-up frame at imgsz: no enlarge/shrink warning for it
    model.predict(blank, imgsz=imgsz, verbose=False, device="cpu")
    start = time.perf_counter()
    for f, frame in frames_of(clip.video, clip.frames):
        boxes = model.predict(frame, imgsz=imgsz, conf=CONF, verbose=False, device="cpu")[0].boxes
        data = boxes.data.cpu().numpy()
        rows += [(f, *r) for r in data]
        end = time.perf_counter()
        seconds.append(end - start)
        start = end
    detections, seconds = np.asarray(rows, float).reshape(-1, 7), np.asarray(seconds)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, detections=detections, seconds=seconds)
    return detections, seconds
