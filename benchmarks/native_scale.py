"""What the inference size does to the released Halmstad weights: each sensor at its own size against one imgsz.

For each released checkpoint, `srtod val` (srtod_yolo.yolo.native_val) on the shared val frames three ways: each
image size at its own (thermal 320x256 at 320, visible 640x512 at 640), every frame at 320 (the visible frames
halved) and every frame at 640 (the thermal frames enlarged 2x). Prints and records AI-TOD AP (x100) for all frames
and per sensor, and on the visible frames the drones found at score >= 0.25 (a detection of the drone class with
IoU >= 0.25, `benchmarks.detection_errors.error_counts`).

    python -m benchmarks.native_scale            # writes benchmarks/results/native_scale.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.accuracy import AITOD_JSON, REPO, prepare_halmstad
from benchmarks.detection_errors import error_counts

MODELS = ("yolov8n-p2-halmstad.pt", "srtod-yolov8n-p2-halmstad.pt")
SETTINGS = ("native", 320, 640)
SENSORS = {"320x256": "thermal", "640x512": "visible"}


def sensor_subset(gt: dict, detections: list[dict], width: int) -> tuple[dict, list[dict]]:
    """The ground truth and detections of the images `width` pixels wide (one sensor of the Halmstad frames)."""
    images = [i for i in gt["images"] if i["width"] == width]
    ids = {i["id"] for i in images}
    annotations = [a for a in gt["annotations"] if a["image_id"] in ids]
    return {**gt, "images": images, "annotations": annotations}, [d for d in detections if d["image_id"] in ids]


def measure(model: str, data: Path, imgsz, work: Path) -> dict:
    """AP (x100) of all frames and of each sensor, and the visible drones found, for one model and setting."""
    from srtod_yolo.yolo.native_val import validate_native

    name = f"{Path(model).stem}-{imgsz}"
    result = validate_native(model, data, imgsz=imgsz, project=work / "runs", name=name, batch=16)
    result = {**result, "save_dir": Path(result["save_dir"])}
    ap = {"all": round(100 * result["all"]["metrics"]["AP"], 1)}
    for label, group in result["groups"].items():
        ap[SENSORS.get(label, label)] = round(100 * group["metrics"]["AP"], 1)
    gt, detections = (json.loads((result["save_dir"] / f).read_text()) for f in AITOD_JSON)
    drones = error_counts(*sensor_subset(gt, detections, 640))["classes"]["drone"]
    return {"AP": ap, "visible_drones": {k: drones[k] for k in ("objects", "found", "missed")}}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--work", type=Path, default=Path("/tmp/native_scale"), help="data links and val folders")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "native_scale.json")
    args = p.parse_args(argv)
    data = prepare_halmstad(args.work / "data")["all"]  # links to the shared val frames; caches stay in --work
    records = {m: {str(s): measure(m, data, s, args.work) for s in SETTINGS} for m in args.models}
    print(f"\n{'model':32s} {'imgsz':>7s} {'AP':>6s} {'thermal':>8s} {'visible':>8s}  visible drones found")
    for model, rows in records.items():
        for setting, r in rows.items():
            d = r["visible_drones"]
            print(
                f"{model:32s} {setting:>7s} {r['AP']['all']:6.1f} {r['AP']['thermal']:8.1f} {r['AP']['visible']:8.1f}"
                f"  {d['found']} of {d['objects']}"
            )
    record = {
        "command": "python -m benchmarks.native_scale",
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "data": "shared real-halmstad-drone val/ (231 frames: 126 thermal 320x256, 105 visible 640x512)",
        "val": "srtod val, batch 16, conf 0.001, NMS IoU 0.7 (ultralytics' val defaults)",
        "found": "a drone-class detection with score >= 0.25 and IoU >= 0.25 (benchmarks.detection_errors)",
        "models": records,
    }
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"\nwritten: {args.out}")
    return record


if __name__ == "__main__":
    main()
