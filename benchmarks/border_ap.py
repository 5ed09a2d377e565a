"""What the difference map's border margin (`srtod: {border: N}`) does to a trained SR-TOD model's AP.

    python -m benchmarks.border_ap benchmarks/results/accuracy-v2/synth/full/seed0/train/weights/last.pt \
        --data synth=benchmarks/results/accuracy-v2/synth/data/synth-256-600-300/data.yaml --imgsz 256 \
        --border 0 4 8 --resamples 200 --work /tmp/border --out benchmarks/results/border_ap.json

The margin is an inference-time setting (`model.srtod_layers[0].border`), so each checkpoint is validated once per
margin with `yolo val` as a user runs it (rect batches, conf 0.001, AI-TOD metrics), and each margin is compared
with 0 on the same weights: the difference in AP, AP_vt and AP_t with a 95 % interval over resamples of the val
images (`benchmarks.paired.image_paired_difference`; no seed varies, one model). `--data name=yaml` may be given
several times (e.g. thermal and visible apart, each at its own `--imgsz`). Prints a Markdown table; writes JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from benchmarks.accuracy import val_aitod
from benchmarks.common import command_line

KEYS = ("AP", "AP25", "AP50", "AP_vt", "AP_t", "AP_s", "AP_m")
COMPARED = ("AP", "AP_vt", "AP_t")


def validate(weights: str, data: str, imgsz: int, border: int, folder: Path) -> tuple[dict, dict, list[dict]]:
    """`yolo val` of the checkpoint with the given margin: (metrics, COCO ground truth, COCO detections)."""
    from ultralytics import YOLO

    yolo = YOLO(weights)
    layers = getattr(yolo.model, "srtod_layers", [])
    if not layers:
        raise SystemExit(f"{weights}: no SR-TOD layer, so no border margin to set")
    for layer in layers:
        layer.border = int(border)
    metrics, (gt, detections) = val_aitod(yolo, data, imgsz, folder)
    return {k: float(metrics.aitod[k]) for k in KEYS}, gt, detections


def border_effect(weights: str, data: str, imgsz: int, borders: list[int], resamples: int, work: Path) -> dict:
    """Metrics per margin and, for each margin but the first, the paired difference to the first with intervals."""
    from benchmarks.paired import image_paired_difference

    if not borders or any(int(b) != b or b < 0 for b in borders):
        raise SystemExit(f"--border takes whole numbers of pixels >= 0, got {borders}")
    runs = {b: validate(weights, data, imgsz, b, work / f"border{b}") for b in borders}
    reference = borders[0]
    gt, ref_detections = runs[reference][1], runs[reference][2]
    out = {"reference": reference, "metrics": {str(b): r[0] for b, r in runs.items()}, "differences": {}}
    for b in borders[1:]:
        out["differences"][str(b)] = {
            k: image_paired_difference(gt, runs[b][2], ref_detections, k, resamples) for k in COMPARED
        }
    return out


def markdown(rows: list[dict]) -> str:
    """Rows of the JSON as a Markdown table (x100)."""
    head = "| weights | data | border | AP | AP_vt | AP_t | AP_s | ΔAP [95 % CI] | ΔAP_vt | ΔAP_t |"
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        for b, m in r["metrics"].items():
            d = r["differences"].get(b)
            cells = [f"{100 * m[k]:.1f}" if math.isfinite(m[k]) else "n/a" for k in ("AP", "AP_vt", "AP_t", "AP_s")]
            deltas = (
                [
                    "{:+.2f} [{:+.2f}, {:+.2f}]".format(*(100 * v for v in (d[k]["difference"], *d[k]["interval"])))
                    if math.isfinite(d[k]["difference"])
                    else "n/a (no box of this size)"
                    for k in COMPARED
                ]
                if d
                else ["(reference)", "", ""]
            )
            lines.append(f"| {r['weights']} | {r['data']} | {b} | " + " | ".join(cells + deltas) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", nargs="+", help="SR-TOD checkpoints")
    p.add_argument("--data", nargs="+", required=True, help="name=dataset.yaml pairs (the val split is used)")
    p.add_argument("--imgsz", nargs="+", type=int, default=[320], help="one size, or one per --data")
    p.add_argument("--border", nargs="+", type=int, default=[0, 4, 8], help="margins in px; the first is the reference")
    p.add_argument("--resamples", type=int, default=200, help="image resamples for the intervals")
    p.add_argument("--work", type=Path, required=True, help="folder for the val runs")
    p.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = p.parse_args(argv)
    pairs = []
    for item in args.data:
        name, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            raise SystemExit(f"--data {item}: give name=path/to/data.yaml of an existing file")
        pairs.append((name, path))
    sizes = args.imgsz if len(args.imgsz) == len(pairs) else args.imgsz[:1] * len(pairs)
    if len(args.imgsz) not in {1, len(pairs)}:
        raise SystemExit(f"--imgsz: give one size or one per --data ({len(pairs)}), got {args.imgsz}")
    rows = []
    for w, weights in enumerate(args.weights):
        for (name, data), imgsz in zip(pairs, sizes):
            effect = border_effect(weights, data, imgsz, args.border, args.resamples, args.work / f"w{w}" / name)
            rows.append({"weights": weights, "data": name, "imgsz": imgsz, **effect})
    print(markdown(rows))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = command_line(argv, "benchmarks.border_ap")
        args.out.write_text(
            json.dumps({"command": command, "resamples": args.resamples, "rows": rows}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
