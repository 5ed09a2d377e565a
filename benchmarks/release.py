"""Copy accuracy-benchmark runs into `weights/` as released checkpoints, with their recorded metrics.

    python -m benchmarks.release --dataset halmstad --seed 0 [--variants baseline full rt]

copies the seed's last-epoch weights of the baseline, of full SR-TOD and of the real-time model (`rt`:
`srtod-rt-yolov8n-p2.yaml`) to `weights/yolov8n-p2-<dataset>.pt`, `weights/srtod-yolov8n-p2-<dataset>.pt` and
`weights/srtod-rt-yolov8n-p2-<dataset>.pt`, and records in `weights/metrics.json` the validation metrics the
benchmark measured for them, which `tests/test_weights.py` reproduces with the stock `yolo` command.

The second study's runs (docs/results.md) release the same way from their folder (`fuse` as
`srtod-fuse-yolov8n-p2-<dataset>.pt`; `--name VARIANT=FILE.pt` gives another name):

    python -m benchmarks.release --runs benchmarks/results/accuracy-v2-swarm --dataset halmstad --seed 0 \
        --variants baseline fuse
    python -m benchmarks.release --runs benchmarks/results/accuracy-v2 --dataset synth --seed 0 \
        --variants baseline fuse --name baseline=yolov8n-p2-swarm.pt fuse=srtod-fuse-yolov8n-p2-swarm.pt

(the second: swarm-trained `pretrained=` starting points). A run trained with `--native` records how each sensor is
validated (thermal at imgsz 320, visible at 640), as the benchmark measured it; a synthetic run records which
val images to render again (`benchmarks.accuracy.prepare_synth`: seed 0, its size and counts).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "benchmarks" / "results" / "accuracy"
RELEASES = {  # default file name per variant; --name overrides (e.g. baseline=yolov8n-p2-swarm.pt)
    "baseline": "yolov8n-p2-{dataset}.pt",
    "full": "srtod-yolov8n-p2-{dataset}.pt",
    "rt": "srtod-rt-yolov8n-p2-{dataset}.pt",
    "fuse": "srtod-fuse-yolov8n-p2-{dataset}.pt",
    "fuse_nwd": "srtod-fuse-nwd-yolov8n-p2-{dataset}.pt",
    "nwd": "nwd-yolov8n-p2-{dataset}.pt",
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
            if value is not None:  # its plain attributes: yaml, args, pt_path (where ultralytics loaded it from)...
                for name, attribute in list(vars(value).items()):
                    if name.startswith("_"):
                        continue
                    if isinstance(attribute, (str, dict, list, tuple)):
                        setattr(value, name, _scrub(attribute, prefix))
                    elif hasattr(attribute, "__dict__") and not isinstance(attribute, torch.nn.Module):
                        vars(attribute).update(_scrub(dict(vars(attribute)), prefix))  # args as a namespace
        else:
            ckpt[key] = _scrub(value, prefix)
    torch.save(ckpt, target)


def release(
    dataset: str,
    seed: int,
    out: Path = REPO / "weights",
    variants=("baseline", "full"),
    runs: Path = RUNS,
    names: dict[str, str] | None = None,
) -> dict:
    """Copy the runs' weights into `out` and merge their records into `out/metrics.json`; return the records.

    Args:
        dataset (str): The dataset folder under `runs` (halmstad, synth).
        seed (int): The seed whose runs are released.
        out (Path): Folder of the released weights.
        variants (Sequence[str]): Variants to release.
        runs (Path): The benchmark's results folder (`--out` of `benchmarks.accuracy`).
        names (dict[str, str] | None): Variant -> file name (may hold `{dataset}`), over `RELEASES`.

    Raises:
        ValueError: A variant without a file name, or a name that is not a bare `.pt` file name.
        FileNotFoundError: A run that is not here.
    """
    from benchmarks.accuracy import SUBSET_IMGSZ, run_weights

    patterns = {**RELEASES, **(names or {})}
    unknown = sorted(set(variants) - set(patterns))
    if unknown:
        raise ValueError(
            f"variants {unknown} have no release name; give --name VARIANT=FILE.pt or choose from {sorted(patterns)}"
        )
    out.mkdir(parents=True, exist_ok=True)
    metrics_file = out / "metrics.json"
    records = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
    for variant in variants:
        name = patterns[variant].format(dataset=dataset)
        if not name.endswith(".pt") or Path(name).name != name:
            raise ValueError(f"release name {name!r} for {variant}: give a bare file name ending in .pt")
        run = Path(runs) / dataset / variant / f"seed{seed}"
        weights = run_weights(run)
        if not (run / "result.json").is_file() or not weights.is_file():
            raise FileNotFoundError(
                f"'{run}' has no finished run (result.json and train/weights/last.pt): run the "
                f"accuracy benchmark for {variant} seed {seed} there"
            )
        result = json.loads((run / "result.json").read_text())
        _copy_without_local_paths(weights, out / name)
        schedule = result["schedule"]
        val = {"imgsz": schedule["imgsz"], "batch": 16, "conf": 0.001}
        if schedule.get("native"):  # each sensor at its native size; "all" from the two sets of predictions
            val["imgsz_per_subset"] = dict(SUBSET_IMGSZ)
        if dataset == "synth":  # the val images to re-render: `prepare_synth`'s folder synth-<imgsz>-<train>-<val>
            found = re.search(r"synth-(\d+)-(\d+)-(\d+)/data\.yaml", result["command"])
            if not found:
                raise ValueError(f"'{run}/result.json': its command names no synth-<imgsz>-<train>-<val> data set")
            val["synth"] = {"seed": 0, "imgsz": int(found[1]), "train": int(found[2]), "val": int(found[3])}
        records[name] = {
            "dataset": dataset,
            "variant": variant,
            "seed": seed,
            "schedule": _scrub(schedule, str(REPO)),
            "train_command": ("yolo " + result["command"]).replace(f"{REPO}/", ""),
            "val": val,
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
    p.add_argument("--variants", nargs="+", default=["baseline", "full"])
    p.add_argument("--runs", type=Path, default=RUNS, help="results folder of benchmarks.accuracy (its --out)")
    p.add_argument("--name", nargs="+", default=[], metavar="VARIANT=FILE.pt", help="release names over the defaults")
    p.add_argument("--out", type=Path, default=REPO / "weights")
    args = p.parse_args(argv)
    names = {}
    for item in args.name:
        variant, _, file = item.partition("=")
        if not file:
            raise SystemExit(f"--name {item}: give VARIANT=FILE.pt, e.g. fuse=srtod-yolov8n-p2-{{dataset}}.pt")
        names[variant] = file
    try:
        records = release(args.dataset, args.seed, args.out, args.variants, args.runs, names)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(str(e)) from e
    for variant in args.variants:
        name = (RELEASES | names)[variant].format(dataset=args.dataset)
        print(f"{name}: {records[name]['bytes'] / 1e6:.1f} MB, AP {records[name]['metrics']['all']['AP']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
