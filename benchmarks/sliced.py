"""What does sliced (SAHI) inference cost per high-resolution frame? Whole frame vs slices, interleaved.

For 1920x1080 and 3840x2160 frames and each model (random weights: the cost does not depend on them), one round
times every way of running a frame once, round after round, so the noise of a shared machine hits all alike:

- `whole`: the stock predictor, the frame letterboxed to 640 (a 3-px target shrinks to 1 px or less);
- `sliced-b1`: `slice=True` with its defaults (640-px slices, overlap 0.2, plus the whole frame), one slice per
  forward pass (`slice_batch=1`, what the default picks on a CPU);
- `sliced-b16`: the same, 16 slices per forward pass (what the default picks on a GPU): what batching buys;
- `sahi-loop`: SAHI's own `get_sliced_prediction` over the same in-memory model through SAHI's ultralytics
  adapter, one slice per call (its default), same slices, whole-frame pass and merge.

Each time is the wall clock of one frame through `YOLO.predict` (or SAHI's call), from the decoded frame to merged
full-frame boxes. Prints a table, writes JSON.

    python -m benchmarks.sliced                     # ~10 min on 2 cores shared with other jobs
    python -m benchmarks.sliced --rounds 3 --sizes 1920x1080 --models srtod-yolov8n-p2
"""

from __future__ import annotations

import argparse
import json
import os
import time
from copy import deepcopy
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import REPO, command_line, machine_info, package_version, paired_ratio, summarise

OUT = REPO / "benchmarks" / "results" / "sliced.json"
MODELS = ("yolov8n-p2", "srtod-yolov8n-p2")
SIZES = ("1920x1080", "3840x2160")
MODES = ("whole", "sliced-b1", "sliced-b16", "sahi-loop")
IMGSZ, SLICE, OVERLAP = 640, 640, 0.2


def sky(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A bright sky gradient with sensor noise and a few dark 3-px dots (BGR uint8)."""
    rng = np.random.default_rng(seed)
    frame = np.linspace(170, 220, height, dtype=np.float32)[:, None, None].repeat(width, 1).repeat(3, 2)
    frame += rng.normal(0, 3, frame.shape).astype(np.float32)
    frame = frame.clip(0, 255).astype(np.uint8)
    for x, y in zip(rng.integers(0, width - 3, 40), rng.integers(0, height - 3, 40)):
        frame[y : y + 3, x : x + 3] = 40
    return frame


def runners(name: str) -> dict:
    """One callable per mode, each predicting one BGR frame with the same in-memory model."""
    from sahi.models.ultralytics import UltralyticsDetectionModel
    from sahi.predict import get_sliced_prediction
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO(f"{name}.yaml")
    common = dict(imgsz=IMGSZ, verbose=False, device="cpu")
    sliced = dict(slice=True, slice_size=SLICE, slice_overlap=OVERLAP, **common)
    # A twin with the same weights: SAHI passes its own torch.device, and ultralytics rebuilds a predictor whose
    # device argument changes, which would charge a model setup to every call if both shared one YOLO object.
    twin = deepcopy(model)
    adapter = UltralyticsDetectionModel(model=twin, confidence_threshold=0.25, image_size=IMGSZ, device="cpu")

    def sahi_loop(frame):
        return get_sliced_prediction(
            frame[..., ::-1],  # SAHI takes RGB
            adapter,
            slice_height=SLICE,
            slice_width=SLICE,
            overlap_height_ratio=OVERLAP,
            overlap_width_ratio=OVERLAP,
            perform_standard_pred=True,
            verbose=0,
        )

    return {
        "whole": lambda frame: model.predict(frame, **common),
        "sliced-b1": lambda frame: model.predict(frame, slice_batch=1, **sliced),
        "sliced-b16": lambda frame: model.predict(frame, slice_batch=16, **sliced),
        "sahi-loop": sahi_loop,
    }


def slices_per_frame(width: int, height: int) -> int:
    """Network inputs per frame when sliced: the slices plus the whole frame."""
    from srtod_yolo.yolo.sliced import plan_slices

    return len(plan_slices([(height, width)], SLICE, OVERLAP, full=True).frame)


def measure(models: list[str], sizes: list[str], modes: list[str], rounds: int) -> dict:
    """Warm every (model, mode) once, then time `rounds` interleaved rounds; return per-combination stats."""
    frames = {s: sky(*map(int, s.split("x"))) for s in sizes}
    run = {m: runners(m) for m in models}
    keys = [(m, s, mode) for s in sizes for m in models for mode in modes]
    for m in models:  # warm-up on the smallest frame: first-call costs (model fusing, SAHI's imports) stay out
        for mode in modes:
            run[m][mode](frames[sizes[0]])
    times = {k: [] for k in keys}
    for r in range(rounds):
        for k in keys:
            m, s, mode = k
            t = time.perf_counter()
            run[m][mode](frames[s])
            times[k].append(time.perf_counter() - t)
        print(f"round {r + 1}/{rounds} done", flush=True)
    out = {}
    for m in models:
        for s in sizes:
            w, h = map(int, s.split("x"))
            row = {"model": m, "size": s, "inputs_per_frame": {"whole": 1, "sliced": slices_per_frame(w, h)}}
            for mode in modes:
                row[mode] = summarise(times[(m, s, mode)])
                row[mode]["times_ms"] = [round(t * 1e3, 1) for t in times[(m, s, mode)]]
                if mode != "whole" and "whole" in modes:
                    row[mode]["vs_whole"] = paired_ratio(times[(m, s, mode)], times[(m, s, "whole")])
            out[f"{m}@{s}"] = row
    return out


def table(results: dict, modes: list[str]) -> str:
    """A Markdown table: median ms per frame of each mode, and slices per frame."""
    head = "| model | frame | inputs (sliced) | " + " | ".join(f"{m} ms" for m in modes) + " | sliced-b1 / whole |"
    lines = [head, "|" + " --- |" * (4 + len(modes))]
    for row in results.values():
        cells = [f"{row[m]['median_ms']:.0f}" for m in modes]
        ratio = row.get("sliced-b1", {}).get("vs_whole", {}).get("ratio")
        ratio = f"x{ratio:.1f}" if ratio else "-"
        lines.append(
            f"| {row['model']} | {row['size']} | {row['inputs_per_frame']['sliced']} | "
            + " | ".join(cells)
            + f" | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, measure, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="model YAML names without .yaml")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), help="frame sizes WIDTHxHEIGHT")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median over them)")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")  # before ultralytics loads: no slice-plan line per mode
    torch.set_num_threads(args.threads)
    info = machine_info(args.threads)
    info["sahi"] = package_version("sahi")
    started = time.time()
    results = measure(args.models, args.sizes, args.modes, args.rounds)
    info["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    report = {
        "command": command_line(),
        "machine": info,
        "settings": {"imgsz": IMGSZ, "slice_size": SLICE, "slice_overlap": OVERLAP, "slice_full": True, "conf": 0.25},
        "rounds": args.rounds,
        "seconds": round(time.time() - started, 1),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(table(results, args.modes))
    print(f"{info['cpu']}, {args.threads} threads, load {info['load_average']} -> {info['load_average_after']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
