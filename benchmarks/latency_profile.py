"""Where does the time go? ONNX Runtime's per-node profile of the latency benchmark's models, grouped by part.

Each model is exported as in `benchmarks.latency` and profiled with ONNX Runtime's own profiler (kernel time per
node, averaged over the profiled runs). Nodes are grouped into backbone + neck, the Detect head, the SR-TOD layer
and ONNX Runtime's layout reorders; the SR-TOD layer's nodes are listed one by one with their output shapes. The
models run round-robin, as in the latency benchmark. The profiler counts kernel time only.

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

from benchmarks.latency import VARIANTS, build, export_onnx

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


def profile(paths: dict[str, Path], imgsz: int, runs: int, threads: int, folder: Path) -> dict[str, tuple]:
    """Per-node kernel time (ms per run) of each ONNX model, and its median wall time; models run round-robin."""
    import onnxruntime as ort

    from benchmarks.latency import time_interleaved

    feed = np.random.default_rng(0).random((1, 3, imgsz, imgsz), np.float32)
    sessions, functions = {}, {}
    for name, path in paths.items():
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.enable_profiling = True
        options.profile_file_prefix = str(folder / path.stem)
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        inputs = {session.get_inputs()[0].name: feed}
        sessions[name], functions[name] = session, (lambda s=session, i=inputs: s.run(None, i))
    warmup = 2
    walls = time_interleaved(functions, runs, warmup)
    out = {}
    for name, session in sessions.items():
        events = json.loads(Path(session.end_profiling()).read_text())
        nodes = defaultdict(lambda: {"us": 0.0})
        for e in events:
            if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
                node = nodes[e["name"][: -len("_kernel_time")]]
                node["us"] += e["dur"]
                node["op"] = e["args"].get("op_name", "?")
                shapes = e["args"].get("output_type_shape") or [{}]
                node["shape"] = next(iter(shapes[0].values()), [])
        total = runs + warmup  # the profiler records the warm-up runs too
        rows = [{"node": k, "op": v["op"], "shape": v["shape"], "ms": v["us"] / 1e3 / total} for k, v in nodes.items()]
        out[name] = (rows, float(np.median(walls[name]) * 1e3))
    return out


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
        paths, indices = {}, {}
        for name in args.models:
            yolo = build(name, VARIANTS[name], folder, None)
            indices[name] = layer_indices(yolo.model)
            paths[name] = export_onnx(yolo, name, args.imgsz, folder)
        profiles = profile(paths, args.imgsz, args.runs, args.threads, folder)
    for name, (rows, wall) in profiles.items():
        srtod, detect = indices[name]
        parts = defaultdict(float)
        for r in rows:
            parts[part_of(r["node"], srtod, detect)] += r["ms"]
        own = [r for r in rows if part_of(r["node"], srtod, detect) == "SR-TOD layer"]
        report[name] = {"wall_ms": wall, "parts_ms": dict(parts), "srtod_nodes": own, "nodes": rows}
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
