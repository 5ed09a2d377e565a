"""Where a detector's AP goes: which objects it finds, finds as another class, or misses, and what it fires on.

Reads the COCO files that `yolo val save_json=True` writes (and `benchmarks.accuracy` keeps in each run's val_*
folder): `aitod_gt.json` and `aitod_predictions.json`. For every ground-truth object (ignore regions left out), the
most confident detection with score >= --conf and IoU >= --iou decides: *found* (same class), *as another class*,
or *missed*; per class and per AI-TOD size (very tiny < 8 px, tiny 8-16, small 16-32, medium >= 32, by the square
root of the box area). Detections with score >= --conf that overlap no object at --iou are *background* hits.
Counts, not AP: they say why two models' AP differ, at one operating point.

    python -m benchmarks.detection_errors benchmarks/results/accuracy-v2-swarm/halmstad/baseline/seed0/val_visible \
        benchmarks/results/accuracy-v2-swarm/halmstad/fuse/seed0/val_visible --out benchmarks/results/errors.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import command_line
from benchmarks.paired import _box_iou

SIZES = (("very tiny", 0, 8), ("tiny", 8, 16), ("small", 16, 32), ("medium", 32, float("inf")))


def size_name(box: list[float]) -> str:
    """AI-TOD size of an [x, y, w, h] box by sqrt(w * h), in pixels."""
    side = float(np.sqrt(max(box[2], 0) * max(box[3], 0)))
    return next(name for name, low, high in SIZES if low <= side < high)


def error_counts(gt: dict, detections: list[dict], conf: float = 0.25, iou: float = 0.25) -> dict:
    """Per class and size: objects found as their class, found as another class, missed; and background hits.

    Args:
        gt (dict): COCO ground truth (images, annotations with bbox [x, y, w, h] in pixels, categories).
        detections (list[dict]): COCO detections (image_id, category_id, bbox, score).
        conf (float): Lowest detection score counted, in [0, 1].
        iou (float): Lowest IoU for a detection to hit an object, in (0, 1].

    Returns:
        (dict): {"classes": {name: {"objects", "found", "as_other": {name: n}, "missed"}}, "sizes": {size:
        {"objects", "found", "missed"}}, "detections": n >= conf, "background": n hitting no object}.

    Raises:
        ValueError: conf or iou out of range.
    """
    if not 0 <= conf <= 1 or not 0 < iou <= 1:
        raise ValueError(f"conf must be in [0, 1] and iou in (0, 1], got conf={conf}, iou={iou}")
    names = {c["id"]: str(c.get("name", c["id"])) for c in gt["categories"]}
    objects: dict[int, list[dict]] = {}
    for a in gt["annotations"]:
        if not a.get("iscrowd", 0) and not a.get("ignore", 0):
            objects.setdefault(a["image_id"], []).append(a)
    confident: dict[int, list[dict]] = {}
    for d in detections:
        if d["score"] >= conf:
            confident.setdefault(d["image_id"], []).append(d)
    classes = {n: {"objects": 0, "found": 0, "as_other": {}, "missed": 0} for n in names.values()}
    sizes = {name: {"objects": 0, "found": 0, "missed": 0} for name, _, _ in SIZES}
    background = 0
    for image in {i["id"] for i in gt["images"]} | set(confident):
        objs, dets = objects.get(image, []), confident.get(image, [])
        overlap = _box_iou(
            np.asarray([o["bbox"] for o in objs], float).reshape(-1, 4),
            np.asarray([d["bbox"] for d in dets], float).reshape(-1, 4),
        )
        hits = overlap >= iou
        background += int((~hits.any(0)).sum())  # with no object, hits is (0, M): every detection counts
        scores = np.asarray([d["score"] for d in dets], float)
        for k, o in enumerate(objs):
            cls, size = classes[names[o["category_id"]]], sizes[size_name(o["bbox"])]
            cls["objects"] += 1
            size["objects"] += 1
            if not hits[k].any():
                cls["missed"] += 1
                size["missed"] += 1
                continue
            best = dets[int(np.argmax(np.where(hits[k], scores, -1)))]
            if best["category_id"] == o["category_id"]:
                cls["found"] += 1
                size["found"] += 1
            else:
                other = names.get(best["category_id"], str(best["category_id"]))
                cls["as_other"][other] = cls["as_other"].get(other, 0) + 1
    n_detections = sum(len(d) for d in confident.values())
    return {"classes": classes, "sizes": sizes, "detections": n_detections, "background": background}


def load_val_folder(folder: Path) -> tuple[dict, list[dict]]:
    """(ground truth, detections) from a `yolo val save_json=True` folder; names the missing file."""
    from benchmarks.accuracy import AITOD_JSON

    files = [Path(folder) / name for name in AITOD_JSON]
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"'{f}' is missing: give folders written by `yolo val save_json=True`")
    return json.loads(files[0].read_text()), json.loads(files[1].read_text())


def recorded_counts(folder: Path, conf: float, iou: float) -> dict | None:
    """The counts `benchmarks.accuracy` kept in the run's result.json ("errors") for the val folder `folder`
    (`<run>/val_<subset>`), made at the same conf and iou; None where it kept none.

    The val folders are not in git; the counts are, so a fresh checkout can still tabulate the finished runs.

    Raises:
        FileNotFoundError: Neither the folder nor its run (a result.json beside it) is here.
    """
    folder = Path(folder)
    result = folder.parent / "result.json"
    if not result.is_file():
        raise FileNotFoundError(f"'{folder}' is missing and '{result}' too: give val folders of finished runs")
    errors = json.loads(result.read_text()).get("errors") or {}
    subset = folder.name.removeprefix("val_")
    if subset not in errors or (errors.get("conf"), errors.get("iou")) != (conf, iou):
        return None
    return errors[subset]


def shortest_names(paths: list[tuple[str, ...]], start: int) -> list[str]:
    """Each path as its last parts, as few as keep different paths apart (at least `start`); equal paths share one."""
    distinct = set(paths)
    for n in range(start, max(len(p) for p in paths) + 1):
        names = {p: "/".join(p[-n:]) for p in distinct}
        if len(set(names.values())) == len(distinct):
            return [names[p] for p in paths]
    return ["/".join(p) for p in paths]


def run_labels(folders: list[Path]) -> list[str]:
    """Short distinct names for val folders: the last three path parts (fuse/seed0/val_visible), more where two
    folders would share them (accuracy-v2/halmstad/baseline/seed0/val_thermal against accuracy-v2-swarm/...)."""
    parts = [Path(f).resolve().parts for f in folders]
    if len(set(parts)) < len(parts):
        raise ValueError("the same val folder is given twice")
    return shortest_names(parts, 3)


def markdown(results: dict[str, dict]) -> str:
    """One table: a row per (folder, class) and per (folder, size) with objects, found, as another class, missed."""
    lines = ["| run | class or size | objects | found | as another class | missed |", "|---|---|---:|---:|---:|---:|"]
    for run, r in results.items():
        for name, c in r["classes"].items():
            if c["objects"]:
                other = sum(c["as_other"].values())
                lines.append(f"| {run} | {name} | {c['objects']} | {c['found']} | {other} | {c['missed']} |")
        for name, s in r["sizes"].items():
            if s["objects"]:
                other = s["objects"] - s["found"] - s["missed"]
                lines.append(
                    f"| {run} | {name} (all classes) | {s['objects']} | {s['found']} | {other} | {s['missed']} |"
                )
        lines.append(f"| {run} | detections / background hits | {r['detections']} | | | {r['background']} |")
    return "\n".join(lines)


def arm_labels(folders: list[Path]) -> list[str]:
    """The arm of each val folder: its path without the `seed<n>` part, shortened to the fewest last parts that keep
    different arms apart (fuse/val_all; accuracy-v2/halmstad/fuse/val_thermal against accuracy-v2-swarm/...)."""
    return shortest_names(
        [tuple(p for p in Path(f).resolve().parts if not re.fullmatch(r"seed\d+", p)) for f in folders], 2
    )


def by_arm(results: dict[str, dict], arms: dict[str, str]) -> dict[str, dict]:
    """Per arm (runs that differ only in their seed): the seeds, and mean and std over them of the objects found
    per size, found as another class, missed, and the background hits.

    Args:
        results (dict): Run label -> `error_counts`.
        arms (dict): Run label -> its arm (`arm_labels`).

    Returns:
        (dict): {arm: {"seeds": n, "runs": [label, ...], count: {"mean": float, "std": float (ddof 1) or None for
        one seed}}}.
    """
    grouped: dict[str, list[str]] = {}
    for label in results:
        grouped.setdefault(arms[label], []).append(label)
    out = {}
    for arm, labels in grouped.items():
        counts: dict[str, list[float]] = {}
        for label in labels:
            r = results[label]
            row = {f"{size} found": s["found"] for size, s in r["sizes"].items() if s["objects"]}
            row["as another class"] = sum(sum(c["as_other"].values()) for c in r["classes"].values())
            row["missed"] = sum(c["missed"] for c in r["classes"].values())
            row["background hits"] = r["background"]
            for key, value in row.items():
                counts.setdefault(key, []).append(value)
        out[arm] = {"seeds": len(labels), "runs": labels}
        for key, values in counts.items():
            std = float(np.std(values, ddof=1)) if len(values) > 1 else None
            out[arm][key] = {"mean": float(np.mean(values)), "std": std}
    return out


def arm_markdown(arms: dict[str, dict]) -> str:
    """One row per arm: mean ± std over its seeds of each count of `by_arm` (the mean alone for one seed)."""
    order = [f"{name} found" for name, _, _ in SIZES] + ["as another class", "missed", "background hits"]
    keys = [k for k in order if any(k in a for a in arms.values())]
    lines = ["| arm | seeds | " + " | ".join(keys) + " |", "|---|---:|" + "---:|" * len(keys)]
    for arm, a in arms.items():
        cells = [
            "n/a" if k not in a else f"{a[k]['mean']:.1f}" + ("" if a[k]["std"] is None else f" ± {a[k]['std']:.1f}")
            for k in keys
        ]
        lines.append(f"| {arm} | {a['seeds']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "folders",
        nargs="+",
        type=Path,
        help="yolo val save_json=True folders (aitod_*.json); a benchmarks.accuracy run's val_<subset> folder that is "
        "not here is read from the counts its result.json kept",
    )
    p.add_argument("--conf", type=float, default=0.25, help="lowest detection score counted (default 0.25)")
    p.add_argument("--iou", type=float, default=0.25, help="lowest IoU of a hit (default 0.25, AP@0.25's)")
    p.add_argument("--out", type=Path, default=None, help="JSON output")
    args = p.parse_args(argv)
    try:
        results, recorded, missing = {}, [], []
        labels = run_labels(args.folders)
        arms = dict(zip(labels, arm_labels(args.folders)))
        for label, folder in zip(labels, args.folders):
            if folder.is_dir():
                results[label] = error_counts(*load_val_folder(folder), conf=args.conf, iou=args.iou)
            elif (counts := recorded_counts(folder, args.conf, args.iou)) is not None:
                results[label] = counts
                recorded.append(label)
            else:
                missing.append(label)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from e
    if recorded:
        print(f"from the counts kept in result.json (val folder not here): {', '.join(recorded)}")
    if missing:
        print(f"left out, neither the val folder nor counts at conf={args.conf} iou={args.iou}: {', '.join(missing)}")
    if not results:
        raise SystemExit("none of the given runs has predictions or counts to tabulate")
    table = markdown(results)
    per_arm = by_arm(results, arms)
    arm_table = arm_markdown(per_arm)
    print(table, "", "Per arm, mean ± std over seeds:", "", arm_table, sep="\n")
    out = {"command": command_line(), "conf": args.conf, "iou": args.iou, "results": results, "markdown": table}
    out |= {"arms": per_arm, "arms_markdown": arm_table, "from_result_json": recorded, "left_out": missing}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.out}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
