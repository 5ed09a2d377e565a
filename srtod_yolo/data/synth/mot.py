"""Synthetic swarm clips with ground-truth identities (MOTChallenge format), for scoring trackers.

Each clip is one procedural scene (`scene.render_scene`) with drones that enter and leave through the frame's
edges, pairs of drones on crossing courses, drones that blink out for up to about a second (too faint for the
sensor: drawn nowhere, labelled nowhere), and birds flying through as unlabelled distractors. Everything is drawn
from `numpy.random.default_rng([seed, 7])`: a seed gives the same clip on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .objects import _tight_box, bird, composite, drone, sample_drone_size
from .scene import finish, render_scene

__all__ = ("SwarmClip", "render_swarm_clip")


@dataclass
class SwarmClip:
    """Paths and counts of a rendered clip.

    Attributes:
        video (Path): The MP4 (mp4v) clip.
        gt (Path): MOTChallenge ground truth, rows `frame,id,x,y,w,h,1,1,1` (1-based frame and id; pixels).
        distractors (Path): The birds' boxes per frame in the same layout (id: bird number), not targets.
        frames (int): Frames in the clip.
        drones (int): Drone identities in the ground truth.
        kind (str): Scene kind (e.g. 'thermal').
    """

    video: Path
    gt: Path
    distractors: Path
    frames: int
    drones: int
    kind: str


def _trajectories(rng: np.random.Generator, n: int, frames: int, width: int, height: int, sky: int) -> list[dict]:
    """Per drone: start frame, start position, velocity (px/frame), wobble, size, growth, blink-out window."""
    out = []
    for _ in range(n):
        speed = rng.uniform(1.0, 6.0)
        heading = rng.uniform(0, 2 * np.pi)
        velocity = speed * np.array([np.cos(heading), 0.5 * np.sin(heading)])
        role = rng.choice(["inside", "enters", "crosses"], p=[0.4, 0.35, 0.25])
        start = 0
        if role == "enters":  # from outside the edge it flies away from, at a random time
            start = int(rng.integers(0, max(frames // 2, 1)))
            x = -8.0 if velocity[0] > 0 else width + 8.0
            position = np.array([x, rng.uniform(0.05, 0.9) * sky])
        else:
            position = np.array([rng.uniform(0.05, 0.95) * width, rng.uniform(0.05, 0.9) * sky])
        if role == "crosses" and out:  # aim at where an earlier drone will be, at some frame of the clip
            other = out[int(rng.integers(len(out)))]
            t = int(rng.integers(frames // 4, max(frames * 3 // 4, frames // 4 + 1)))
            meet = other["position"] + other["velocity"] * (t - other["start"])
            position = meet - velocity * t
        gap = None
        if rng.random() < 0.3:  # blinks out for 5 to 30 frames (up to 1 s at 30 fps)
            g0 = int(rng.integers(start, max(frames - 5, start + 1)))
            gap = (g0, g0 + int(rng.integers(5, 31)))
        out.append(
            {
                "start": start,
                "position": position,
                "velocity": velocity,
                "phase": rng.uniform(0, 2 * np.pi),
                "wobble": rng.uniform(0, 2.0),
                "size": sample_drone_size(rng),
                "growth": rng.uniform(-0.005, 0.01),
                "seed": int(rng.integers(0, 2**31)),
                "gap": gap,
            }
        )
    return out


def render_swarm_clip(
    folder: str | Path,
    seed: int = 0,
    frames: int = 150,
    width: int = 640,
    height: int = 512,
    drones: tuple[int, int] = (10, 25),
    birds: tuple[int, int] = (1, 5),
    fps: float = 30.0,
) -> SwarmClip:
    """Render `folder/swarm-<seed>.mp4` with its MOT ground truth `swarm-<seed>_gt.txt` and bird boxes.

    Args:
        folder (str | Path): Output folder (created).
        seed (int): Clip seed.
        frames (int): Number of frames (at least 2).
        width (int): Frame width in pixels (at least 64).
        height (int): Frame height in pixels (at least 64).
        drones (tuple[int, int]): Range [lo, hi) of the number of drones over the whole clip.
        birds (tuple[int, int]): Range [lo, hi) of the number of birds flying through.
        fps (float): Frame rate written in the file.

    Returns:
        (SwarmClip): The paths and counts.

    Raises:
        ValueError: On too few frames or too small a frame.
        OSError: If OpenCV cannot write the video.
    """
    if frames < 2 or width < 64 or height < 64:
        raise ValueError(f"a swarm clip needs >= 2 frames of >= 64x64 px, got {frames} frames of {width}x{height}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 7])
    scene = render_scene(rng, width, height)
    sky = max(scene.horizon, int(0.5 * height))
    tracks = _trajectories(rng, int(rng.integers(*drones)), frames, width, height, sky)
    flock = [
        (
            np.array([rng.uniform(0, width), rng.uniform(0.05, 0.8) * sky]),
            rng.uniform(-4, 4, 2) * np.array([1, 0.3]),
            int(rng.integers(0, 2**31)),
        )
        for _ in range(int(rng.integers(*birds)))
    ]
    name = f"swarm-{seed}"
    video = folder / f"{name}.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write the video '{video}' (mp4v)")
    gt_rows, bird_rows = [], []
    try:
        for t in range(frames):
            image = scene.image.copy()
            for b, (position, velocity, bird_seed) in enumerate(flock):  # a new wing pose every few frames: flapping
                sprite = bird(np.random.default_rng([bird_seed, t // 3]), scene.kind)
                sprite.box = _tight_box(sprite.alpha)  # unlabelled, but its box is where a detector may fire
                x, y = position + velocity * t
                box = composite(image, sprite, int(x), int(y))
                if box is not None:
                    bird_rows.append((t + 1, b + 1, box[0], box[1], box[2] - box[0], box[3] - box[1]))
            for k, d in enumerate(tracks):
                if t < d["start"] or (d["gap"] and d["gap"][0] <= t < d["gap"][1]):
                    continue
                age = t - d["start"]
                x, y = d["position"] + d["velocity"] * age + d["wobble"] * np.sin(age / 6 + d["phase"])
                size = max(2.0, d["size"] * (1 + d["growth"]) ** age)
                sprite = drone(np.random.default_rng(d["seed"]), size, scene.kind, (x % 1, y % 1))
                if sprite.box is None:
                    continue
                ph, pw = sprite.alpha.shape
                box = composite(image, sprite, int(x) - pw // 2, int(y) - ph // 2)
                if box is not None:
                    gt_rows.append((t + 1, k + 1, box[0], box[1], box[2] - box[0], box[3] - box[1]))
            frame, _ = finish(np.random.default_rng([seed, 8, t]), image, scene.kind)
            writer.write(frame)
    finally:
        writer.release()
    gt = folder / f"{name}_gt.txt"
    gt.write_text("".join(f"{f},{i},{x},{y},{w},{h},1,1,1\n" for f, i, x, y, w, h in gt_rows))
    distractors = folder / f"{name}_birds.txt"
    distractors.write_text("".join(f"{f},{i},{x},{y},{w},{h},1,-1,-1\n" for f, i, x, y, w, h in bird_rows))
    return SwarmClip(video, gt, distractors, frames, len({r[1] for r in gt_rows}), scene.kind)
