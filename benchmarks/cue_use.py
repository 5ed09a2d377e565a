"""How much of the difference-map cue a trained `enhance: fuse` model uses, and where: on the drones or elsewhere.

    python -m benchmarks.cue_use benchmarks/results/accuracy-v2/synth/fuse/seed*/train/weights/last.pt \
        --images benchmarks/results/accuracy-v2/synth/data/synth-256-600-300/images/val --limit 100 \
        --out benchmarks/results/cue_use.json

`DifferenceCue` adds Conv3x3(pixel_unshuffle(D, 4)) to P2, its convolution initialised to zero, so a model that
ignores the cue keeps it near zero. For each checkpoint, over the images (letterboxed as `yolo predict` does),
this measures on P2's grid: the RMS of P2, the RMS of the map-driven part of the addition (the convolution of D
without its constant bias), its largest value, and its mean magnitude in cells that hold an object's centre
(from the YOLO labels beside the images) against the other cells: a ratio well above 1 says the cue lights up
on the objects. Prints a table; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import command_line, machine_info


def cue_statistics(weights: Path, images: list[Path], imgsz: int) -> dict:
    """The statistics above for one checkpoint over `images` (each with a YOLO label file, possibly empty)."""
    import cv2
    import torch
    from ultralytics import YOLO
    from ultralytics.data.augment import LetterBox
    from ultralytics.data.utils import img2label_paths

    from srtod_yolo.nn import DifferenceCue

    model = YOLO(str(weights)).model.float().eval()
    cues = [m for m in model.modules() if isinstance(m, DifferenceCue)]
    if not cues:
        raise SystemExit(f"{weights}: no DifferenceCue layer (train with srtod: {{enhance: fuse}})")
    cue, seen = cues[0], {}

    def keep(module, inputs, output):
        seen["p2"], seen["difference"] = inputs[0].detach(), inputs[1].detach()

    hook = cue.register_forward_hook(keep)
    p2_sq, cue_sq, cells, peak, on_object, off_object = 0.0, 0.0, 0, 0.0, [], []
    letterbox = LetterBox((imgsz, imgsz), auto=True, stride=int(model.stride.max()))
    try:
        for image_file, label_file in zip(images, img2label_paths([str(p) for p in images])):
            image = cv2.imread(str(image_file))
            if image is None:
                raise SystemExit(f"{image_file}: not an image")
            h, w = image.shape[:2]
            boxed = letterbox(image=image)
            r = min(boxed.shape[0] / h, boxed.shape[1] / w)
            top, left = (boxed.shape[0] - round(h * r)) / 2, (boxed.shape[1] - round(w * r)) / 2
            x = torch.from_numpy(np.ascontiguousarray(boxed[..., ::-1].transpose(2, 0, 1))).float()[None] / 255
            with torch.no_grad():
                model(x)
            p2 = seen["p2"]
            driven = cue.fuse(torch.nn.functional.pixel_unshuffle(seen["difference"], cue.stride))
            driven = (driven - cue.fuse.bias.view(1, -1, 1, 1)).detach()
            driven = driven[..., : p2.shape[-2], : p2.shape[-1]]
            p2_sq += float(p2.pow(2).sum())
            cue_sq += float(driven.pow(2).sum())
            cells += p2.numel()
            peak = max(peak, float(driven.abs().max()))
            magnitude = driven.abs().mean(1)[0].numpy()  # (h, w) mean over channels
            mask = np.zeros_like(magnitude, dtype=bool)
            text = Path(label_file).read_text() if Path(label_file).is_file() else ""
            rows = np.array([line.split()[:5] for line in text.splitlines() if line.strip()], float).reshape(-1, 5)
            for _, cx, cy, _, _ in rows[:, :5]:
                i = int((cy * h * r + top) / cue.stride)
                j = int((cx * w * r + left) / cue.stride)
                if 0 <= i < mask.shape[0] and 0 <= j < mask.shape[1]:
                    mask[i, j] = True
            on_object += magnitude[mask].tolist()
            off_object += magnitude[~mask].tolist()
    finally:
        hook.remove()
    on, off = float(np.mean(on_object)) if on_object else float("nan"), float(np.mean(off_object))
    return {
        "weights": str(weights),
        "images": len(images),
        "p2_rms": (p2_sq / cells) ** 0.5,
        "cue_rms": (cue_sq / cells) ** 0.5,
        "cue_peak": peak,
        "cue_on_objects": on,
        "cue_elsewhere": off,
        "on_off_ratio": on / off if off > 0 else float("nan"),
        "object_cells": len(on_object),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", nargs="+", type=Path, help="checkpoints of models trained with srtod: {enhance: fuse}")
    p.add_argument(
        "--images",
        type=Path,
        required=True,
        help="folder of images with YOLO labels (../labels/...), or a .txt listing of such images, one per line",
    )
    p.add_argument("--imgsz", type=int, default=256)
    p.add_argument("--limit", type=int, default=100, help="first N images by name")
    p.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = p.parse_args(argv)
    if args.images.suffix == ".txt" and args.images.is_file():  # a listing, as ultralytics' dataset lists
        images = sorted(Path(line.strip()) for line in args.images.read_text().splitlines() if line.strip())
        missing = [q for q in images if not q.is_file()]
        if missing:
            raise SystemExit(f"--images {args.images}: {len(missing)} listed images do not exist, e.g. {missing[0]}")
    elif args.images.is_dir():
        images = sorted(q for q in args.images.iterdir() if q.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp"})
    else:
        raise SystemExit(f"--images {args.images}: give a folder of images or a .txt listing of them")
    if not images:
        raise SystemExit(f"--images {args.images}: no images there")
    images = images[: args.limit]
    rows = [cue_statistics(w, images, args.imgsz) for w in args.weights]
    print(f"{'weights':60} {'P2 rms':>7} {'cue rms':>8} {'peak':>6} {'on obj':>7} {'elsewhere':>9} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['weights'][-60:]:60} {r['p2_rms']:7.3f} {r['cue_rms']:8.4f} {r['cue_peak']:6.2f} "
            f"{r['cue_on_objects']:7.4f} {r['cue_elsewhere']:9.4f} {r['on_off_ratio']:6.1f}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        import torch

        command = command_line(argv, "benchmarks.cue_use")
        record = {"command": command, "machine": machine_info(torch.get_num_threads())}
        args.out.write_text(json.dumps({**record, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
