"""AI-TOD's object-size bins, shared by the data tools and the metrics.

Box area a = w * h in pixels: very tiny a < 8^2, tiny 8^2 <= a < 16^2, small 16^2 <= a < 32^2, medium a >= 32^2
(AI-TOD's evaluator areaRng [[0, 64], [64, 256], [256, 1024], [1024, 1e10]]).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = (
    "AITOD_AREA_RANGES",
    "AITOD_BINS",
    "SHRINK_LIMIT",
    "shrink_factor",
    "size_bin",
    "size_histogram",
    "size_legend",
    "size_stats",
)

AITOD_BINS = ("very_tiny", "tiny", "small", "medium")
AITOD_AREA_RANGES = {
    "all": (0, 1e10),
    "very_tiny": (0, 8**2),
    "tiny": (8**2, 16**2),
    "small": (16**2, 32**2),
    "medium": (32**2, 1e10),
}


# Images letterboxed to imgsz by this factor or more lose tiny objects: the data check and the predictor say so.
SHRINK_LIMIT = 1.5


def shrink_factor(shape: tuple[int, int], imgsz) -> float:
    """How many times fitting an image of (height, width) `shape` into `imgsz` shrinks it (< 1: it is enlarged).

    Args:
        shape (tuple[int, int]): The image's (height, width) in pixels.
        imgsz (int | list[int]): One side, or (height, width) as a validator of a fixed-size export sets it.
    """
    ih, iw = (imgsz, imgsz) if isinstance(imgsz, int) else (imgsz[0], imgsz[-1])
    return max(shape[0] / ih, shape[1] / iw)


def size_legend() -> str:
    """The bins in words, by side (the square root of the box area): 'AP_vt < 8 px, AP_t 8-16, ...'."""
    parts = []
    for name, metric in zip(AITOD_BINS, ("AP_vt", "AP_t", "AP_s", "AP_m")):
        lo, hi = (round(area**0.5) for area in AITOD_AREA_RANGES[name])
        bounds = f"< {hi}" if lo == 0 else f">= {lo}" if name == "medium" else f"{lo}-{hi}"
        parts.append(f"{metric} {bounds}")
    return f"{parts[0]} px, {', '.join(parts[1:])} px"


def size_bin(area: float) -> str:
    """The AI-TOD bin of a box area in square pixels."""
    for name in AITOD_BINS:
        lo, hi = AITOD_AREA_RANGES[name]
        if lo <= area < hi:
            return name
    return "medium"


def size_stats(wh: np.ndarray) -> dict:
    """Count boxes (N, 2) of pixel widths and heights per AI-TOD bin; size s = sqrt(w * h)."""
    wh = np.asarray(wh, np.float64).reshape(-1, 2)
    area = wh[:, 0] * wh[:, 1]
    size = np.sqrt(area)
    counts = {
        name: int(((area >= lo) & (area < hi)).sum()) for name, (lo, hi) in AITOD_AREA_RANGES.items() if name != "all"
    }
    return {
        "boxes": len(wh),
        "bins": counts,
        "mean_size": round(float(size.mean()), 3) if len(size) else None,
        "median_size": round(float(np.median(size)), 3) if len(size) else None,
        "fraction_under_8": round(float((size < 8).mean()), 4) if len(size) else None,
        "fraction_under_16": round(float((size < 16).mean()), 4) if len(size) else None,
        "histogram_1px": np.bincount(np.minimum(size.astype(int), 64), minlength=65).tolist(),
    }


def size_histogram(wh: np.ndarray, path: str | Path, title: str = "Object sizes") -> Path:
    """Plot the distribution of box sizes s = sqrt(w * h) with the AI-TOD bins shaded; save as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wh = np.asarray(wh, np.float64).reshape(-1, 2)
    size = np.sqrt(wh[:, 0] * wh[:, 1])
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    for (lo, hi), name, color in zip(
        ((0, 8), (8, 16), (16, 32), (32, 64)), AITOD_BINS, ("#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1")
    ):
        n = int(((size >= lo) & (size < hi)).sum()) if name != "medium" else int((size >= 32).sum())
        ax.axvspan(lo, hi, color=color, alpha=0.5, lw=0)
        ax.text(
            (lo + hi) / 2,
            0.97,
            f"{name.replace('_', ' ')}\n{n}",
            ha="center",
            va="top",
            transform=ax.get_xaxis_transform(),
            fontsize=8,
        )
    ax.hist(np.minimum(size, 63.9), bins=np.arange(0, 65, 1), color="#1f4e79")
    ax.set(
        xlabel="box size sqrt(w*h) [px]",
        ylabel="boxes",
        title=f"{title}: {len(size)} boxes, mean {size.mean() if len(size) else 0:.1f} px",
        xlim=(0, 64),
    )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
