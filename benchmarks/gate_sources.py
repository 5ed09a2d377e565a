"""Where does the SR-TOD gate open off the objects? False openings by source, and what a `border` margin removes.

`python -m benchmarks.gate --sources ...` runs this. Every frame is letterboxed as `--letterbox` says (as `yolo
predict`, `yolo val` or a square export would) and run once through the checkpoint with the layer's maps kept. Each
P2 cell (4 x 4 input pixels) that touches no labelled box is put in exactly one source, by its centre pixel:

- padding: the letterbox's grey, outside the picture;
- border <= 4, 4-8, 8-16: within that many pixels of the picture's edge (rings, so they add up);
- textured: elsewhere, where the local standard deviation of the grey image (9 x 9 px window, averaged over the
  cell) exceeds `--texture` grey levels: tree lines, ground, roofs, clouds' edges. A proxy for "below the
  horizon" that needs no horizon;
- smooth: the rest (clear sky, flat ground, smooth cloud).

A cell is a false opening when the gate opens it (D > t at the pixel the 'nearest' resize keeps; 'maxpool' in the
JSON) and it touches no box. For each `--border` b the same difference map is multiplied by
`srtod_yolo.nn.picture_mask(image, b)`, which is exactly what `srtod: {border: b}` does inside the layer, so one
forward pass per frame serves every b. Counts are pooled over the frames of each sensor (thermal IR, visible V).
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import torch

from srtod_yolo.nn import picture_mask, resize_mask

STRIDE = 4
SOURCES = ("padding", "border_4", "border_8", "border_16", "textured", "smooth")
RINGS = (4, 8, 16)
MODES = ("nearest", "maxpool")


def local_std(grey: np.ndarray, window: int = 9) -> np.ndarray:
    """Standard deviation of `grey` (H, W) float over a window x window box around each pixel, same units."""
    mean = cv2.blur(grey, (window, window), borderType=cv2.BORDER_REFLECT)
    square = cv2.blur(grey * grey, (window, window), borderType=cv2.BORDER_REFLECT)
    return np.sqrt(np.clip(square - mean * mean, 0, None))


def cell_sources(picture: tuple[int, int, int, int], texture: np.ndarray, texture_threshold: float) -> np.ndarray:
    """Source index (into SOURCES) of every P2 cell (h, w) of an input of (4h, 4w) pixels.

    Args:
        picture (tuple): (top, left, height, width) of the picture inside the padded input, in pixels.
        texture (np.ndarray): Local standard deviation (4h, 4w) of the input, in [0, 1] units.
        texture_threshold (float): Cells whose mean local std exceeds it are 'textured'.
    """
    top, left, height, width = picture
    hh, ww = texture.shape[0] // STRIDE, texture.shape[1] // STRIDE
    y = np.arange(hh)[:, None] * STRIDE + STRIDE / 2 - 0.5  # cell centres, in pixels
    x = np.arange(ww)[None, :] * STRIDE + STRIDE / 2 - 0.5
    inside = np.minimum(np.minimum(y - top, top + height - 1 - y), np.minimum(x - left, left + width - 1 - x))
    cell_texture = texture[: hh * STRIDE, : ww * STRIDE].reshape(hh, STRIDE, ww, STRIDE).mean((1, 3))
    source = np.where(cell_texture > texture_threshold, SOURCES.index("textured"), SOURCES.index("smooth"))
    for ring in reversed(RINGS):  # the innermost ring wins
        source = np.where(inside < ring, SOURCES.index(f"border_{ring}"), source)
    return np.where(inside < 0, SOURCES.index("padding"), source)


def object_cells(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which P2 cells (h, w) touch a box (N, 4) x0, y0, x1, y1 given in input pixels."""
    cells = np.zeros(shape, bool)
    for x0, y0, x1, y1 in boxes:
        cells[
            max(int(y0), 0) // STRIDE : int(np.ceil(y1 / STRIDE)), max(int(x0), 0) // STRIDE : int(np.ceil(x1 / STRIDE))
        ] = True
    return cells


def count_frame(
    difference: torch.Tensor, boxes: np.ndarray, threshold: float, sources: np.ndarray
) -> dict[str, dict[str, np.ndarray | list]]:
    """Open and total cells per source off the objects, open cells on them, and per-object hits, for each resize.

    Args:
        difference (torch.Tensor): D (1, 1, H, W) of one frame, H and W multiples of 4.
        boxes (np.ndarray): Labelled boxes (N, 4) in input pixels.
        threshold (float): The gate's t.
        sources (np.ndarray): `cell_sources` of the frame (H/4, W/4).
    """
    from .gate import object_hits  # gate imports this module for --sources: import at call time

    on_object = object_cells(boxes, sources.shape)
    off = ~on_object
    out = {}
    for mode in MODES:
        cells = resize_mask((difference > threshold).float(), STRIDE, mode)[0, 0].numpy().astype(bool)
        hits = object_hits(cells, boxes)
        out[mode] = {
            "open": np.bincount(sources[cells & off], minlength=len(SOURCES)),
            "cells": np.bincount(sources[off], minlength=len(SOURCES)),
            "open_on_objects": int((cells & on_object).sum()),
            "hits": hits,
        }
    return out


def summarise(counts: list[dict]) -> dict:
    """Pool the per-frame counts of one group into fractions (false-open rate, share per source, hit rate)."""
    out = {"frames": len(counts)}
    for mode in MODES:
        open_ = sum(c[mode]["open"] for c in counts)
        cells = sum(c[mode]["cells"] for c in counts)
        hits = [h for c in counts for h in c[mode]["hits"]]
        on_objects = sum(c[mode]["open_on_objects"] for c in counts)
        false_open = int(open_.sum())
        out[mode] = {
            "objects": len(hits),
            "hit": float(np.mean(hits)) if hits else None,
            "false_open_cells": false_open,
            "false_open_rate": false_open / max(int(cells.sum()), 1),  # of all cells off the objects
            "on_objects": on_objects / max(on_objects + false_open, 1),
            "share": {s: int(n) / max(false_open, 1) for s, n in zip(SOURCES, open_)},  # of the false openings
            "open_rate": {s: int(n) / max(int(m), 1) for s, n, m in zip(SOURCES, open_, cells)},  # within each source
            "cells": {s: int(m) for s, m in zip(SOURCES, cells)},
        }
    return out


def sensors(image_dir: Path) -> dict[str, str]:
    """Image stem -> sensor ('IR', 'V') from the split's manifest.csv; empty when there is none."""
    manifest = image_dir.parent / "manifest.csv"
    if not manifest.is_file():
        return {}
    with manifest.open() as f:
        return {row["image"]: row["sensor"] for row in csv.DictReader(f) if row.get("sensor")}


def breakdown(
    weights: str,
    data: Path,
    split: str,
    imgsz: int,
    letterbox_mode: str,
    borders: list[int],
    texture_threshold: float,
    limit: int | None = None,
) -> dict:
    """False openings by source for each border margin, pooled per sensor and over all frames (module docstring)."""
    from ultralytics import YOLO

    from .gate import boxes_in_pixels, load_frame, split_images

    model = YOLO(weights).model.float().eval()
    layer = model.srtod_layers[0]
    layer.keep_maps, own_border = True, getattr(layer, "border", 0)
    layer.border = 0  # measure the raw map; each margin is applied below, as the layer would
    threshold = float(layer.threshold.value.detach())
    image_dir, label_dir, images = split_images(data, split, limit)
    sensor_of = sensors(image_dir)
    counts = {b: {} for b in borders}
    try:
        for image_path in images:
            tensor, frame, params = load_frame(image_path, imgsz, letterbox_mode)
            (oh, ow), r = params["orig_shape"], params["ratio"][0]
            boxes = (
                boxes_in_pixels(label_dir / f"{image_path.stem}.txt", ow, oh, r) + [params["left"], params["top"]] * 2
            )
            with torch.inference_mode():
                model(tensor)
            difference = layer.last["difference"]
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
            picture = (params["top"], params["left"], params["new_unpad"][1], params["new_unpad"][0])
            sources = cell_sources(picture, local_std(grey), texture_threshold)
            group = sensor_of.get(image_path.stem, "all")
            for b in borders:
                d = difference * picture_mask(tensor, b) if b else difference
                counts[b].setdefault(group, []).append(count_frame(d, boxes, threshold, sources))
    finally:
        layer.keep_maps, layer.border = False, own_border
    by_border = {}
    for b, groups in counts.items():
        pooled = {g: summarise(c) for g, c in sorted(groups.items())}
        if len(groups) > 1:
            pooled["all"] = summarise([c for g in groups.values() for c in g])
        by_border[str(b)] = pooled
    return {
        "weights": str(weights),
        "split": split,
        "images": len(images),
        "imgsz": imgsz,
        "letterbox": letterbox_mode,
        "threshold": threshold,
        "texture_threshold": texture_threshold,
        "sources": list(SOURCES),
        "by_border": by_border,
    }


def border_ap(
    weights: str, folder: Path, imgsz: int, borders: list[int], subsets: tuple[str, ...] = ("all", "thermal", "visible")
) -> dict:
    """AI-TOD AP of the checkpoint on the Halmstad val frames (all, thermal, visible) for each border margin.

    `yolo val` as a user runs it (rect batches: 16 px of letterbox grey around each frame at imgsz 320), with the
    layer's `border` set on the loaded checkpoint (`benchmarks.border_ap.validate`, which also gives paired
    intervals). `folder` receives the subset YAMLs (benchmarks.accuracy's).
    """
    from .accuracy import prepare_halmstad
    from .border_ap import validate

    yamls = prepare_halmstad(folder)
    return {
        str(b): {s: validate(weights, str(yamls[s]), imgsz, b, folder / "runs" / f"border{b}_{s}")[0] for s in subsets}
        for b in borders
    }


def ap_table(ap: dict) -> str:
    """A Markdown table of `border_ap`: AP, AP@0.25 and AP_t (x100) per margin and subset."""
    lines = ["| border | subset | AP | AP25 | AP50 | AP_t | AP_s |", "|---|---|---:|---:|---:|---:|---:|"]
    for b, subsets in ap.items():
        for subset, m in subsets.items():
            cells = [f"{100 * m[k]:.2f}" for k in ("AP", "AP25", "AP50", "AP_t", "AP_s")]
            lines.append(f"| {b} px | {subset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table(result: dict, mode: str = "nearest") -> str:
    """A Markdown table: per border margin and sensor, the false-open rate, each source's share, the hit rate."""
    head = ["border", "frames", "false open", *[f"{s}" for s in SOURCES], "objects hit", "open on objects"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b, groups in result["by_border"].items():
        for group, s in groups.items():
            m = s[mode]
            shares = [f"{100 * m['share'][src]:.1f} %" for src in SOURCES]
            hit = "n/a" if m["hit"] is None else f"{100 * m['hit']:.1f} % of {m['objects']}"
            row = [f"{b} px", f"{s['frames']} {group}", f"{100 * m['false_open_rate']:.2f} %", *shares, hit]
            lines.append("| " + " | ".join([*row, f"{100 * m['on_objects']:.1f} %"]) + " |")
    return "\n".join(lines)
