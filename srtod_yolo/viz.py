"""Pictures of what SR-TOD sees: the difference map as a heat map over the frame, the mask as outlines."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ("difference_overlay", "side_by_side")


def difference_overlay(
    frame: np.ndarray, difference: np.ndarray, threshold: float, alpha: float = 0.85, label: bool = True
) -> np.ndarray:
    """Blend the difference map over a frame as a heat map and outline where it passes the threshold.

    The colour scale is fixed, 0 to 2t (t sits in the middle, green in TURBO), so videos do not flicker the way a
    per-frame min-max scale would.

    Args:
        frame (np.ndarray): BGR image (H, W, 3) uint8.
        difference (np.ndarray): Difference map (H, W) float, in the units of the network input ([0, 1]).
        threshold (float): The SR-TOD threshold t.
        alpha (float): Weight of the heat map where D >= 2t; lower D blends in proportionally less.
        label (bool): Write the scale in the corner.

    Returns:
        (np.ndarray): BGR image (H, W, 3) uint8.

    Example:
        >>> difference_overlay(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8)), 0.1, label=False).shape
        (8, 8, 3)
    """
    if difference.shape[:2] != frame.shape[:2]:
        raise ValueError(f"difference map {difference.shape[:2]} and frame {frame.shape[:2]} differ in size")
    scale = max(2 * float(threshold), 1e-6)
    level = np.clip(difference.astype(np.float32) / scale * 255, 0, 255).astype(np.uint8)
    heat = cv2.applyColorMap(level, cv2.COLORMAP_TURBO).astype(np.float32)
    # Colour in proportion to D: where the reconstruction is good the frame shows through.
    weight = (alpha * level.astype(np.float32) / 255)[..., None]
    out = (frame.astype(np.float32) * (1 - weight) + heat * weight).round().astype(np.uint8)
    mask = (difference > threshold).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, (255, 255, 255), 1)
    if label:
        text = f"SR-TOD difference map, 0..{scale:.3f}; outline: D > t = {threshold:.3f} ({threshold * 255:.0f}/255)"
        size = max(0.35, min(frame.shape[:2]) / 1200)
        cv2.putText(
            out, text, (6, int(22 * size / 0.5)), cv2.FONT_HERSHEY_SIMPLEX, size, (255, 255, 255), 1, cv2.LINE_AA
        )
    return out


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Put two images of one height next to each other, separated by a 2-px grey bar."""
    if left.shape[0] != right.shape[0]:
        right = cv2.resize(right, (round(right.shape[1] * left.shape[0] / right.shape[0]), left.shape[0]))
    bar = np.full((left.shape[0], 2, 3), 128, np.uint8)
    return np.concatenate([left, bar, right], axis=1)
