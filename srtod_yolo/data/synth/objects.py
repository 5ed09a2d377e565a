"""Sprites for the synthetic anti-UAV set: quadcopters and fixed-wing drones (labelled), birds, insects, specks.

A sprite is drawn 4x oversampled and reduced with area averaging, so a 3-px drone is an anti-aliased smudge with
the right coverage, not a hard square. Motion blur smears it along a random direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ("DRONE_SIZE_PROFILE", "Sprite", "bird", "composite", "drone", "insect", "sample_drone_size")

OVERSAMPLE = 4
# Drone span in pixels: log-normal, tuned so the labelled boxes follow DroneSwarms' profile (mean box size near
# 8 px, most under 16 px, many under 8 px); clipped to [2, 48].
DRONE_SIZE_PROFILE = {"median": 6.5, "sigma": 0.5, "min": 2.0, "max": 48.0}


@dataclass
class Sprite:
    """An object to paste: coverage alpha (h, w) in [0, 1], a BGR colour, and its tight box inside the patch."""

    alpha: np.ndarray
    color: np.ndarray
    box: tuple[int, int, int, int] | None  # x0, y0, x1, y1 (exclusive) in patch pixels; None: too faint to label


def sample_drone_size(rng: np.random.Generator) -> float:
    """Draw a drone span in pixels from `DRONE_SIZE_PROFILE`."""
    p = DRONE_SIZE_PROFILE
    return float(np.clip(rng.lognormal(np.log(p["median"]), p["sigma"]), p["min"], p["max"]))


def _canvas(size: float) -> tuple[np.ndarray, float]:
    side = int(np.ceil(size * 1.3 + 6)) * OVERSAMPLE
    return np.zeros((side, side), np.uint8), side / 2


def _transform(points: np.ndarray, yaw: float, tilt: float, center: float, scale: float) -> np.ndarray:
    """Rotate unit-frame points by yaw, squash by the viewing tilt, scale and centre them (oversampled pixels)."""
    c, s = np.cos(yaw), np.sin(yaw)
    xy = points @ np.array([[c, s], [-s, c]], np.float32)
    xy[:, 1] *= tilt
    return xy * scale * OVERSAMPLE + center


def _reduce(canvas: np.ndarray, blur: float, angle: float) -> np.ndarray:
    """Area-average the oversampled canvas to pixels, then apply motion blur of `blur` px along `angle`."""
    side = canvas.shape[0] // OVERSAMPLE
    alpha = cv2.resize(canvas.astype(np.float32) / 255, (side, side), interpolation=cv2.INTER_AREA)
    if blur >= 1:
        k = int(np.ceil(blur)) * 2 + 1
        kernel = np.zeros((k, k), np.float32)
        d = np.array([np.cos(angle), np.sin(angle)]) * blur / 2
        cv2.line(kernel, tuple((k // 2 - d).round().astype(int)), tuple((k // 2 + d).round().astype(int)), 1.0, 1)
        alpha = cv2.filter2D(alpha, -1, kernel / kernel.sum())
    return alpha


def _tight_box(alpha: np.ndarray, level: float = 0.2) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(alpha > level * max(float(alpha.max()), 1e-6))
    if len(xs) == 0 or alpha.max() < 0.05:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def drone(rng: np.random.Generator, size: float, kind: str, offset: tuple[float, float] = (0.0, 0.0)) -> Sprite:
    """A quadcopter (60 %) or fixed-wing drone of span `size` px, seen from below, in a colour fitting `kind`.

    `offset` (dx, dy) in [0, 1) shifts the drawing by a fraction of a pixel, for smooth motion in videos.
    """
    canvas, center = _canvas(size)
    center = np.array([center + offset[0] * OVERSAMPLE, center + offset[1] * OVERSAMPLE], np.float32)
    yaw, tilt = rng.uniform(0, 2 * np.pi), rng.uniform(0.35, 1.0)
    line = max(1, round(0.09 * size * OVERSAMPLE))
    if rng.random() < 0.6:  # quad: body, X arms, four rotor discs
        arms = np.array([[0.5, 0.5], [-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5]], np.float32) * 0.72
        ends = _transform(arms, yaw, tilt, center, size)
        body = tuple(center.round().astype(int))
        for a, b in ((0, 1), (2, 3)):
            cv2.line(canvas, tuple(ends[a].round().astype(int)), tuple(ends[b].round().astype(int)), 255, line)
        cv2.ellipse(
            canvas, body, (round(0.16 * size * OVERSAMPLE), round(0.16 * size * tilt * OVERSAMPLE)), 0, 0, 360, 255, -1
        )
        rotor = (round(0.2 * size * OVERSAMPLE), max(1, round(0.2 * size * tilt * OVERSAMPLE)))
        for end in ends:
            cv2.ellipse(canvas, tuple(end.round().astype(int)), rotor, 0, 0, 360, 150, -1)  # spinning: half opaque
    else:  # fixed wing: fuselage, wing, tailplane
        parts = [
            (np.array([[0.5, 0], [-0.5, 0]], np.float32), 1.0),
            (np.array([[0.12, -0.48], [0.12, 0.48]], np.float32), 1.4),
            (np.array([[-0.45, -0.17], [-0.45, 0.17]], np.float32), 0.8),
        ]
        for points, width in parts:
            p = _transform(points, yaw, tilt, center, size).round().astype(int)
            cv2.line(canvas, tuple(p[0]), tuple(p[1]), 255, max(1, round(line * width)))
    blur = rng.uniform(1, 4) if rng.random() < 0.4 else 0.0
    alpha = _reduce(canvas, blur, rng.uniform(0, np.pi)) * rng.uniform(0.6, 1.0)  # haze lowers contrast
    if kind == "thermal":
        color = np.full(3, rng.uniform(150, 255), np.float32)  # motors and batteries are hot
    elif kind == "day" and rng.random() < 0.2:
        color = np.full(3, rng.uniform(190, 240), np.float32)  # a white airframe
    else:
        color = np.full(3, rng.uniform(5, 80 if kind != "dusk" else 40), np.float32)
    return Sprite(alpha=alpha, color=color, box=_tight_box(alpha))


def bird(rng: np.random.Generator, kind: str) -> Sprite:
    """An unlabelled bird: two curved wings in a flat 'M', 4 to 20 px across."""
    size = rng.uniform(4, 20)
    canvas, center = _canvas(size)
    flap = rng.uniform(-0.35, 0.35)
    wing = np.array([[-0.5, flap], [-0.25, -0.1], [0, 0.05], [0.25, -0.1], [0.5, flap]], np.float32)
    p = _transform(wing, rng.uniform(-0.4, 0.4), 1.0, center, size).round().astype(np.int32)
    cv2.polylines(canvas, [p], False, 255, max(1, round(0.12 * size * OVERSAMPLE)))
    alpha = _reduce(canvas, 0.0, 0.0) * rng.uniform(0.6, 1.0)
    shade = rng.uniform(110, 200) if kind == "thermal" else rng.uniform(10, 70)
    return Sprite(alpha=alpha, color=np.full(3, shade, np.float32), box=None)


def insect(rng: np.random.Generator, kind: str) -> Sprite:
    """An unlabelled out-of-focus insect close to the lens: a large, faint, blurred blob."""
    size = rng.uniform(8, 36)
    canvas, center = _canvas(size)
    cv2.ellipse(
        canvas,
        (round(center), round(center)),
        (round(size * 0.3 * OVERSAMPLE), round(size * 0.18 * OVERSAMPLE)),
        rng.uniform(0, 180),
        0,
        360,
        255,
        -1,
    )
    alpha = cv2.GaussianBlur(_reduce(canvas, 0.0, 0.0), (0, 0), size / 6) * rng.uniform(0.2, 0.5)
    shade = rng.uniform(60, 140) if kind == "thermal" else rng.uniform(10, 60)
    return Sprite(alpha=alpha, color=np.full(3, shade, np.float32), box=None)


def composite(image: np.ndarray, sprite: Sprite, x: int, y: int) -> tuple[int, int, int, int] | None:
    """Paste a sprite with its top-left corner at (x, y) (clipped to the image); return its box in the image."""
    h, w = image.shape[:2]
    ph, pw = sprite.alpha.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + pw, w), min(y + ph, h)
    if x0 >= x1 or y0 >= y1:
        return None
    a = sprite.alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    region = image[y0:y1, x0:x1]
    region += a * (sprite.color - region)
    if sprite.box is None:
        return None
    bx0, by0, bx1, by1 = sprite.box
    box = max(x + bx0, 0), max(y + by0, 0), min(x + bx1, w), min(y + by1, h)
    return box if box[2] > box[0] and box[3] > box[1] else None
