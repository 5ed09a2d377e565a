"""Where does the time go? ONNX Runtime's per-node profile of the latency benchmark's models, grouped by part.

Each model is exported as in `benchmarks.latency` and profiled with ONNX Runtime's own profiler (kernel time per
node, averaged over the profiled runs). Nodes are grouped into backbone + neck, the Detect head, the SR-TOD layer
and ONNX Runtime's layout reorders; the SR-TOD layer's nodes are listed one by one with their output shapes.
The profiler measures kernels only: their sum is below the wall time of a run.

    python -m benchmarks.latency_profile --imgsz 640 --models yolov8n-p2 srtod-yolov8n-p2-convt-full
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from benchmarks.latency import VARIANTS, build, export_onnx, ort_session

DEFAULT_MODELS = [
    "yolov8n-p2",
    "srtod-yolov8n-p2-convt-full",
    "srtod-yolov8n-p2-convt",
    "srtod-yolov8n-p2-half",
    "srtod-yolov8n-p2-shuffle",
]


def layer_indices(model) -> tuple[int | None, int]:
    """Indices of the SR-TOD layer (None without one) and of the Detect head in a model's layer list."""
    from srtod_yolo.nn import SRTOD

    srtod = next((m.i for m in model.model if isinstance(m, SRTOD)), None)
    return srtod, model.model[-1].i


def profile(onnx_path: Path, imgsz: int, runs: int, threads: int, folder: Path) -> tuple[list[dict], float]:
    """Per-node kernel time (ms per run) of an ONNX model, and the median wall time of the profiled runs."""
    import time

    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.enable_profiling = True
    options.profile_file_prefix = str(folder / onnx_path.stem)
    warm = ort_session(onnx_path, "CPUExecutionProvider", threads)  # warm caches without profiling the warm-up
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.random.default_rng(0).random((1, 3, imgsz, imgsz), np.float32)}
    for _ in range(2):
        warm.run(None, feed)
        session.run(None, feed)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        walls.append(time.perf_counter() - start)
    events = json.loads(Path(session.end_profiling()).read_text())
    nodes = defaultdict(lambda: {"us": 0.0, "count": 0})
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            node = nodes[e["name"][: -len("_kernel_time")]]
            node["us"] += e["dur"]
            node["count"] += 1
            node["op"] = e["args"].get("op_name", "?")
            shapes = e["args"].get("output_type_shape") or [{}]
            node["shape"] = next(iter(shapes[0].values()), [])
    total_runs = runs + 2  # the profiled warm-up runs count too
    rows = [{"node": k, "op": v["op"], "shape": v["shape"], "ms": v["us"] / 1e3 / total_runs} for k, v in nodes.items()]
    return rows, float(np.median(walls) * 1e3)


def part_of(node: str, srtod: int | None, detect: int) -> str:
    """Which part of the network a node belongs to, from the module path in its name."""
    m = re.match(r"^(?:fused )?/model\.(\d+)/", node)
    if not m:
        return "layout reorders"
    i = int(m.group(1))
    if i == srtod:
        return "SR-TOD layer"
    return "Detect head" if i == detect else "backbone + neck"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--runs", type=int, default=10, help="profiled runs per model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(VARIANTS))
    parser.add_argument("--out", type=Path, default=None, help="also write the node times as JSON")
    args = parser.parse_args(argv)
    from ultralytics.utils import LOGGER

    LOGGER.setLevel(logging.WARNING)
    torch.set_num_threads(args.threads)
    report = {}
    with tempfile.TemporaryDirectory(prefix="srtod-profile-") as tmp:
        folder = Path(tmp)
        for name in args.models:
            yolo = build(name, VARIANTS[name], folder, None)
            srtod, detect = layer_indices(yolo.model)
            rows, wall = profile(
                export_onnx(yolo, name, args.imgsz, folder), args.imgsz, args.runs, args.threads, folder
            )
            parts = defaultdict(float)
            for r in rows:
                parts[part_of(r["node"], srtod, detect)] += r["ms"]
            report[name] = {"wall_ms": wall, "parts_ms": dict(parts), "srtod_nodes": [], "nodes": rows}
            if srtod is not None:
                report[name]["srtod_nodes"] = [r for r in rows if part_of(r["node"], srtod, detect) == "SR-TOD layer"]
    print(f"\nONNX Runtime CPU, {args.imgsz}x{args.imgsz}, {args.threads} threads: kernel ms per run by part\n")
    parts = ["backbone + neck", "Detect head", "SR-TOD layer", "layout reorders"]
    print("| model | " + " | ".join(parts) + " | sum of kernels | wall (median) |")
    print("|---|" + "---:|" * (len(parts) + 2))
    for name, r in report.items():
        cells = [f"{r['parts_ms'].get(p, 0.0):.1f}" for p in parts]
        print(f"| {name} | " + " | ".join(cells) + f" | {sum(r['parts_ms'].values()):.1f} | {r['wall_ms']:.1f} |")
    for name, r in report.items():
        if not r["srtod_nodes"]:
            continue
        print(f"\n{name}: SR-TOD layer nodes (>= 0.1 ms)\n\n| node | op | output | ms |\n|---|---|---|---:|")
        for n in r["srtod_nodes"]:
            if n["ms"] >= 0.1:
                print(f"| `{n['node']}` | {n['op']} | {'x'.join(map(str, n['shape']))} | {n['ms']:.2f} |")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"imgsz": args.imgsz, "threads": args.threads, "models": report}, indent=1))


if __name__ == "__main__":
    main()
