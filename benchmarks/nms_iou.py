"""NMS IoU threshold for tiny drones: AP against the boxes a user counts, on whole val clips.

A new user's trial found `yolo predict` printing "2 drones" on about half the frames of a thermal clip with one
drone: two nested boxes on the same drone, with an IoU (about 0.65) below the NMS threshold ultralytics uses by
default (`iou=0.7`), so NMS keeps both. This measures, for one checkpoint, what lower NMS thresholds do on every
30th frame of the 124 val clips (`benchmarks.clip_val`'s frames, each sensor at its native size):

- AI-TOD AP and AP50 (the mean over the 4 classes) and the drone class's own AP, with the paired difference to
  `iou=0.7` and its 95 % interval over clips (the same detections' clip-bootstrap replicates, seed 0);
- at score >= 0.25 (ultralytics' predict default), what a user sees: drones found (a box of any class with IoU
  >= 0.25), extra boxes on an object (every box past the first that hits it), frames that show more drone boxes
  than they have drones, and background hits (`benchmarks.detection_errors`).

    python -m benchmarks.nms_iou --weights yolov8n-p2-halmstad.pt --ious 0.7 0.6 0.5 0.45

Writes `benchmarks/results/nms_iou.json` and prints a table per sensor.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from benchmarks.accuracy import AITOD_JSON, REPO, SUBSET_IMGSZ, machine, val_aitod
from benchmarks.clip_val import TARGET_CLASS, TARGET_KEY, clip_resamples, prepare_clip_frames
from benchmarks.common import command_line
from benchmarks.paired import _box_iou, paired_difference, replicate_metrics

DEFAULT_IOU = 0.7  # ultralytics' default NMS IoU threshold (predict, val, track)
CONF = 0.25  # ultralytics' default predict score threshold: the boxes a user sees
HIT_IOU = 0.25  # a box hits an object at this IoU (the study's detection-error counts)


def user_counts(gt: dict, detections: list[dict], conf: float = CONF, hit: float = HIT_IOU) -> dict:
    """What a user sees at score >= conf: objects found, extra boxes on them, over-counted frames, background boxes.

    Args:
        gt (dict): COCO ground truth (images, annotations with bbox [x, y, w, h] px, categories with names).
        detections (list[dict]): COCO detections (image_id, category_id, bbox, score).
        conf (float): Lowest score shown.
        hit (float): Lowest IoU at which a box hits an object.

    Returns:
        (dict): objects, found (objects hit by a box of any class), extra (boxes past the first on an object, summed
        over objects), frames, overcounted (frames showing more drone boxes than they hold drones), background
        (boxes hitting no object), boxes (all shown).
    """
    from srtod_yolo.metrics.aitod import category_id

    drone = category_id(gt, TARGET_CLASS)
    objects, shown = {}, {}
    for a in gt["annotations"]:
        objects.setdefault(a["image_id"], []).append(a)
    for d in detections:
        if d["score"] >= conf:
            shown.setdefault(d["image_id"], []).append(d)
    out = {"objects": 0, "found": 0, "extra": 0, "frames": len(gt["images"]), "overcounted": 0, "background": 0}
    out["boxes"] = sum(len(v) for v in shown.values())
    for image in (im["id"] for im in gt["images"]):
        objs, dets = objects.get(image, []), shown.get(image, [])
        overlap = _box_iou(
            np.asarray([o["bbox"] for o in objs], float).reshape(-1, 4),
            np.asarray([d["bbox"] for d in dets], float).reshape(-1, 4),
        )
        hits = np.greater_equal(overlap.T, hit)  # (boxes, objects)
        per_object = hits.sum(0)
        out["objects"] += len(objs)
        out["found"] += int((per_object > 0).sum())
        out["extra"] += int(np.clip(per_object - 1, 0, None).sum())
        out["background"] += int((~hits.any(1)).sum()) if len(dets) else 0
        drones = sum(o["category_id"] == drone for o in objs)
        out["overcounted"] += int(sum(d["category_id"] == drone for d in dets) > drones)
    return out


def evaluate(weights: str, ious: list[float], frames: dict[str, Path], work: Path, resamples: int) -> dict:
    """Each NMS IoU threshold's metrics and counts per sensor, and its paired clip-bootstrap difference to 0.7."""
    from ultralytics import YOLO

    from srtod_yolo.metrics.aitod import class_subset, evaluate_coco

    model = None
    rows = {}
    for iou in ious:
        for subset, data in frames.items():
            folder = work / f"iou{iou:g}_{subset}"
            made_by = folder / "weights.txt"  # the predictions of these weights are kept: a rerun reads them
            if made_by.is_file() and made_by.read_text() == str(weights):
                gt, detections = (json.loads((folder / f).read_text()) for f in AITOD_JSON)
            else:
                model = model or YOLO(weights)
                _, (gt, detections) = val_aitod(model, data, SUBSET_IMGSZ[subset], folder, iou=iou)
                made_by.write_text(str(weights))
            draws = clip_resamples(gt, resamples)
            values = evaluate_coco(gt, detections)
            rows[f"{iou:g}/{subset}"] = {
                "iou": iou,
                "subset": subset,
                "AP": float(values["AP"]),
                "AP50": float(values["AP50"]),
                TARGET_KEY: float(evaluate_coco(*class_subset(gt, detections, TARGET_CLASS))["AP"]),
                "replicates": replicate_metrics(
                    gt, detections, draws, ("AP", "AP50"), class_keys={TARGET_KEY: TARGET_CLASS}
                ),
                **user_counts(gt, detections),
            }
            print(f"  iou={iou:g} {subset}: AP {rows[f'{iou:g}/{subset}']['AP'] * 100:.1f}", flush=True)
    for row in rows.values():
        base = rows[f"{DEFAULT_IOU:g}/{row['subset']}"]
        for key in ("AP", "AP50", TARGET_KEY):  # one checkpoint: the paired interval over clips only
            pair = paired_difference(
                *({0: {"value": r[key], "replicates": r["replicates"][key]}} for r in (row, base)), key
            )
            row[f"d{key}"], row[f"d{key}_interval"] = pair["mean"], pair["image_interval"]
    return rows


def table(rows: dict) -> str:
    """A markdown table per sensor of `evaluate`'s rows."""
    lines = []
    for subset in dict.fromkeys(r["subset"] for r in rows.values()):
        lines += [
            f"\n**{subset}** (x100; Δ: against iou={DEFAULT_IOU:g}, 95 % interval over clips; counts at score >= "
            f"{CONF:g}, a hit at IoU >= {HIT_IOU:g})\n",
            "| NMS iou | AP | ΔAP [95 % CI] | AP50 | ΔAP50 [95 % CI] | AP_drone | ΔAP_drone [95 % CI] | found "
            "| extra boxes | over-counted frames | background boxes |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in (r for r in rows.values() if r["subset"] == subset):
            cells = [f"{r['iou']:g}"]
            for k in ("AP", "AP50", TARGET_KEY):
                low, high = (100 * v for v in r[f"d{k}_interval"])
                cells += [f"{100 * r[k]:.1f}", f"{100 * r[f'd{k}']:+.1f} [{low:+.1f}, {high:+.1f}]"]
            cells += [f"{r['found']} of {r['objects']}", str(r["extra"]), f"{r['overcounted']} of {r['frames']}"]
            lines.append("| " + " | ".join([*cells, str(r["background"])]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default="yolov8n-p2-halmstad.pt", help="checkpoint (a released name or a path)")
    p.add_argument("--ious", type=float, nargs="+", default=[0.7, 0.6, 0.5, 0.45], help="NMS IoU thresholds")
    p.add_argument("--every", type=int, default=30, help="every Nth frame of each val clip")
    p.add_argument("--resamples", type=int, default=200, help="clip-bootstrap draws")
    p.add_argument(
        "--frames",
        type=Path,
        default=REPO / "benchmarks" / "results" / "accuracy-v2-swarm-clipval" / "halmstad-clips" / "data",
        help="where the decoded clip frames are (made once; shared with benchmarks.clip_val)",
    )
    p.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "srtod-nms-iou")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "nms_iou.json")
    args = p.parse_args(argv)
    if DEFAULT_IOU not in args.ious:
        p.error(f"--ious must include {DEFAULT_IOU:g}, ultralytics' default, which the differences are taken to")
    if any(not 0 < v <= 1 for v in args.ious):
        p.error(f"--ious must be in (0, 1], got {args.ious}")
    frames = prepare_clip_frames(args.frames, args.every)
    rows = evaluate(args.weights, args.ious, frames, args.work, args.resamples)
    text = table(rows)
    print(text)
    record = {
        "command": command_line(argv),
        "weights": args.weights,
        "every": args.every,
        "resamples": args.resamples,
        "conf": CONF,
        "hit_iou": HIT_IOU,
        "machine": machine(),
        "rows": {k: {kk: vv for kk, vv in r.items() if kk != "replicates"} for k, r in rows.items()},
        "table": text,
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
