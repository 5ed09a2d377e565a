"""Copy accuracy-benchmark runs into `weights/` as released checkpoints, with their recorded metrics.

    python -m benchmarks.release --dataset halmstad --seed 0 [--variants baseline full rt]

copies the seed's last-epoch weights of the baseline, of full SR-TOD and of the real-time model (`rt`:
`srtod-rt-yolov8n-p2.yaml`) to `weights/yolov8n-p2-<dataset>.pt`, `weights/srtod-yolov8n-p2-<dataset>.pt` and
`weights/srtod-rt-yolov8n-p2-<dataset>.pt`, and records in `weights/metrics.json` the validation metrics the
benchmark measured for them, which `tests/test_weights.py` reproduces with the stock `yolo` command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "benchmarks" / "results" / "accuracy"
RELEASES = {
    "baseline": "yolov8n-p2-{dataset}.pt",
    "full": "srtod-yolov8n-p2-{dataset}.pt",
    "rt": "srtod-rt-yolov8n-p2-{dataset}.pt",
}


def _scrub(obj, prefix: str):
    """`obj` with every string under `prefix` (this checkout) made relative to it, in nested dicts and lists."""
    if isinstance(obj, str) and obj.startswith(prefix):
        return obj[len(prefix) :].lstrip("/") or "."
    if isinstance(obj, dict):
        return {k: _scrub(v, prefix) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_scrub(v, prefix) for v in obj)
    return obj


def _copy_without_local_paths(source: Path, target: Path) -> None:
    """Copy a checkpoint, making this machine's paths (training arguments, git root, YAML file) relative."""
    import torch

    prefix = str(REPO)
    ckpt = torch.load(source, map_location="cpu", weights_only=False)
    for key, value in ckpt.items():
        if key in ("model", "ema"):
            if value is not None:
                value.yaml = _scrub(value.yaml, prefix)
                args = value.args if isinstance(value.args, dict) else vars(value.args)
                args.update(_scrub(dict(args), prefix))
        else:
            ckpt[key] = _scrub(value, prefix)
    torch.save(ckpt, target)


def release(dataset: str, seed: int, out: Path = REPO / "weights", variants=("baseline", "full")) -> dict:
    """Copy the runs' weights into `out` and merge their records into `out/metrics.json`; return the records.

    Raises ValueError for a variant that is not released and FileNotFoundError for a run that is not here.
    """
    unknown = sorted(set(variants) - set(RELEASES))
    if unknown:
        raise ValueError(f"variants {unknown} are not released; choose from {sorted(RELEASES)}")
    out.mkdir(parents=True, exist_ok=True)
    metrics_file = out / "metrics.json"
    records = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    for variant in variants:
        pattern = RELEASES[variant]
        run = RUNS / dataset / variant / f"seed{seed}"
        result = json.loads((run / "result.json").read_text())
        weights = run / "train" / "weights" / "last.pt"
        if not weights.is_file():
            raise FileNotFoundError(f"'{weights}' not found: run the accuracy benchmark for {variant} seed {seed} here")
        name = pattern.format(dataset=dataset)
        _copy_without_local_paths(weights, out / name)
        records[name] = {
            "dataset": dataset,
            "variant": variant,
            "seed": seed,
            "schedule": result["schedule"],
            "train_command": ("yolo " + result["command"]).replace(f"{REPO}/", ""),
            "val": {"imgsz": result["schedule"]["imgsz"], "batch": 16, "conf": 0.001},
            "metrics": result["metrics"],
            "bytes": (out / name).stat().st_size,
        }
    metrics_file.write_text(json.dumps(records, indent=2, allow_nan=True) + "\n")
    return records


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="halmstad")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variants", nargs="+", default=["baseline", "full"], choices=sorted(RELEASES))
    args = p.parse_args(argv)
    for name, record in release(args.dataset, args.seed, variants=args.variants).items():
        print(f"{name}: {record['bytes'] / 1e6:.1f} MB, AP {record['metrics']['all']['AP']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
