"""How well do the trackers follow tiny drones? HOTA, MOTA, IDF1, ID switches, state accuracy and end-to-end fps.

Rows: detections (the released baseline and SR-TOD weights, or noisy detections derived from the ground truth)
x trackers (stock ByteTrack, stock BoT-SORT, srtod-bytetrack), on the five labelled real Halmstad clips (thermal and
visible apart) and on synthetic swarm clips with ground-truth identities (srtod_yolo.data.synth.render_swarm_clip).
Each source's detections are computed once per clip and cached (runs/tracking-cache/), then every tracker runs on
the same boxes, fed as `yolo track` feeds them (`tracker.update(boxes, frame)`). Metrics are TrackEval's
(srtod_yolo.metrics.tracking), pooled over the clips of a group; class-agnostic (every labelled box is a target).

Frames per second: frames / (decode + inference + tracking) seconds, single process on this CPU; for noisy-gt rows
the tracker alone. The machine is shared with other jobs: compare fps within one run only.

    python -m benchmarks.tracking                                  # first 150 frames of each clip, ~5 min
    python -m benchmarks.tracking --frames 0                       # whole clips (as in docs/tracking.md)
    python -m benchmarks.tracking --real --sources noisy-gt --synthetic-seeds 100 101 --set nwd_constant=6
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, command_line, machine_info, write_record
from benchmarks.tracking_data import (
    CACHE,
    REAL,
    Clip,
    frames_of,
    model_detections,
    noisy_gt_detections,
    real_clips,
    synthetic_clips,
)
from srtod_yolo.data.images import native_imgsz

OUT = REPO / "benchmarks" / "results" / "tracking.json"
TRACKERS = {"bytetrack": "bytetrack.yaml", "botsort": "botsort.yaml", "srtod-bytetrack": "srtod-bytetrack.yaml"}
SOURCES = ("baseline", "srtod", "noisy-gt")


def make_tracker(name: str, overrides: dict | None = None):
    """A fresh tracker from its YAML (resolved by name as `yolo track tracker=...` does), with overrides applied."""
    from ultralytics.trackers.track import TRACKER_MAP
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    cfg = IterableSimpleNamespace(**YAML.load(check_yaml(TRACKERS[name])))
    cfg.device = "cpu"
    for key, value in (overrides or {}).items():
        if not hasattr(cfg, key):
            raise ValueError(f"--set {key}: {TRACKERS[name]} has no such setting")
        setattr(cfg, key, type(getattr(cfg, key))(value))
    return TRACKER_MAP[cfg.tracker_type](args=cfg)


def run_tracker(clip: Clip, detections: np.ndarray, tracker) -> tuple[np.ndarray, float]:
    """Feed a clip's cached detections frame by frame; return rows frame, id, x, y, w, h, score and seconds spent."""
    from ultralytics.engine.results import Boxes

    rows, seconds = [], 0.0
    for f, frame in frames_of(clip.video, clip.frames):
        boxes = Boxes(detections[detections[:, 0] == f, 1:].astype(np.float32), frame.shape[:2]).cpu().numpy()
        start = time.perf_counter()
        tracks = tracker.update(boxes, frame)
        seconds += time.perf_counter() - start
        for x0, y0, x1, y1, track_id, score, *_ in tracks:
            rows.append((f, track_id, x0, y0, x1 - x0, y1 - y0, score))
    return np.asarray(rows, float).reshape(-1, 7), seconds


def score_group(runs: list[dict]) -> dict:
    """Pool a group's per-clip results: TrackEval's combined metrics, state accuracy over all frames, fps."""
    from srtod_yolo.metrics.tracking import combine, summary

    out = summary(combine([r["raw"] for r in runs]))
    frames = sum(r["frames"] for r in runs)
    if all(r.get("state_accuracy") is not None for r in runs):
        out["state_accuracy"] = sum(r["state_accuracy"] * r["frames"] for r in runs) / frames
    out["fps"] = frames / sum(r["seconds"] for r in runs)
    out["clips"] = [r["clip"] for r in runs]
    out["frames"] = frames
    return out


def evaluate(clips: list[Clip], sources: list[str], trackers: list[str], args) -> dict:
    """Run every (source, tracker) on every clip; return per-clip and per-group (sensor) results."""
    from srtod_yolo.metrics.tracking import evaluate_sequence, state_accuracy, summary

    per_clip, groups = [], {}
    for clip in clips:
        size = native_imgsz(clip.video) if args.imgsz == "native" and set(sources) - {"noisy-gt"} else args.imgsz
        for source in sources:
            imgsz = None
            if source == "noisy-gt":
                detections, detect_s = noisy_gt_detections(clip, args.noise_seed), 0.0
            else:
                imgsz = size
                detections, seconds = model_detections(clip, source, imgsz, args.refresh, args.cache)
                detect_s = float(seconds.sum())
            for name in trackers:
                tracks, track_s = run_tracker(
                    clip, detections, make_tracker(name, args.set if name == "srtod-bytetrack" else None)
                )
                raw = evaluate_sequence(clip.gt, tracks[:, :6], frames=clip.frames)
                first = tracks[np.lexsort((-tracks[:, 6], tracks[:, 0]))]  # per frame, the most confident first
                sa = state_accuracy(clip.gt, first, clip.frames) if clip.sensor != "synthetic" else None
                run = {"clip": clip.name, "sensor": clip.sensor, "source": source, "tracker": name, "raw": raw}
                run["imgsz"] = imgsz  # None for noisy-gt
                run.update(frames=clip.frames, seconds=detect_s + track_s, state_accuracy=sa)
                per_clip.append(run)
                groups.setdefault((clip.sensor, source, name), []).append(run)
                m = summary(raw)
                print(
                    f"  {clip.name:14s} {source:9s} {name:16s} HOTA {100 * m['HOTA']:5.1f} IDF1 {100 * m['IDF1']:5.1f}"
                )
    table = [{"group": g, "source": s, "tracker": t, **score_group(runs)} for (g, s, t), runs in groups.items()]
    clips_out = [
        {k: v for k, v in r.items() if k != "raw"} | summary(r["raw"]) | {"fps": r["frames"] / r["seconds"]}
        for r in per_clip
    ]
    return {"table": table, "per_clip": clips_out}


def print_table(table: list[dict]) -> str:
    """The Markdown table of the pooled results (percentages, as TrackEval prints them)."""
    head = "| clips | detections | tracker | HOTA | DetA | AssA | MOTA | IDF1 | IDSW | FP | FN | state acc | fps |"
    lines = [head, "|" + "---|" * 3 + "---:|" * 10]
    for r in table:
        sa = f"{100 * r['state_accuracy']:.1f}" if "state_accuracy" in r else "n/a"
        lines.append(
            f"| {r['group']} ({len(r['clips'])}) | {r['source']} | {r['tracker']} | {100 * r['HOTA']:.1f} | "
            f"{100 * r['DetA']:.1f} | {100 * r['AssA']:.1f} | {100 * r['MOTA']:.1f} | {100 * r['IDF1']:.1f} | "
            f"{r['IDSW']:.0f} | {r['CLR_FP']:.0f} | {r['CLR_FN']:.0f} | {sa} | {r['fps']:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    return text


def print_per_clip(per_clip: list[dict], trackers: list[str]) -> str:
    """Markdown: one row per (clip, detections), HOTA / IDF1 / state accuracy of each tracker side by side."""
    head = "| clip | sensor | detections | " + " | ".join(f"{t} HOTA / IDF1 / SA" for t in trackers) + " |"
    lines = [head, "|---|---|---|" + "---:|" * len(trackers)]
    rows: dict = {}
    for r in per_clip:
        rows.setdefault((r["clip"], r["sensor"], r["source"]), {})[r["tracker"]] = r
    for (clip, sensor, source), by_tracker in rows.items():
        cells = []
        for t in trackers:
            r = by_tracker.get(t)
            sa = "n/a" if r is None or r["state_accuracy"] is None else f"{100 * r['state_accuracy']:.1f}"
            cells.append("" if r is None else f"{100 * r['HOTA']:.1f} / {100 * r['IDF1']:.1f} / {sa}")
        lines.append(f"| {clip} | {sensor} | {source} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    return text


def _imgsz(value: str) -> int | str:
    """--imgsz: 'native' or a positive whole number of pixels."""
    if value == "native":
        return value
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size <= 0:
        raise argparse.ArgumentTypeError(f"give 'native' or a positive whole number of pixels, not {value!r}")
    return size


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--real", nargs="*", default=None, help="real clip names (default all five; give none to skip)")
    p.add_argument("--real-dir", type=Path, default=REAL, help="folder of real clips with *_LABELS.csv")
    p.add_argument("--no-real", action="store_true", help="skip the real clips")
    p.add_argument("--synthetic-seeds", nargs="*", type=int, default=[0, 1, 2], help="synthetic clip seeds")
    p.add_argument("--synthetic-frames", type=int, default=150, help="frames of each synthetic clip")
    p.add_argument("--frames", type=int, default=150, help="first N frames of each real clip (0: all)")
    p.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    p.add_argument("--trackers", nargs="+", default=list(TRACKERS), choices=list(TRACKERS))
    p.add_argument(
        "--imgsz",
        type=_imgsz,
        default="native",
        help="inference size, or 'native' (default): each clip at its own size, thermal 320 and visible 640, as the "
        "released weights were validated",
    )
    p.add_argument("--noise-seed", type=int, default=0, help="seed of the noisy-gt detections")
    p.add_argument("--set", nargs="*", default=[], help="key=value overrides of srtod-bytetrack.yaml (for tuning)")
    p.add_argument("--cache", type=Path, default=CACHE, help="folder of rendered clips and cached detections")
    p.add_argument("--refresh", action="store_true", help="recompute cached model detections")
    p.add_argument("--out", type=Path, default=OUT, help="JSON output (default benchmarks/results/tracking.json)")
    args = p.parse_args(argv)
    args.set = dict(kv.split("=", 1) for kv in args.set)

    clips = [] if args.no_real else real_clips(args.real or None, args.frames, args.real_dir)
    clips += synthetic_clips(args.synthetic_seeds, args.synthetic_frames, args.cache)
    result = evaluate(clips, args.sources, args.trackers, args)
    table = sorted(result["table"], key=lambda r: (r["group"], r["source"], r["tracker"]))
    per_clip_markdown = print_per_clip(result["per_clip"], args.trackers)
    markdown = print_table(table)
    out = {
        "command": command_line(),
        "machine": machine_info(threads=0) | {"note": "2 cores shared with other engineers' jobs"},
        "synthetic_seeds": args.synthetic_seeds,
        "noise_seed": args.noise_seed,
        "imgsz": args.imgsz,
        "srtod_bytetrack_overrides": args.set,
        "table": table,
        "markdown": markdown,
        "per_clip_markdown": per_clip_markdown,
        "per_clip": result["per_clip"],
    }
    return write_record(out, args.out)


if __name__ == "__main__":
    main()
