"""Procedural skies for the synthetic anti-UAV set: gradients, clouds, glare, horizon clutter, sensor effects.

Everything takes a `numpy.random.Generator` and draws from it in a fixed order, so a seed fixes the bytes.
Images are float32 BGR in [0, 255] until `finish()` quantises them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ("KINDS", "Scene", "finish", "render_scene")

# Scene kinds and how often they occur.
KINDS = {"day": 0.4, "overcast": 0.2, "dusk": 0.2, "thermal": 0.2}


@dataclass
class Scene:
    """A rendered background and what the objects drawn on it need to know."""

    image: np.ndarray  # (H, W, 3) float32 BGR in [0, 255]
    kind: str  # one of KINDS
    horizon: int  # first row of ground clutter (H when the frame is all sky)
    ground: np.ndarray  # (H, W) bool, True where clutter (trees, buildings) covers the sky


def _fractal_noise(rng: np.random.Generator, h: int, w: int, octaves: int = 5, base: int = 3) -> np.ndarray:
    """Smooth noise in [0, 1] (H, W): random grids of growing resolution, upsampled and summed."""
    total = np.zeros((h, w), np.float32)
    weight_sum = 0.0
    for o in range(octaves):
        cells = base * 2**o
        grid = rng.random((cells, max(2, int(cells * w / h))), dtype=np.float32)
        total += cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC) * 0.55**o
        weight_sum += 0.55**o
    total /= weight_sum
    lo, hi = total.min(), total.max()
    return (total - lo) / max(hi - lo, 1e-6)


def _palette(rng: np.random.Generator, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zenith, horizon and cloud colours (BGR) for a scene kind."""
    u = rng.uniform
    if kind == "day":
        zenith = [u(190, 255), u(130, 190), u(50, 120)]
        horizon = [u(225, 255), u(210, 240), u(180, 225)]
        cloud = [u(235, 255)] * 3
    elif kind == "overcast":
        g = u(150, 205)
        zenith = [g + u(0, 15), g + u(0, 8), g]
        horizon = [min(g + u(20, 45), 250)] * 3
        cloud = [min(g + u(15, 40), 250)] * 3
    elif kind == "dusk":
        zenith = [u(90, 150), u(45, 85), u(35, 75)]
        horizon = [u(50, 120), u(120, 185), u(210, 255)]
        cloud = [u(90, 150), u(100, 160), u(170, 235)]
    else:  # thermal: cold sky dark, warmer near the horizon, grey levels only
        z, h = u(15, 70), u(70, 125)
        zenith, horizon, cloud = [z] * 3, [h] * 3, [u(h - 10, h + 30)] * 3
    return (np.asarray(c, np.float32) for c in (zenith, horizon, cloud))


def _sky(rng: np.random.Generator, kind: str, h: int, w: int) -> np.ndarray:
    zenith, horizon, cloud = _palette(rng, kind)
    t = (np.linspace(0, 1, h, dtype=np.float32) ** rng.uniform(0.6, 1.8))[:, None, None]
    image = np.broadcast_to(zenith * (1 - t) + horizon * t, (h, w, 3)).copy()
    coverage = rng.uniform(0.0, 0.75) if kind != "overcast" else rng.uniform(0.4, 1.0)
    if coverage > 0.05:
        noise = _fractal_noise(rng, h, w)
        alpha = np.clip((noise - (1 - coverage)) / max(coverage, 1e-3) * rng.uniform(1.2, 3.0), 0, 1)
        shade = (1 - 0.25 * _fractal_noise(rng, h, w, octaves=3, base=4))[..., None]  # darker cloud bases
        image += alpha[..., None] * (cloud * shade - image)
    if kind in {"day", "dusk"} and rng.random() < 0.25:  # sun glare, possibly from just outside the frame
        cx, cy = rng.uniform(-0.2, 1.2) * w, rng.uniform(-0.2, 0.6) * h
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = (xx - cx) ** 2 + (yy - cy) ** 2
        sigma = rng.uniform(0.08, 0.3) * max(h, w)
        image += (np.exp(-r2 / (2 * sigma**2)) * rng.uniform(60, 160))[..., None]
        angle = rng.uniform(0, np.pi)
        d = np.abs((xx - cx) * np.sin(angle) - (yy - cy) * np.cos(angle))  # a faint lens streak through the sun
        image += (np.exp(-d / 2.0) * np.exp(-np.sqrt(r2) / (0.6 * max(h, w))) * rng.uniform(10, 40))[..., None]
    return image


def _clutter(rng: np.random.Generator, kind: str, image: np.ndarray) -> tuple[int, np.ndarray]:
    """Draw a tree line and buildings below a horizon, and wires across the sky; return horizon row and mask."""
    h, w = image.shape[:2]
    ground = np.zeros((h, w), np.uint8)
    if rng.random() < 0.3:  # all sky, looking up
        horizon = h
    else:
        horizon = int(h * rng.uniform(0.6, 0.95))
        xs = np.arange(w, dtype=np.float32)
        profile = np.full(w, float(horizon), np.float32)
        for _ in range(int(rng.integers(20, 90))):  # tree crowns: many small overlapping bumps
            cx, width, height = rng.uniform(0, w), rng.uniform(3, 22), rng.uniform(3, 0.07 * h)
            profile = np.minimum(profile, horizon - height * np.exp(-(((xs - cx) / width) ** 2)))
        profile += rng.normal(0, 1.2, w).astype(np.float32)  # ragged leaf edge
        for _ in range(int(rng.integers(0, 4))):  # buildings: flat tops, maybe an antenna
            x0 = int(rng.uniform(0, w))
            bw, bh = int(rng.uniform(15, 90)), rng.uniform(0.03, 0.15) * h
            profile[x0 : x0 + bw] = np.minimum(profile[x0 : x0 + bw], horizon - bh)
            if rng.random() < 0.4:
                ax = min(x0 + bw // 2, w - 1)
                top = int(horizon - bh - rng.uniform(10, 40))
                cv2.line(ground, (ax, max(top, 0)), (ax, int(horizon - bh)), 1, 1)
        rows = np.arange(h, dtype=np.float32)[:, None]
        ground |= (rows >= profile[None, :]).astype(np.uint8)
        if kind == "thermal":
            color = np.full(3, rng.uniform(90, 170), np.float32)  # trees and walls are warmer than the sky
        else:
            color = np.asarray([rng.uniform(10, 60), rng.uniform(20, 70), rng.uniform(10, 50)], np.float32)
        texture = 1 + 0.35 * (_fractal_noise(rng, h, w, octaves=3, base=12)[..., None] - 0.5)
        image[ground.astype(bool)] = (color * texture)[ground.astype(bool)]
    for _ in range(int(rng.choice([0, 0, 1, 2, 3]))):  # power lines sag across the frame
        y0, y1 = rng.uniform(0.05, 0.9, 2) * h
        sag = rng.uniform(5, 40)
        xs = np.linspace(0, w - 1, 64)
        ys = y0 + (y1 - y0) * xs / (w - 1) + sag * (1 - ((2 * xs / (w - 1)) - 1) ** 2)
        points = np.stack([xs, ys], 1).round().astype(np.int32)
        shade = rng.uniform(20, 70) if kind != "thermal" else rng.uniform(100, 150)
        cv2.polylines(image, [points], False, (shade, shade, shade), 1, cv2.LINE_AA)
    return horizon, ground.astype(bool)


def render_scene(rng: np.random.Generator, width: int, height: int, kind: str | None = None) -> Scene:
    """Render an empty scene of a random (or given) kind."""
    if kind is None:
        kind = str(rng.choice(list(KINDS), p=list(KINDS.values())))
    image = _sky(rng, kind, height, width)
    horizon, ground = _clutter(rng, kind, image)
    return Scene(image=image, kind=kind, horizon=horizon, ground=ground)


def finish(rng: np.random.Generator, image: np.ndarray, kind: str) -> tuple[np.ndarray, int]:
    """Sensor noise and vignetting, quantised to uint8; returns the image and a JPEG quality for its artefacts."""
    h, w = image.shape[:2]
    sigma = rng.uniform(0.5, 5.0) if kind != "thermal" else rng.uniform(2.0, 7.0)
    noisy = image + rng.normal(0, sigma, (h, w, 1) if kind == "thermal" else (h, w, 3)).astype(np.float32)
    if kind == "thermal" and rng.random() < 0.5:  # fixed-pattern column noise of microbolometers
        noisy += rng.normal(0, sigma * 0.5, (1, w, 1)).astype(np.float32)
    yy, xx = np.ogrid[0:h, 0:w]
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    noisy *= (1 - rng.uniform(0, 0.15) * r2 / 2)[..., None].astype(np.float32)
    out = np.clip(noisy, 0, 255).astype(np.uint8)
    if kind == "thermal":
        out[..., 1] = out[..., 2] = out[..., 0]  # a grey frame in three identical channels
    return out, int(rng.integers(55, 96))
