"""What does the SR-TOD gate see on real frames? Difference-map contrast, gate coverage and object hit rate.

For a trained SR-TOD checkpoint and a labelled split, every frame is resized (long side = imgsz, aspect kept, padded
bottom/right to a multiple of 32) and run once with the layer's full-resolution maps kept. Per frame and object:

- contrast: mean D inside the labelled boxes over mean D elsewhere (1.0: the map does not single out objects);
- open: the fraction of P2 cells the gate opens (mask on), for the 'nearest' (official) and 'maxpool' resize;
- hit: the fraction of labelled objects with at least one open P2 cell inside their box, for both resizes;
- on_objects: the fraction of open cells that lie inside a labelled box (how selective the gate is).

The same quantities over a sweep of thresholds show what t would have to be for the gate to pick out the objects.
With `--sources`, the gate's false openings (open cells off the objects) are split by where they are (letterbox
padding, the picture's border, textured ground, smooth sky) for each `--border` margin: `benchmarks.gate_sources`.

    python -m benchmarks.gate --weights best.pt --data ../shared/data/real-halmstad-drone --split val --imgsz 320
    python -m benchmarks.gate --weights best.pt --data ../shared/data/real-halmstad-drone --sources \
        --letterbox predict val --border 0 4 8 16 --out benchmarks/results/gate/sources.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from benchmarks.common import command_line
from srtod_yolo.nn import resize_mask

STRIDE = 4


LETTERBOXES = ("minimal", "predict", "val", "square")


def letterbox(frame: np.ndarray, imgsz: int, mode: str = "minimal") -> tuple[np.ndarray, dict]:
    """Resize a BGR frame (long side = imgsz) and pad it with grey 114 as ultralytics does in each mode.

    'minimal': bottom/right to a multiple of 32 (this benchmark's historical layout); 'predict': `yolo predict`'s
    LetterBox(auto=True), centred, to a multiple of 32; 'val': `yolo val`'s rect batches, centred, half a stride
    (16 px) more on each padded side; 'square': imgsz x imgsz, centred (training, fixed-size exports).
    Returns the padded frame and LetterBox's parameters ('ratio', 'top', 'left', 'new_unpad' (w, h)).
    """
    from ultralytics.data.augment import LetterBox

    if mode not in LETTERBOXES:
        raise ValueError(f"unknown letterbox mode '{mode}', expected one of {LETTERBOXES}")
    h, w = frame.shape[:2]
    r = imgsz / max(h, w)
    # Resize first, as ultralytics' datasets do (load_image), so that every mode places the same pixels.
    resized = cv2.resize(frame, (round(w * r), round(h * r)), interpolation=cv2.INTER_LINEAR)
    if mode == "val":  # YOLODataset.set_rectangle with pad=0.5, for a batch of one aspect ratio
        shape = tuple(int(np.ceil(s / 32 + 0.5) * 32) for s in resized.shape[:2])
        box = LetterBox(shape, auto=False, scaleup=False, stride=32)
    else:
        box = LetterBox(imgsz, auto=mode != "square", center=mode != "minimal", stride=32)
    labels = {"img": resized}
    params = box.get_params(labels)
    params.update(orig_shape=(h, w), ratio=(r, r))
    return box.apply_image(labels, params)["img"], params


def object_hits(cells, boxes) -> list[bool]:
    """For each box (x0, y0, x1, y1 in input pixels), whether any open P2 cell (h/4, w/4 bool grid) lies inside it."""
    return [
        bool(cells[int(y0) // STRIDE : int(np.ceil(y1 / STRIDE)), int(x0) // STRIDE : int(np.ceil(x1 / STRIDE))].any())
        for x0, y0, x1, y1 in boxes
    ]


def split_images(data: Path, split: str, limit: int | None = None) -> tuple[Path, Path, list[Path]]:
    """The image and label folders of a split and its first `limit` images, in either layout: <root>/<split>/images
    (the shared Halmstad frames) or <root>/images/<split> (ultralytics')."""
    image_dir, label_dir = data / split / "images", data / split / "labels"
    if not image_dir.is_dir():
        image_dir, label_dir = data / "images" / split, data / "labels" / split
    images = sorted(image_dir.glob("*.*"))[:limit]
    if not images:
        raise FileNotFoundError(f"no images in '{data / split / 'images'}' or '{image_dir}'")
    return image_dir, label_dir, images


def load_frame(image_path: Path, imgsz: int, mode: str = "minimal") -> tuple[torch.Tensor, np.ndarray, dict]:
    """The network input (1, 3, H, W) in [0, 1], the padded BGR frame, and the letterbox parameters."""
    frame = cv2.imread(str(image_path))
    if frame is None:
        raise FileNotFoundError(f"cannot read image '{image_path}'")
    padded, params = letterbox(frame, imgsz, mode)
    tensor = torch.from_numpy(padded[..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255
    return tensor, padded, params


def boxes_in_pixels(label_path: Path, width: int, height: int, r: float) -> np.ndarray:
    """Labelled boxes (N, 4) x0, y0, x1, y1 in pixels of the resized frame."""
    rows = np.loadtxt(label_path, ndmin=2) if label_path.is_file() and label_path.stat().st_size else np.zeros((0, 5))
    xywh = rows[:, 1:5] * [width, height, width, height] * r
    return np.concatenate([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], 1)


def gate_statistics(difference: torch.Tensor, boxes: np.ndarray, threshold: float, valid: tuple[int, int]) -> dict:
    """Contrast, coverage and hit rates of one frame's difference map (1, 1, H, W) at one threshold."""
    h, w = valid
    d = difference[0, 0, :h, :w].double()
    inside = torch.zeros_like(d, dtype=torch.bool)
    for x0, y0, x1, y1 in boxes:
        inside[max(int(y0), 0) : int(np.ceil(y1)), max(int(x0), 0) : int(np.ceil(x1))] = True
    out = {"contrast": float(d[inside].mean() / d[~inside].mean().clamp_min(1e-9)) if inside.any() else None}
    mask = (difference[..., :h, :w] > threshold).float()
    for mode in ("nearest", "maxpool"):
        cells = resize_mask(mask, STRIDE, mode)[0, 0].bool()
        hits = object_hits(cells, boxes)
        cell_inside = resize_mask(inside[None, None].float(), STRIDE, "maxpool")[0, 0].bool()
        out[f"open_{mode}"] = float(cells.float().mean())
        out[f"hit_{mode}"] = hits
        out[f"on_objects_{mode}"] = float((cells & cell_inside).sum() / cells.sum()) if cells.any() else None
    return out


def picture(examples: list, threshold: float, path: Path) -> Path:
    """Rows of frame (labelled boxes in green) | difference map over the frame with the gate's mask outlined."""
    from srtod_yolo.viz import difference_overlay, side_by_side

    rows = []
    for frame, difference, boxes in examples:
        framed = frame.copy()
        for x0, y0, x1, y1 in boxes.round().astype(int):
            cv2.rectangle(framed, (x0 - 2, y0 - 2), (x1 + 1, y1 + 1), (0, 255, 0), 1)
        row = side_by_side(framed, difference_overlay(frame, difference, threshold, label=not rows))
        rows.append(cv2.resize(row, (2 * 322 * 2, round(row.shape[0] * 2 * 322 * 2 / row.shape[1]))))
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.concatenate(rows, 0))
    return path


def inspect(
    weights: str,
    data: Path,
    split: str,
    imgsz: int,
    thresholds: list[float],
    limit: int | None,
    examples: int = 0,
    picture_path: Path | None = None,
) -> dict:
    """Run the checkpoint over a split and aggregate the gate statistics at its own and at swept thresholds.

    With `picture_path`, the first `examples` frames with labelled objects, evenly spread over the split, are drawn.
    """
    from ultralytics import YOLO

    model = YOLO(weights).model.float().eval()
    layer = model.srtod_layers[0]
    layer.keep_maps = True
    own = float(layer.threshold.value.detach())
    image_dir, label_dir, images = split_images(data, split, limit)
    per_t = {
        t: {
            "contrast": [],
            "open_nearest": [],
            "open_maxpool": [],
            "hit_nearest": [],
            "hit_maxpool": [],
            "on_objects_nearest": [],
            "on_objects_maxpool": [],
        }
        for t in [own, *thresholds]
    }
    shown, stride = [], max(len(images) // max(examples, 1), 1)
    for image_path in images:
        tensor, frame, params = load_frame(image_path, imgsz)
        (oh, ow), r = params["orig_shape"], params["ratio"][0]
        boxes = boxes_in_pixels(label_dir / f"{image_path.stem}.txt", ow, oh, r)
        with torch.inference_mode():
            model(tensor)
        difference = layer.last["difference"]
        valid = (round(oh * r), round(ow * r))
        if picture_path and len(boxes) and len(shown) < examples and images.index(image_path) >= len(shown) * stride:
            shown.append((frame[: valid[0], : valid[1]], difference[0, 0, : valid[0], : valid[1]].numpy(), boxes))
        for t, acc in per_t.items():
            stats = gate_statistics(difference, boxes, t, valid)
            for key, value in stats.items():
                if isinstance(value, list):
                    acc[key].extend(value)
                elif value is not None:
                    acc[key].append(value)
    layer.keep_maps = False
    if picture_path and shown:
        picture(shown, own, picture_path)
    summary = {}
    for t, acc in per_t.items():
        summary[f"{t:.5f}"] = {key: float(np.mean(v)) if len(v) else None for key, v in acc.items()}
    return {
        "weights": str(weights),
        "split": split,
        "images": len(images),
        "imgsz": imgsz,
        "threshold": own,
        "by_threshold": summary,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: print the table and write JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--data", type=Path, required=True, help="dataset root: <split>/images or images/<split>")
    p.add_argument("--split", default="val")
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--thresholds", nargs="*", type=float, default=[2 / 255, 4 / 255, 10 / 255, 20 / 255, 40 / 255])
    p.add_argument("--limit", type=int, default=None, help="only the first N images")
    p.add_argument("--out", type=Path, default=None, help="JSON file to write")
    p.add_argument("--picture", type=Path, default=None, help="PNG of example frames and their gates")
    p.add_argument("--examples", type=int, default=4, help="frames in the picture")
    p.add_argument("--sources", action="store_true", help="split the false openings by source (gate_sources)")
    p.add_argument("--letterbox", nargs="*", default=["predict"], choices=LETTERBOXES, help="with --sources")
    p.add_argument("--border", nargs="+", type=int, default=[0, 4, 8, 16], help="margins to try, px (--sources)")
    p.add_argument("--texture", type=float, default=4 / 255, help="local std above which a cell is 'textured'")
    p.add_argument("--ap", type=Path, default=None, help="with --sources: also `yolo val` AP per border (Halmstad)")
    p.add_argument("--ap-subsets", nargs="+", default=["all", "thermal", "visible"], help="Halmstad val subsets")
    args = p.parse_args(argv)
    if args.sources:
        return sources_main(args, argv)
    result = inspect(
        args.weights, args.data, args.split, args.imgsz, args.thresholds, args.limit, args.examples, args.picture
    )
    print(f"{result['images']} images of {args.data / args.split}, model threshold t = {result['threshold']:.4f}")
    columns = ("contrast", "open(nn)", "open(mp)", "hit(nn)", "hit(mp)", "on-obj(nn)")
    print(f"{'t':>8s} " + " ".join(f"{c:>9s}" for c in columns))
    for t, s in result["by_threshold"].items():
        cells = [
            s["contrast"],
            s["open_nearest"],
            s["open_maxpool"],
            s["hit_nearest"],
            s["hit_maxpool"],
            s["on_objects_nearest"],
        ]
        print(f"{float(t):8.4f} " + " ".join("      n/a" if c is None else f"{c:9.3f}" for c in cells))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def sources_main(args: argparse.Namespace, argv: list[str] | None) -> int:
    """`--sources`: the false-opening breakdown for each letterbox mode; print Markdown tables, write one JSON.

    `argv`: the arguments `args` was parsed from (None: the command line's); the JSON records them as the command
    that made it.
    """
    from .gate_sources import breakdown, table

    results = []
    for mode in args.letterbox:
        result = breakdown(args.weights, args.data, args.split, args.imgsz, mode, args.border, args.texture, args.limit)
        print(
            f"\n{result['images']} images of {args.data / args.split}, imgsz {args.imgsz}, letterbox '{mode}', "
            f"t = {result['threshold']:.4f}, textured: local std > {255 * args.texture:.1f}/255; 'nearest' resize"
        )
        print(table(result))
        results.append(result)
    ap = None
    if args.ap:
        from .gate_sources import ap_table, border_ap

        ap = border_ap(args.weights, args.ap, args.imgsz, args.border, tuple(args.ap_subsets))
        print(f"\n`yolo val imgsz={args.imgsz}` of {args.weights} (AI-TOD metrics x100):")
        print(ap_table(ap))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        record = {"command": command_line(argv, module="benchmarks.gate"), "runs": results, "ap": ap}
        args.out.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
