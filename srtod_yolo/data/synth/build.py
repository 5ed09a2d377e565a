"""Build the synthetic anti-UAV dataset (YOLO format) and render swarm videos with per-frame labels.

Seeded and procedural: image `i` of split `s` draws from `numpy.random.default_rng([seed, s, i])`, so a seed
gives the same bytes on every run, in any order, with any number of worker processes.
"""

from __future__ import annotations

import csv
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from ...sizes import size_histogram, size_stats
from .objects import bird, composite, drone, insect, sample_drone_size
from .scene import finish, render_scene

__all__ = ("build_dataset", "render_image", "render_video")

SPLITS = {"train": 0, "val": 1, "test": 2}
NAMES = {0: "drone"}


def _overlaps(box: tuple[int, int, int, int], boxes: list[tuple[int, int, int, int]], margin: int = 1) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] + margin and b[0] < x1 + margin and y0 < b[3] + margin and b[1] < y1 + margin for b in boxes)


def _distractors(rng: np.random.Generator, image: np.ndarray, kind: str, horizon: int) -> None:
    h, w = image.shape[:2]
    for _ in range(int(rng.choice([0, 0, 0, 1, 2, 3, 5]))):
        sprite = bird(rng, kind)
        composite(image, sprite, int(rng.uniform(0, w)), int(rng.uniform(0, max(horizon, 8) * 0.95)))
    for _ in range(int(rng.choice([0, 0, 0, 0, 1, 2]))):
        sprite = insect(rng, kind)
        composite(image, sprite, int(rng.uniform(-10, w)), int(rng.uniform(-10, h)))
    for _ in range(int(rng.integers(0, 15))):  # dust, dead pixels: one or two pixels
        y, x = int(rng.uniform(0, h - 2)), int(rng.uniform(0, w - 2))
        s = int(rng.integers(1, 3))
        image[y : y + s, x : x + s] += rng.uniform(0.3, 0.8) * (rng.choice([15.0, 240.0]) - image[y : y + s, x : x + s])


def render_image(rng: np.random.Generator, width: int = 640, height: int = 512) -> tuple[np.ndarray, list, str, int]:
    """Render one frame: a sky scene, distractors, and a swarm of drones (1 to 3 clusters, 3 to 40 drones).

    Returns:
        image (np.ndarray): BGR uint8 (height, width, 3).
        boxes (list[tuple[int, int, int, int]]): Pixel boxes x0, y0, x1, y1 (exclusive) of the drones.
        kind (str): Scene kind.
        quality (int): JPEG quality to store it with (the compression artefacts are part of the sample).
    """
    scene = render_scene(rng, width, height)
    image = scene.image
    _distractors(rng, image, scene.kind, scene.horizon)
    boxes: list[tuple[int, int, int, int]] = []
    if rng.random() >= 0.05:  # 5 % of frames are empty sky: negatives
        n = int(np.exp(rng.uniform(np.log(3), np.log(41))))
        sky = max(scene.horizon, int(0.3 * height))
        centers = np.stack([rng.uniform(0.1, 0.9, 3) * width, rng.uniform(0.08, 0.85, 3) * sky], 1)
        spread = rng.uniform(0.04, 0.25) * min(width, height)
        for _ in range(n):
            size = sample_drone_size(rng)
            sprite = drone(rng, size, scene.kind)
            if sprite.box is None:
                continue
            for _try in range(10):
                if rng.random() < 0.1:  # a straggler anywhere, perhaps in front of trees
                    x, y = rng.uniform(0, width), rng.uniform(0, height)
                else:
                    x, y = centers[int(rng.integers(len(centers)))] + rng.normal(0, spread, 2)
                ph, pw = sprite.alpha.shape
                x0, y0 = int(x - pw / 2), int(y - ph / 2)
                bx0, by0, bx1, by1 = sprite.box
                candidate = (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1)
                inside = candidate[0] >= 0 and candidate[1] >= 0 and candidate[2] <= width and candidate[3] <= height
                if inside and not _overlaps(candidate, boxes):
                    box = composite(image, sprite, x0, y0)
                    if box is not None:
                        boxes.append(box)
                    break
    out, quality = finish(rng, image, scene.kind)
    return out, boxes, scene.kind, quality


def _yolo_lines(boxes: list[tuple[int, int, int, int]], width: int, height: int) -> str:
    lines = [
        f"0 {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"
        for x0, y0, x1, y1 in boxes
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def _write_sample(job: tuple) -> tuple[str, list[tuple[int, int]], str]:
    """Render and write image `index` of `split`; return the split, its box sizes (w, h) and the scene kind."""
    root, split, index, seed, width, height = job
    rng = np.random.default_rng([seed, SPLITS[split], index])
    image, boxes, kind, quality = render_image(rng, width, height)
    name = f"{split}_{index:06d}"
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OSError(f"could not encode synthetic image {name}")
    (Path(root) / "images" / split / f"{name}.jpg").write_bytes(jpeg.tobytes())
    (Path(root) / "labels" / split / f"{name}.txt").write_text(_yolo_lines(boxes, width, height))
    return split, [(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes], kind


def _progress(iterable, total: int, desc: str):
    try:
        from ultralytics.utils import TQDM

        return TQDM(iterable, total=total, desc=desc)
    except ImportError:  # the generator itself needs only numpy and OpenCV
        return iterable


def build_dataset(
    root: str | Path,
    train: int = 1000,
    val: int = 200,
    seed: int = 0,
    width: int = 640,
    height: int = 512,
    workers: int | None = None,
    video_frames: int = 150,
) -> dict:
    """Write the synthetic anti-UAV set in YOLO format, with `stats.json`, a size histogram and a demo video.

    Layout: `root/images/{train,val}/*.jpg`, `root/labels/{train,val}/*.txt` (class 0 'drone'),
    `root/data.yaml`, `root/stats.json`, `root/size_histogram.png`, `root/videos/swarm.mp4` with
    `root/videos/swarm_labels.csv`.

    Args:
        root (str | Path): Output folder (created).
        train (int): Number of training images.
        val (int): Number of validation images.
        seed (int): Dataset seed; the same seed gives the same bytes.
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        workers (int | None): Worker processes (None: all CPU cores, at most 8; 0: in this process).
        video_frames (int): Frames of the demo video (0: no video).

    Returns:
        (dict): The statistics written to stats.json.
    """
    if train < 0 or val < 0 or width < 32 or height < 32:
        raise ValueError(
            f"synthetic set needs train, val >= 0 and an image of at least 32x32, got {train}, {val}, {width}x{height}"
        )
    root = Path(root)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
    jobs = [(str(root), s, i, seed, width, height) for s, n in (("train", train), ("val", val)) for i in range(n)]
    workers = min(os.cpu_count() or 1, 8) if workers is None else workers
    sizes: dict[str, list] = {"train": [], "val": []}
    kinds: dict[str, int] = {}
    if workers > 0 and len(jobs) > 16:
        with ProcessPoolExecutor(workers) as pool:
            results = pool.map(_write_sample, jobs, chunksize=16)
            outputs = list(_progress(results, len(jobs), f"Synthesising {len(jobs)} anti-UAV images"))
    else:
        outputs = [_write_sample(j) for j in _progress(jobs, len(jobs), f"Synthesising {len(jobs)} anti-UAV images")]
    for split, wh, kind in outputs:
        sizes[split].extend(wh)
        kinds[kind] = kinds.get(kind, 0) + 1
    stats = {
        "generator": "srtod_yolo.data.synth",
        "seed": seed,
        "image_size": [width, height],
        "images": {"train": train, "val": val},
        "scene_kinds": dict(sorted(kinds.items())),
        **{split: size_stats(np.asarray(wh, np.float32).reshape(-1, 2)) for split, wh in sizes.items()},
    }
    (root / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    (root / "data.yaml").write_text(
        # No 'path:' key: ultralytics then resolves the splits against this file's folder, wherever it moves.
        f"# Synthetic anti-UAV swarms (srtod synth, seed {seed}); see stats.json\ntrain: images/train\n"
        "val: images/val\nnames:\n  0: drone\n"
    )
    all_sizes = np.asarray(sizes["train"] + sizes["val"], np.float32).reshape(-1, 2)
    size_histogram(all_sizes, root / "size_histogram.png", title=f"Synthetic anti-UAV set (seed {seed})")
    if video_frames:
        render_video(root / "videos" / "swarm.mp4", seed=seed, frames=video_frames, width=width, height=height)
    return stats


def render_video(
    path: str | Path, seed: int = 0, frames: int = 150, fps: float = 30.0, width: int = 640, height: int = 512
) -> Path:
    """Render a clip of a swarm flying across one scene, with per-frame labels beside it.

    The labels go to `<stem>_labels.csv` with rows `frame,id,label,x,y,width,height`: 0-based frame index, a
    track id per drone, and the box in pixels from its top-left corner (the Halmstad CSV layout, plus an id).

    Returns:
        (Path): The video path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 99])
    scene = render_scene(rng, width, height)
    n = int(rng.integers(5, 25))
    sky = max(scene.horizon, int(0.4 * height))
    start = np.stack([rng.uniform(0.1, 0.9, n) * width, rng.uniform(0.1, 0.8, n) * sky], 1)
    heading = rng.uniform(0, 2 * np.pi)
    velocity = np.stack([np.cos(heading), np.sin(heading) * 0.3], 0) * rng.uniform(0.5, 2.5) + rng.normal(
        0, 0.3, (n, 2)
    )
    sizes = np.array([sample_drone_size(rng) for _ in range(n)])
    growth = rng.uniform(-0.01, 0.02, n)  # approaching or leaving
    drone_seeds = rng.integers(0, 2**31, n)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write the video '{path}' (mp4v)")
    rows = []
    try:
        for t in range(frames):
            image = scene.image.copy()
            frame_rng = np.random.default_rng([seed, 100, t])
            for k in range(n):
                x, y = start[k] + velocity[k] * t + 1.5 * np.sin(t / 7 + k)
                size = max(2.0, sizes[k] * (1 + growth[k]) ** t)
                sprite = drone(np.random.default_rng(drone_seeds[k]), size, scene.kind, (x % 1, y % 1))
                if sprite.box is None:
                    continue
                ph, pw = sprite.alpha.shape
                box = composite(image, sprite, int(x) - pw // 2, int(y) - ph // 2)
                if box is not None:
                    rows.append((t, k, "DRONE", box[0], box[1], box[2] - box[0], box[3] - box[1]))
            frame, _ = finish(frame_rng, image, scene.kind)
            writer.write(frame)
    finally:
        writer.release()
    with open(path.with_name(f"{path.stem}_labels.csv"), "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["frame", "id", "label", "x", "y", "width", "height"])
        out.writerows(rows)
    return path
