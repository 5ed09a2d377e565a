"""High-bit-depth frames (radiometric thermal cameras write 16-bit PNG/TIFF): detect them, bring them to 8 bits.

OpenCV and ultralytics read a 16-bit image as 8-bit by keeping its high byte. A thermal frame whose raw counts span,
say, 7,000 to 8,000 then becomes a flat image of grey level 27 to 31, and a drone a few counts warmer than the sky
vanishes without any warning. srtod-yolo refuses such files with a message, and `to_8bit` converts them the way
thermal cameras do for display: a per-frame percentile stretch (automatic gain control).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ("HighBitDepthError", "bit_depth", "check_8bit", "to_8bit")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PIL_DEPTH = {"I;16": 16, "I;16B": 16, "I;16L": 16, "I;16N": 16, "I": 32, "F": 32}


class HighBitDepthError(ValueError):
    """An image has more than 8 bits per channel, which ultralytics would silently cut to its high byte."""


def bit_depth(path: str | Path) -> int:
    """Bits per channel of an image file, read from its header (8 for ordinary images; 8 if the format is unknown)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(26)
    if head.startswith(_PNG_SIGNATURE) and len(head) >= 25:
        return head[24]  # IHDR bit depth: 1, 2, 4, 8 or 16
    if path.suffix.lower() in {".tif", ".tiff", ".pgm", ".ppm", ".pnm"}:
        from PIL import Image

        try:
            with Image.open(path) as im:
                return _PIL_DEPTH.get(im.mode, 8)
        except OSError:
            return 8  # unreadable: the loader reports it as a corrupt image
    return 8


def check_8bit(path: str | Path) -> None:
    """Raise `HighBitDepthError` naming the file and the fix if an image has more than 8 bits per channel."""
    depth = bit_depth(path)
    if depth > 8:
        raise HighBitDepthError(
            f"'{path}' is a {depth}-bit image (a radiometric thermal frame?). ultralytics reads it as 8-bit by keeping "
            "only the high byte, which flattens a thermal frame and hides tiny targets. Convert it first, e.g. "
            "`srtod_yolo.data.images.to_8bit(cv2.imread(path, cv2.IMREAD_UNCHANGED))` (a per-frame percentile "
            "stretch, as thermal cameras do for display), and save the result as an 8-bit PNG."
        )


def to_8bit(image: np.ndarray, low: float = 0.5, high: float = 99.5, channels: int = 3) -> np.ndarray:
    """Stretch a high-bit-depth frame to uint8 between two percentiles of its values (automatic gain control).

    Args:
        image (np.ndarray): Frame (H, W) or (H, W, C) of any numeric dtype, e.g. uint16 raw thermal counts.
        low (float): Percentile mapped to 0.
        high (float): Percentile mapped to 255.
        channels (int): Channels of the result: 3 (a grey frame in three identical channels, what an RGB model
            takes) or 1.

    Returns:
        (np.ndarray): uint8 frame (H, W, channels).

    Example:
        >>> raw = np.array([[7000, 7500], [7600, 8000]], np.uint16)
        >>> to_8bit(raw, 0, 100)[..., 0].tolist()
        [[0, 128], [153, 255]]
    """
    if not 0 <= low < high <= 100:
        raise ValueError(f"to_8bit needs 0 <= low < high <= 100 percentiles, got {low}, {high}")
    if channels not in (1, 3):
        raise ValueError(f"to_8bit makes 1- or 3-channel frames, got channels={channels}")
    frame = np.asarray(image, np.float64)
    if frame.ndim == 3 and frame.shape[2] > 1:
        frame = frame.mean(2)  # thermal sensors have one band; a multi-band frame becomes its mean intensity
    frame = frame.reshape(frame.shape[:2])
    lo, hi = np.percentile(frame, [low, high])
    scaled = np.clip((frame - lo) / max(hi - lo, 1e-12) * 255, 0, 255)
    out = np.round(scaled).astype(np.uint8)[..., None]
    return np.repeat(out, channels, axis=2)
