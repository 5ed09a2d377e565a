"""How much does SR-TOD cost at inference? Time the stock YOLO-P2 and SR-TOD variants of it, interleaved.

One command measures every model on every backend (PyTorch CPU, ONNX Runtime CPU, and CUDA / TensorRT where
present) at each image size, batch 1. Within one size and backend the models run round-robin, one inference each
per round, so the noise of a shared machine hits all of them alike; each variant's ratio to its baseline is the
median of the per-round ratios. Prints a table, writes JSON, and with `--readme` fills the README's model table.

    python -m benchmarks.latency                                   # the default set, ~10-15 min on 2 cores
    python -m benchmarks.latency --imgsz 640 --runs 30 --models yolov8n-p2 srtod-yolov8n-p2-shuffle
    python -m benchmarks.latency --readme                          # also rewrite README.md's model table
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml

from benchmarks.common import REPO, command_line, machine_info, paired_ratio, summarise
from benchmarks.latency_report import check_readme, format_table, write_readme_table

OUT = REPO / "benchmarks" / "results" / "latency.json"
SIZES = (320, 640, 1280)
RUNS = {320: 40, 640: 50, 1280: 10}  # timed rounds per size: most where the target is (640); --runs overrides
WARMUP = 3
BACKENDS = ("torch-cpu", "ort-cpu", "torch-cuda", "ort-cuda", "ort-tensorrt")


@dataclass(frozen=True)
class Variant:
    """One model to time: a YAML (stock, or SR-TOD with its `srtod:` settings changed) and its baseline."""

    base: str  # model YAML name; the scale comes from the variant's name, as for any ultralytics YAML
    srtod: dict | None = None  # overrides of the YAML's `srtod:` section; None: the YAML as it is
    baseline: str | None = None  # the model its ratio is taken against (None: it is a baseline)
    sizes: tuple[int, ...] | None = None  # the sizes it runs at in the default set (None: all)
    sparse_inference: bool = True  # False: SR-TOD's full-resolution eval path (the reference computation)
    exact_of: str | None = None  # a variant computing the same outputs the long way (checked, not timed apart)
    note: str = ""


V8, V26 = "yolov8n-p2", "yolo26n-p2"
VARIANTS = {
    V8: Variant("yolov8n-p2.yaml", note="stock ultralytics YOLOv8n-P2"),
    "srtod-yolov8n-p2-convt-full": Variant(
        "srtod-yolov8-p2.yaml", {}, V8, sparse_inference=False, note="paper head, full-resolution inference (as before)"
    ),
    "srtod-yolov8n-p2-convt": Variant(
        "srtod-yolov8-p2.yaml",
        {},
        V8,
        exact_of="srtod-yolov8n-p2-convt-full",
        note="paper head, exact sparse inference",
    ),
    "srtod-yolov8n-p2-convt128": Variant(
        "srtod-yolov8-p2.yaml", {"widths": [128, 64]}, V8, sizes=(320,), note="paper head at the official widths"
    ),
    "srtod-yolov8n-p2-half": Variant(
        "srtod-yolov8-p2.yaml", {"head": "half"}, V8, note="one paper up block, then pixel shuffle x2"
    ),
    "srtod-yolov8n-p2-shuffle": Variant(
        "srtod-yolov8-p2.yaml", {"head": "shuffle"}, V8, note="all at P2 resolution, then pixel shuffle x4"
    ),
    "srtod-yolov8n-p2-shuffle32": Variant(
        "srtod-yolov8-p2.yaml",
        {"head": "shuffle", "widths": [32, 32]},
        V8,
        sizes=(640,),
        note="the same, wider",
    ),
    "srtod-yolov8n-p2-residual": Variant(
        "srtod-yolov8-p2.yaml",
        {"enhance": "residual"},
        V8,
        sizes=(640,),
        note="paper head, exact sparse inference, residual gate",
    ),
    "srtod-yolov8n-p2-shuffle-residual": Variant(
        "srtod-yolov8-p2.yaml",
        {"head": "shuffle", "enhance": "residual"},
        V8,
        sizes=(640,),
        note="shuffle head, residual gate",
    ),
    "srtod-yolov8n-p2-fuse": Variant(
        "srtod-fuse-yolov8-p2.yaml",
        None,
        V8,
        sizes=(640,),
        note="paper head, the difference map as a learned cue (full-resolution map)",
    ),
    "srtod-yolov8n-p2-shuffle-fuse": Variant(
        "srtod-fuse-yolov8-p2.yaml",
        {"head": "shuffle"},
        V8,
        sizes=(640,),
        note="shuffle head, the learned cue",
    ),
    V26: Variant("yolo26n-p2.yaml", sizes=(640,), note="stock ultralytics YOLO26n-P2"),
    "srtod-yolo26n-p2-convt": Variant(
        "srtod-yolo26-p2.yaml", {}, V26, sizes=(640,), note="paper head, exact sparse inference"
    ),
    "srtod-yolo26n-p2-shuffle": Variant(
        "srtod-yolo26-p2.yaml",
        {"head": "shuffle"},
        V26,
        sizes=(640,),
        note="all at P2 resolution, then pixel shuffle x4",
    ),
}


def write_variant_yaml(name: str, variant: Variant, folder: Path, nc: int | None) -> Path:
    """Write the variant's model YAML into `folder` as `<name>.yaml` (its name carries the scale letter)."""
    from ultralytics.nn.tasks import yaml_model_load

    d = yaml_model_load(variant.base)
    for key in ("yaml_file", "scale"):  # recomputed from the new file's name when it loads
        d.pop(key, None)
    if variant.srtod is not None:
        d["srtod"] = {**(d.get("srtod") or {}), **variant.srtod}
    if nc is not None:
        d["nc"] = nc
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def build(name: str, variant: Variant, folder: Path, nc: int | None, seed: int = 0):
    """Build the model (random weights from `seed`, so variants of one YAML share them) as a `YOLO` object."""
    from ultralytics import YOLO

    from srtod_yolo.nn import SRTOD

    torch.manual_seed(seed)
    yolo = YOLO(str(write_variant_yaml(name, variant, folder, nc)), verbose=False)
    for m in yolo.model.modules():
        if isinstance(m, SRTOD):
            m.sparse_inference = variant.sparse_inference
    return yolo


def model_stats(model, imgsz: int = 640) -> dict:
    """Parameters and inference GFLOPs at `imgsz` (torch's FlopCounterMode on the fused eval path).

    ultralytics' thop count only sees `nn.Module` calls, so it misses the functional convolutions of SR-TOD's
    sparse inference path; on stock models both counts agree.
    """
    from torch.utils.flop_counter import FlopCounterMode

    params = sum(p.numel() for p in model.parameters())
    fused = deepcopy(model).fuse(verbose=False).eval()
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        fused(torch.zeros(1, 3, imgsz, imgsz))
    return {"params": int(params), "gflops_640": round(counter.get_total_flops() / 1e9, 3)}


def first_tensor(output) -> np.ndarray:
    """The prediction tensor of a model's or session's output, as float32 numpy."""
    while isinstance(output, (list, tuple)):
        output = output[0]
    return output.detach().float().cpu().numpy() if isinstance(output, torch.Tensor) else np.asarray(output)


def ort_session(path: Path, provider: str, threads: int):
    """An ONNX Runtime session on one provider, with `threads` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=[provider])


def available_backends(wanted: list[str]) -> tuple[list[str], list[dict]]:
    """The wanted backends this machine has, and a reason for each one skipped."""
    import onnxruntime as ort

    providers = set(ort.get_available_providers())
    missing = {
        "torch-cuda": None if torch.cuda.is_available() else "no CUDA device for PyTorch",
        "ort-cuda": None if "CUDAExecutionProvider" in providers else "onnxruntime has no CUDAExecutionProvider",
        "ort-tensorrt": None
        if "TensorrtExecutionProvider" in providers and torch.cuda.is_available()
        else "onnxruntime has no TensorrtExecutionProvider (or no CUDA device)",
    }
    run, skipped = [], []
    for b in wanted:
        if missing.get(b):
            skipped.append({"backend": b, "reason": missing[b]})
        else:
            run.append(b)
    return run, skipped


def runner(backend: str, model, onnx_path: Path, image: torch.Tensor, threads: int):
    """A zero-argument function running one batch-1 inference on `backend`, and a function returning its output."""
    if backend.startswith("torch"):
        device = "cuda" if backend == "torch-cuda" else "cpu"
        model, x = model.to(device), image.to(device)

        def infer():
            with torch.inference_mode():
                out = model(x)
            if device == "cuda":
                torch.cuda.synchronize()
            return out

        return infer
    provider = {"ort-cpu": "CPUExecutionProvider", "ort-cuda": "CUDAExecutionProvider"}.get(
        backend, "TensorrtExecutionProvider"
    )
    session = ort_session(onnx_path, provider, threads)
    feed = {session.get_inputs()[0].name: image.numpy()}
    return lambda: session.run(None, feed)


def time_interleaved(functions: dict, runs: int, warmup: int) -> dict[str, list[float]]:
    """Run each function `warmup` times, then `runs` rounds of one call each, rotating who goes first."""
    names = list(functions)
    for _ in range(warmup):
        for n in names:
            functions[n]()
    times = {n: [] for n in names}
    for r in range(runs):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            start = time.perf_counter()
            functions[n]()
            times[n].append(time.perf_counter() - start)
    return times


def export_onnx(yolo, name: str, imgsz: int, folder: Path) -> Path:
    """Export with ultralytics' exporter (fp32, static batch 1, simplified) to `<folder>/<name>-<imgsz>.onnx`."""
    exported = Path(yolo.export(format="onnx", imgsz=imgsz, batch=1, simplify=True, dynamic=False, device="cpu"))
    target = folder / f"{name}-{imgsz}.onnx"
    exported.replace(target)
    return target


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--imgsz", type=int, nargs="+", default=list(SIZES), help="square image sizes")
    parser.add_argument("--runs", type=int, default=None, help=f"timed rounds at every size (default {RUNS})")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed rounds first")
    parser.add_argument(
        "--models", nargs="+", default=None, choices=list(VARIANTS), help="models (default: all, at their sizes)"
    )
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: usable cores)")
    parser.add_argument("--nc", type=int, default=None, help="number of classes (default: the YAMLs' 80)")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON result file")
    parser.add_argument(
        "--readme", type=Path, nargs="?", const=REPO / "README.md", default=None, help="rewrite this README's table"
    )
    args = parser.parse_args(argv)
    if min(args.imgsz) < 32 or any(s % 32 for s in args.imgsz):
        parser.error(f"--imgsz values must be multiples of 32 (the model stride), got {args.imgsz}")
    if args.runs is not None and args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    if args.readme:
        try:  # fail now, not after a quarter of an hour of timing
            check_readme(args.readme)
        except (FileNotFoundError, ValueError) as e:
            parser.error(str(e))
    return args


def plan(args) -> dict[int, list[str]]:
    """Models to run at each size. Named models run at every size, with their baselines; the default set keeps
    each model to its sizes, and a stock model runs only where a variant of it does."""
    chosen = list(args.models or VARIANTS)
    for name in list(chosen):  # a variant is only timed beside its baseline
        base = VARIANTS[name].baseline
        if base and base not in chosen:
            chosen.insert(0, base)
    out = {}
    for s in args.imgsz:
        names = [n for n in chosen if args.models or VARIANTS[n].sizes is None or s in VARIANTS[n].sizes]
        if not args.models:
            names = [n for n in names if VARIANTS[n].baseline or any(VARIANTS[m].baseline == n for m in names)]
        if names:
            out[s] = names
    return out


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from ultralytics.utils import LOGGER

    LOGGER.setLevel(logging.WARNING)  # the exporter and model summaries would drown the table
    threads = args.threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    torch.set_num_threads(threads)
    backends, skipped = available_backends(args.backends)
    sizes = plan(args)
    started = time.time()
    result = {
        "command": command_line(),
        "machine": machine_info(threads),
        "settings": {
            "imgsz": list(sizes),
            "runs": {s: args.runs or RUNS.get(s, 20) for s in sizes},
            "warmup": args.warmup,
            "backends": backends,
            "nc": args.nc or 80,
            "batch": 1,
        },
        "skipped": skipped,
        "models": {},
        "results": [],
        "checks": [],
    }
    image_rng = torch.Generator().manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="srtod-latency-") as tmp:
        folder = Path(tmp)
        yolos = {n: build(n, VARIANTS[n], folder, args.nc) for n in dict.fromkeys(sum(sizes.values(), []))}
        for n, yolo in yolos.items():
            v = VARIANTS[n]
            settings = getattr(yolo.model, "srtod_settings", None)
            result["models"][n] = {
                **model_stats(yolo.model),
                "yaml": v.base,
                "srtod": settings,
                "overrides": v.srtod,
                "sparse_inference": v.sparse_inference if settings else None,
                "baseline": v.baseline,
                "note": v.note,
            }
        fused = {n: deepcopy(y.model).fuse(verbose=False).eval() for n, y in yolos.items()}
        for imgsz, names in sizes.items():
            runs = args.runs or RUNS.get(imgsz, 20)
            image = torch.rand(1, 3, imgsz, imgsz, generator=image_rng)
            onnx = (
                {n: export_onnx(yolos[n], n, imgsz, folder) for n in names} if any("ort" in b for b in backends) else {}
            )
            outputs = {}
            for backend in backends:
                fns = {n: runner(backend, fused[n], onnx.get(n), image, threads) for n in names}
                outputs[backend] = {n: first_tensor(fn()) for n, fn in fns.items()}
                print(f"timing {len(names)} models at {imgsz} on {backend}: {runs} interleaved rounds", flush=True)
                times = time_interleaved(fns, runs, args.warmup)
                for n in names:
                    row = {"model": n, "backend": backend, "imgsz": imgsz, **summarise(times[n])}
                    base = VARIANTS[n].baseline
                    if base in times:
                        row.update(baseline=base, **paired_ratio(times[n], times[base]))
                        row["ratio_of_medians"] = round(float(np.median(times[n]) / np.median(times[base])), 4)
                    result["results"].append(row)
                for n in fns:
                    fused[n].to("cpu")
                del fns
            result["checks"] += output_checks(names, outputs, imgsz)
    result["machine"]["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    result["duration_s"] = round(time.time() - started, 1)
    print(format_table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    if args.readme:
        write_readme_table(args.readme, result)
        print(f"rewrote the model table in {args.readme}")
    return result


def output_checks(names: list[str], outputs: dict, imgsz: int) -> list[dict]:
    """Max |difference| of raw predictions: each backend vs PyTorch CPU, and each exact shortcut vs its long way."""
    checks = []
    reference = outputs.get("torch-cpu", {})
    for n in names:
        row = {"model": n, "imgsz": imgsz}
        for backend, outs in outputs.items():
            if backend != "torch-cpu" and n in reference and outs[n].shape == reference[n].shape:
                row[f"{backend}_vs_torch_cpu_max_abs"] = float(np.abs(outs[n] - reference[n]).max())
        full = VARIANTS[n].exact_of
        if full in names:
            row["exact_of"] = full
            for backend, outs in outputs.items():
                row[f"{backend}_vs_exact_of_max_abs"] = float(np.abs(outs[n] - outs[full]).max())
        checks.append(row)
    return checks


if __name__ == "__main__":
    main()
