"""Does SR-TOD find more tiny drones than the same YOLO without it? Train, evaluate and tabulate, over seeds.

Every variant trains with the stock ultralytics trainer (`yolo train`) on identical data, seed, schedule and
augmentation; each then evaluates its last-epoch weights (no model selection on the reported split) with the AI-TOD
metrics of `yolo val`. Runs are resumable: a finished run's `result.json` is kept and skipped next time.

    python -m benchmarks.accuracy --data halmstad --variants baseline full --seeds 0 1 2 --epochs 30 --imgsz 320
    python -m benchmarks.accuracy --data halmstad --report          # tables and plot into docs/results.md

Datasets: `halmstad` (the real frames in ../shared/data/real-halmstad-drone: train on train/, report on val/, and on
its thermal and visible frames apart) and `synth` (the built-in synthetic swarm set, rendered at the network size).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from benchmarks.accuracy_report import METRICS, convergence, paired_rows, summarise, versus_rows, write_report
from benchmarks.common import command_line
from benchmarks.paired import image_resamples, merge_coco, replicate_metrics

REPO = Path(__file__).resolve().parents[1]
HALMSTAD = Path(os.environ.get("SRTOD_HALMSTAD", REPO.parent / "shared" / "data" / "real-halmstad-drone"))
OUT = REPO / "benchmarks" / "results" / "accuracy"

# name: (model YAML, SR-TOD settings overriding the YAML's `srtod:` section; None: the stock model as it is)
# Variants with an `assign:` section are in ASSIGN below (NWD in the assigner and box loss, srtod_yolo.yolo.assign).
VARIANTS = {
    "baseline": ("yolov8n-p2.yaml", None),
    "full": ("srtod-yolov8-p2.yaml", {}),  # paper head, DGFE, ste threshold, nearest resize, pixel map
    "rh_only": ("srtod-yolov8-p2.yaml", {"dgfe": False}),
    "sign": ("srtod-yolov8-p2.yaml", {"threshold_mode": "sign"}),
    "maxpool": ("srtod-yolov8-p2.yaml", {"resize": "maxpool"}),
    "highfreq": ("srtod-yolov8-p2.yaml", {"difference": "highfreq"}),
    "fast": ("srtod-yolov8-p2.yaml", {"head": "shuffle"}),  # the deployment variant: 1.05x the baseline's latency
    "half": ("srtod-yolov8-p2.yaml", {"head": "half"}),  # one paper up block + pixel shuffle: 1.09-1.15x
    "rt": ("srtod-rt-yolov8-p2.yaml", {}),  # the real-time model by name (head: half, border: 0)
    "rec01": ("srtod-yolov8-p2.yaml", {"rec_weight": 0.1}),  # follow-up: a lighter reconstruction loss
    "residual": ("srtod-yolov8-p2.yaml", {"enhance": "residual"}),  # follow-up: P2 unchanged where the gate is shut
    "fast_residual": ("srtod-yolov8-p2.yaml", {"head": "shuffle", "enhance": "residual"}),  # both: deployable follow-up
    # Issue 16's candidates. The difference map as a learned cue (zero-initialised fusion: starts as the baseline):
    "fuse": ("srtod-yolov8-p2.yaml", {"enhance": "fuse"}),
    # Tiny-object assignment (NWD) for the stock model and for SR-TOD, as the paper's best rows pair the two:
    "nwd": ("yolov8-p2.yaml", None),
    "full_nwd": ("srtod-yolov8-p2.yaml", {}),
    "residual_nwd": ("srtod-yolov8-p2.yaml", {"enhance": "residual"}),
    "fuse_nwd": ("srtod-yolov8-p2.yaml", {"enhance": "fuse"}),
}
NWD = {"nwd_assign": 0.5, "nwd_loss": 0.5, "nwd_constant": 12.8}
ASSIGN = {"nwd": NWD, "full_nwd": NWD, "residual_nwd": NWD, "fuse_nwd": NWD}  # variant: the YAML's `assign:` section
AITOD_JSON = ("aitod_gt.json", "aitod_predictions.json")  # what `yolo val save_json=True` writes (metrics.aitod)


def val_aitod(yolo, data, imgsz: int, folder: Path, batch: int = 16, save_json: bool = True, iou: float = 0.7):
    """`yolo val` as a user runs it (conf 0.001, AI-TOD metrics), its files in `folder`.

    `iou` is the NMS IoU threshold (ultralytics' default, 0.7, unless a study of it asks for another).

    Returns (metrics, (COCO ground truth, COCO detections)) with save_json, else (metrics, None); the two JSON
    files are what the paired image bootstrap (`benchmarks.paired`) reads.
    """
    folder = Path(folder)
    metrics = yolo.val(
        data=str(data),
        imgsz=imgsz,
        batch=batch,
        conf=0.001,
        iou=iou,
        plots=False,
        workers=0,
        verbose=False,
        save_json=save_json,
        project=str(folder.parent),
        name=folder.name,
        exist_ok=True,
    )
    if not save_json:
        return metrics, None
    return metrics, tuple(json.loads((folder / f).read_text()) for f in AITOD_JSON)


def variant_yaml(name: str, folder: Path) -> str:
    """Return a model YAML for a variant: the stock name, or a copy of the YAML with its settings changed."""
    base, overrides = VARIANTS[name]
    assign = ASSIGN.get(name)
    if overrides is None and assign is None:
        return base.replace("yolov8-p2", "yolov8n-p2")
    from ultralytics.utils.checks import check_yaml

    from srtod_yolo.yolo.hooks import resolve_config

    source = resolve_config(base) if base.startswith("srtod-") else check_yaml(base)
    d = yaml.safe_load(Path(source).read_text())
    if overrides is not None:
        d["srtod"] = {**d.get("srtod", {}), **overrides}
    if assign is not None:
        d["assign"] = dict(assign)
    folder.mkdir(parents=True, exist_ok=True)
    # The scale comes from the file name, as for every ultralytics YAML: 'srtod-yolov8n-p2-full.yaml' is scale n.
    path = folder / f"{Path(base).stem.replace('yolov8-p2', 'yolov8n-p2')}-{name}.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return str(path)


def prepare_halmstad(folder: Path) -> dict[str, Path]:
    """Dataset YAMLs for the real frames: training + full val, and val restricted to thermal or visible frames.

    The shared folder stays untouched: images are linked and labels copied here, so ultralytics' label caches are
    written next to the copies.
    """
    for split in ("train", "val"):
        images, labels = folder / split / "images", folder / split / "labels"
        images.parent.mkdir(parents=True, exist_ok=True)
        if not images.is_dir():  # a real folder of linked files: ultralytics resolves a linked folder to its target
            images.mkdir(parents=True)
            for image in (HALMSTAD / split / "images").glob("*.png"):
                (images / image.name).symlink_to(image)
        if not labels.is_dir():
            labels.mkdir()
            for label in (HALMSTAD / split / "labels").glob("*.txt"):
                (labels / label.name).write_bytes(label.read_bytes())
    manifest = (HALMSTAD / "val" / "manifest.csv").read_text().splitlines()
    header = manifest[0].split(",")
    sensor_of = {row.split(",")[0]: row.split(",")[header.index("sensor")] for row in manifest[1:]}
    names = yaml.safe_load((HALMSTAD / "data.yaml").read_text())["names"]
    yamls = {}
    for subset, sensors in (("all", {"IR", "V"}), ("thermal", {"IR"}), ("visible", {"V"})):
        images = sorted(p for p in (folder / "val" / "images").glob("*.png") if sensor_of[p.stem] in sensors)
        listing = folder / f"val_{subset}.txt"
        listing.write_text("".join(f"{p}\n" for p in images))
        d = {"train": str(folder / "train" / "images"), "val": str(listing), "names": names}
        yamls[subset] = folder / f"halmstad_{subset}.yaml"
        yamls[subset].write_text(yaml.safe_dump(d, sort_keys=False))
    return yamls


def prepare_halmstad_native(folder: Path, tile: tuple[int, int] = (320, 256), empty_keep: float = 1 / 3) -> dict:
    """The real frames at their native pixel scale: train on thermal frames whole and visible frames in tiles.

    Thermal frames (320x256) are the network size already. Visible frames (640x512) would be halved by a 320 network,
    turning 3-8 px drones into 1.5-4 px ones; instead they are cut into 320x256 tiles at native resolution with SAHI's
    slicing (boxes clipped to the tile, kept when at least half of a box is inside), every tile with an object kept
    and a seeded third of the empty ones (sky, tree lines, buildings: the negatives). Evaluation is on whole val
    frames at native resolution: thermal at imgsz 320, visible at imgsz 640 (`SUBSET_IMGSZ`).
    """
    from sahi.slicing import slice_image
    from sahi.utils.coco import CocoAnnotation

    yamls = prepare_halmstad(folder)  # val listings and the linked frames
    tiles = folder / "train_native"
    done = tiles / "done.json"
    if not done.is_file():
        import cv2

        rng = np.random.default_rng(0)
        (tiles / "images").mkdir(parents=True, exist_ok=True)
        (tiles / "labels").mkdir(parents=True, exist_ok=True)
        counts = {"frames": 0, "whole": 0, "tiles": 0, "empty_tiles_kept": 0, "boxes": 0}
        for image_path in sorted((HALMSTAD / "train" / "images").glob("*.png")):
            image = cv2.imread(str(image_path))
            h, w = image.shape[:2]
            label_file = HALMSTAD / "train" / "labels" / f"{image_path.stem}.txt"
            rows = [line.split() for line in label_file.read_text().splitlines() if line.strip()]
            counts["frames"] += 1
            if w <= tile[0] and h <= tile[1]:
                (tiles / "images" / image_path.name).symlink_to(image_path)
                (tiles / "labels" / label_file.name).write_text(label_file.read_text())
                counts["whole"] += 1
                counts["boxes"] += len(rows)
                continue
            annotations = []
            for c, cx, cy, bw, bh in rows:
                box = [(float(cx) - float(bw) / 2) * w, (float(cy) - float(bh) / 2) * h, float(bw) * w, float(bh) * h]
                annotations.append(CocoAnnotation(bbox=box, category_id=int(c), category_name=str(c)))
            sliced = slice_image(
                image[..., ::-1],  # SAHI reads RGB arrays
                coco_annotation_list=annotations,
                slice_width=tile[0],
                slice_height=tile[1],
                overlap_width_ratio=0.0,
                overlap_height_ratio=0.0,
                auto_slice_resolution=False,
                min_area_ratio=0.5,
            )
            for piece, (x0, y0), boxes in zip(sliced.images, sliced.starting_pixels, sliced.coco_images):
                labels = []
                for a in boxes.annotations:
                    bx, by, bw, bh = a.bbox
                    th, tw = piece.shape[:2]
                    labels.append(
                        f"{a.category_id} {(bx + bw / 2) / tw:.6f} {(by + bh / 2) / th:.6f} {bw / tw:.6f} {bh / th:.6f}"
                    )
                if not labels and rng.random() >= empty_keep:
                    continue
                name = f"{image_path.stem}_x{x0}_y{y0}"
                cv2.imwrite(str(tiles / "images" / f"{name}.png"), np.ascontiguousarray(piece[..., ::-1]))
                (tiles / "labels" / f"{name}.txt").write_text("".join(f"{line}\n" for line in labels))
                counts["tiles"] += 1
                counts["empty_tiles_kept"] += not labels
                counts["boxes"] += len(labels)
        done.write_text(json.dumps(counts, indent=2) + "\n")
    for subset, path in yamls.items():
        d = yaml.safe_load(path.read_text())
        d["train"] = str(tiles / "images")
        native = path.with_name(path.stem + "_native.yaml")
        native.write_text(yaml.safe_dump(d, sort_keys=False))
        yamls[subset] = native
    return yamls


# Native evaluation size of each Halmstad subset (`--native`): thermal frames are 320 px wide, visible 640 px.
SUBSET_IMGSZ = {"thermal": 320, "visible": 640}


def prepare_synth(folder: Path, imgsz: int, train: int = 1000, val: int = 200) -> dict[str, Path]:
    """The synthetic swarm set rendered at the network size (drones keep their DroneSwarms-like 2-16 px)."""
    from srtod_yolo.data.synth import build_dataset

    root = folder / f"synth-{imgsz}-{train}-{val}"
    if not (root / "stats.json").is_file():
        build_dataset(root, train=train, val=val, seed=0, width=imgsz, height=imgsz * 4 // 5, video_frames=0)
    return {"all": root / "data.yaml"}


def run_weights(run_dir: Path) -> Path:
    """A run's last-epoch checkpoint: what `yolo train project=<run_dir> name=train` saves after every epoch."""
    return Path(run_dir) / "train" / "weights" / "last.pt"


def pretrained_weights(folder: Path, variant: str, seed: int, pretrain_seed: int | None = None) -> Path:
    """The starting weights of a `--pretrain-from` run: the same variant's last epoch in another results folder.

    Args:
        folder (Path): The other study's dataset folder (e.g. benchmarks/results/accuracy-v2/synth).
        variant (str): The arm; pretraining and fine-tuning use the same one.
        seed (int): The fine-tuning seed; by default its own pretraining run starts it too.
        pretrain_seed (int | None): Start every fine-tuning seed from this pretraining seed instead (one released
            starting point, as users get it: the seed spread is then that of fine-tuning alone).

    A clone of the repository holds the pretraining run's records but not its weights (they are not committed). Where
    that run was released (`weights/metrics.json` names its folder in the train command and holds its metrics), the
    released checkpoint, its last.pt re-saved with relative paths (benchmarks.release), is put back in place first.

    Raises:
        SystemExit: The pretraining run has no last.pt, and no released checkpoint is that run.
    """
    source = seed if pretrain_seed is None else pretrain_seed
    run = Path(folder) / variant / f"seed{source}"
    path = run_weights(run)
    if not path.is_file() and not restore_released(run, path):
        raise SystemExit(f"--pretrain-from: {path} does not exist; train {variant} seed {source} there first")
    return path


def restore_released(run: Path, path: Path, weights: Path = REPO / "weights") -> bool:
    """Copy the released checkpoint made from the finished run `run` to `path` (its last.pt); False if none is.

    A released checkpoint is that run when its record in `weights/metrics.json` trained into `project=<run>` and has
    the run's own metrics (`run/result.json`): that run's weights (benchmarks.release re-saves its last.pt with this
    machine's paths made relative; the tensors are unchanged), not another run made the same way.
    """
    import shutil

    result = Path(run) / "result.json"
    records = weights / "metrics.json"
    if not (result.is_file() and records.is_file()):
        return False
    metrics = json.dumps(json.loads(result.read_text())["metrics"], sort_keys=True)
    run = Path(run).resolve()
    for name, record in json.loads(records.read_text()).items():
        found = re.search(r"project=(\S+)", record.get("train_command", ""))
        same_metrics = json.dumps(record.get("metrics"), sort_keys=True) == metrics
        if not found or (REPO / found[1]).resolve() != run or not same_metrics:
            continue
        if not (weights / name).is_file():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(weights / name, path)
        print(f"  {path} restored from the released {weights / name} (the same run)", flush=True)
        return True
    return False


def train_and_evaluate(dataset: str, variant: str, seed: int, args, yamls: dict[str, Path]) -> dict:
    """Train one variant with one seed through the `yolo` command, then evaluate its last weights on each subset."""
    run_dir = args.out / dataset / variant / f"seed{seed}"
    result_file = run_dir / "result.json"
    schedule = {"epochs": args.epochs, "imgsz": args.imgsz, "batch": args.batch, "fraction": args.fraction}
    if args.native:
        schedule["native"] = True  # visible frames trained in native-resolution tiles, evaluated at native size
    pretrained = None
    if args.pretrain_from:  # e.g. swarm pretraining: the same variant, trained on the synthetic swarms
        pretrained = pretrained_weights(args.pretrain_from, variant, seed, args.pretrain_seed)
        schedule["pretrained"] = str(pretrained.relative_to(REPO) if pretrained.is_relative_to(REPO) else pretrained)
    if result_file.is_file():
        result = json.loads(result_file.read_text())
        if result["schedule"] != schedule:
            raise SystemExit(
                f"{result_file} was trained with {result['schedule']}, not {schedule}: use another --out folder"
            )
        print("  finished earlier: kept", flush=True)
        return result
    run_dir.mkdir(parents=True, exist_ok=True)
    model = variant_yaml(variant, run_dir)
    command = [
        str(Path(sys.executable).parent / "yolo"),
        "train",
        f"model={model}",
        f"data={yamls['all']}",
        f"epochs={args.epochs}",
        f"imgsz={args.imgsz}",
        f"batch={args.batch}",
        f"seed={seed}",
        "deterministic=True",
        # No model selection on the reported split: the last epoch is evaluated. --curve validates every epoch
        # too, only to draw the AP-per-epoch curve (convergence).
        f"val={bool(args.curve)}",
        "plots=False",
        f"close_mosaic={max(1, min(10, args.epochs // 4))}",
        f"fraction={args.fraction}",
        "cache=ram",
        "workers=0",
        f"project={run_dir}",
        "name=train",
        "exist_ok=True",
        *([f"pretrained={pretrained}"] if pretrained else []),
    ]
    weights = run_weights(run_dir)
    log_file = run_dir / "train.log"
    # An interrupted run (machine restarted) goes on from its last epoch through ultralytics' own resume; the
    # record says so, since the data order after the restart differs from an uninterrupted run's. A run whose
    # training finished but whose evaluation did not is only evaluated.
    started = weights.is_file()
    epochs, finished = [], False
    if started:
        finished = sync_checkpoint_records(weights, yamls["all"])
        with open(run_dir / "train" / "results.csv") as f:
            epochs = list(csv.DictReader(f))
    earlier = float(epochs[-1]["time"]) if epochs else 0.0  # training seconds already spent, from results.csv
    if started and (finished or len(epochs) >= args.epochs):
        print(f"  training finished earlier ({weights}); evaluating it", flush=True)
        train_seconds = earlier
    else:
        if started:
            print(f"  resuming the interrupted run from {weights}", flush=True)
        print(f"  training {len(epochs)}/{args.epochs} epochs done; follow it: tail -f {log_file}", flush=True)
        start = time.time() - earlier
        with open(log_file, "a" if started else "w") as log:
            # data= and save_dir= name this checkout's folders: the checkpoint's own may be another checkout's.
            resume = [f"model={weights}", "resume=True", f"data={yamls['all']}", f"save_dir={run_dir / 'train'}"]
            run = command[:2] + resume if started else command
            returncode = run_child(run, log)
        if returncode:
            raise RuntimeError(f"training {dataset}/{variant}/seed{seed} failed; see {log_file}")
        train_seconds = time.time() - start
    resumed = log_file.is_file() and "Resuming training" in log_file.read_text(errors="replace")
    curve = convergence(run_dir / "train" / "results.csv") if args.curve else None

    from ultralytics import YOLO

    result = {
        "dataset": dataset,
        "variant": variant,
        "seed": seed,
        "model_yaml": Path(model).name,
        "settings": VARIANTS[variant][1],
        "assign": ASSIGN.get(variant),
        "schedule": schedule,
        "train_seconds": round(train_seconds, 1),
        "command": " ".join(command[1:]),
        "resumed": resumed,
        "machine": machine(),  # the one that evaluated it, and ended its training (not recorded before 2026-11-30)
        "metrics": {},
    }
    if curve:
        result["curve"] = curve
    yolo = YOLO(weights)
    layers = getattr(yolo.model, "srtod_layers", [])
    if layers:
        result["learned_threshold"] = float(layers[0].threshold.value.detach())
    keys = ("AP", "AP25", "AP50", "AP75", "AP_vt", "AP_t", "AP_s", "AP_m")
    predictions = {}
    # Natively, thermal and visible frames are evaluated at their own size and 'all' from the two together.
    subsets = [s for s in yamls if not (args.native and s == "all")]
    for subset in subsets:
        save = args.bootstrap > 0 or args.native
        imgsz = SUBSET_IMGSZ.get(subset, args.imgsz) if args.native else args.imgsz
        metrics, files = val_aitod(yolo, yamls[subset], imgsz, run_dir / f"val_{subset}", save_json=save)
        values = {k: float(metrics.aitod[k]) for k in keys}
        values["mAP50_ultralytics"] = float(metrics.box.map50)
        result["metrics"][subset] = values
        if save:
            predictions[subset] = files
    if args.native and "all" in yamls:
        from srtod_yolo.metrics.aitod import evaluate_coco

        predictions["all"] = merge_coco([predictions[s] for s in subsets])
        result["metrics"] = {
            "all": {k: float(v) for k, v in evaluate_coco(*predictions["all"]).items() if k in keys},
            **result["metrics"],
        }
    if args.bootstrap > 0:  # the same image resamples for every run of this dataset: paired comparisons
        result["bootstrap"] = {"resamples": args.bootstrap, "seed": 0}
        for subset, (gt, detections) in predictions.items():
            draws = image_resamples(len(gt["images"]), args.bootstrap, seed=0)
            result["bootstrap"][subset] = replicate_metrics(gt, detections, draws)
    if predictions:  # where the AP goes (benchmarks.detection_errors), kept here: the val folders are not in git
        from benchmarks.detection_errors import error_counts

        result["errors"] = {"conf": 0.25, "iou": 0.25}
        result["errors"].update({s: error_counts(gt, d, 0.25, 0.25) for s, (gt, d) in predictions.items()})
    result_file.write_text(json.dumps(result, indent=2) + "\n")
    make_portable(run_dir)
    return result


def sync_checkpoint_records(weights: Path, data: Path) -> bool:
    """Check a started run's checkpoint against this checkout before going on with it; True if its training ended.

    A checkpoint brought from another checkout may be out of step with the run's results.csv
    there (committed at another epoch): the CSV is written again from the epochs the checkpoint holds
    (`train_results`), so that a resumed run appends to the right rows. A checkpoint trained on another data set
    than the one this command prepares is refused: resuming would switch data sets mid-run.

    Args:
        weights (Path): The run's last.pt (ultralytics' checkpoint; results.csv beside its weights/ folder).
        data (Path): The data YAML this command trains on.

    Returns:
        (bool): Whether training finished (ultralytics strips the optimizer from last.pt at the end).

    Raises:
        SystemExit: The checkpoint was trained on another data set.
    """
    import torch

    ckpt = torch.load(weights, map_location="cpu", weights_only=False)
    trained_on = (ckpt.get("train_args") or {}).get("data")
    if trained_on and Path(trained_on).parts[-2:] != Path(data).parts[-2:]:
        raise SystemExit(
            f"{weights} was trained on {Path(*Path(trained_on).parts[-2:])}, not {Path(*Path(data).parts[-2:])}: "
            "resume it with the command that started it, or use another --out folder"
        )
    table = ckpt.get("train_results") or {}
    columns = list(table)
    rows = list(zip(*table.values())) if columns else []
    csv_file = Path(weights).parents[1] / "results.csv"
    written = []
    if csv_file.is_file():
        with open(csv_file) as f:
            written = list(csv.reader(f))[1:]
    if rows and len(written) != len(rows):
        cells = [[f"{v:.6g}" if isinstance(v, float) else str(v) for v in row] for row in rows]
        lines = [",".join(columns)] + [",".join(row) for row in cells]
        csv_file.write_text("\n".join(lines) + "\n")
        print(f"  {csv_file}: {len(written)} epochs written, the checkpoint holds {len(rows)}: rewritten", flush=True)
    return ckpt.get("optimizer") is None


def run_child(command: list[str], log) -> int:
    """Run one training command, its output into `log`; stop it too when this process is stopped.

    `kill <pid>` of the benchmark (SIGTERM) would otherwise leave the `yolo train` child running as an orphan, still
    writing into the run's folder; Ctrl-C reaches the whole process group anyway, SIGTERM only this process.
    """
    child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:  # stopped (signal, Ctrl-C, error) while the child still runs
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def make_portable(run_dir: Path, root: Path = REPO) -> None:
    """Make the committed records of a run (result.json, args.yaml) name paths relative to the repository `root`."""
    for record in (run_dir / "result.json", run_dir / "train" / "args.yaml"):
        if record.is_file():
            record.write_text(record.read_text().replace(f"{root}/", ""))


def machine() -> dict:
    """What the numbers were measured on."""
    import torch
    import ultralytics

    cpu = platform.processor()
    if Path("/proc/cpuinfo").is_file():
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "ultralytics": ultralytics.__version__,
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the requested trainings (skipping finished ones), print and optionally report the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", nargs="+", default=["halmstad"], choices=("halmstad", "synth"))
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument(
        "--seeds", nargs="+", type=int, default=None, help="default: 0 1 2; with --no-train, every seed found"
    )
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--fraction", type=float, default=1.0, help="fraction of the training images to use")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--report", action="store_true", help="write the tables and plots into the --doc file")
    p.add_argument("--doc", type=Path, default=REPO / "docs" / "results.md", help="the report's markdown file")
    p.add_argument("--synth-images", nargs=2, type=int, default=[1000, 200], metavar=("TRAIN", "VAL"))
    p.add_argument("--no-train", action="store_true", help="only tabulate the runs already finished")
    p.add_argument(
        "--prepare-only",
        action="store_true",
        help="only make the data folders (not in git) that the runs and the analysis commands read, then stop",
    )
    p.add_argument(
        "--native",
        action="store_true",
        help="halmstad: train visible frames in native-resolution tiles, evaluate each sensor at its native size",
    )
    p.add_argument("--tag", default=None, help="report markers <!-- accuracy:TAG:dataset:start --> (default: --out)")
    p.add_argument("--curve", action="store_true", help="also validate every epoch (the convergence curve)")
    p.add_argument(
        "--bootstrap", type=int, default=0, help="image resamples evaluated per run, for paired intervals (e.g. 200)"
    )
    p.add_argument(
        "--pretrain-from",
        type=Path,
        default=None,
        help="results folder of a dataset whose runs (same variant, and the same seed unless --pretrain-seed) are "
        "the starting weights, e.g. benchmarks/results/accuracy-v2/synth (swarm pretraining)",
    )
    p.add_argument(
        "--pretrain-seed",
        type=int,
        default=None,
        help="with --pretrain-from: start every seed from this seed's pretraining run (one starting point, as "
        "released), not from its own",
    )
    p.add_argument(
        "--versus",
        type=Path,
        default=None,
        help="another results folder with the same arms and seeds (e.g. from scratch, against swarm-pretrained "
        "runs here): the report adds each arm's paired change and whether it changes SR-TOD more than the baseline",
    )
    args = p.parse_args(argv)
    args.out = args.out.resolve()
    if args.versus is not None and not args.versus.is_dir():
        raise SystemExit(f"--versus {args.versus}: no such results folder")
    if args.prepare_only and (args.no_train or args.report):
        raise SystemExit("--prepare-only makes the data folders and stops: leave out --no-train and --report")
    if args.pretrain_seed is not None and args.pretrain_from is None:
        raise SystemExit("--pretrain-seed chooses the run of --pretrain-from to start from: give --pretrain-from too")

    summary = {"machine": machine(), "command": command_line(argv, "benchmarks.accuracy")}
    for dataset in args.data:
        prepared = args.out / dataset / "data"
        yamls = (
            {}
            if args.no_train
            else (
                (prepare_halmstad_native(prepared) if args.native else prepare_halmstad(prepared))
                if dataset == "halmstad"
                else prepare_synth(prepared, args.imgsz, *args.synth_images)
            )
        )
        if args.prepare_only:
            for name, path in yamls.items():
                print(f"{dataset} {name}: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
            continue
        results, running = [], {}  # running: curves of --curve runs not finished yet (only with --no-train)
        seeds = args.seeds or (
            [0, 1, 2] if not args.no_train else found_seeds(args.out / dataset, args.variants, running=True)
        )
        # Seed-major order: after each seed the comparison of every variant is complete.
        queue = [(seed, variant) for seed in seeds for variant in args.variants]
        for number, (seed, variant) in enumerate(queue, 1):
            result_file = args.out / dataset / variant / f"seed{seed}" / "result.json"
            if args.no_train:  # tabulate what exists, whatever schedule it was trained with
                make_portable(result_file.parent)  # a running training's records are committed too
                if result_file.is_file():
                    results.append(json.loads(result_file.read_text()))
                elif (curve := running_curve(result_file.parent)) is not None:
                    running[f"{variant} seed {seed} (unfinished, epoch {curve['epochs'][-1]})"] = curve
                continue
            print(f"[{time.strftime('%H:%M:%S')}] {dataset} {variant} seed {seed} ({number}/{len(queue)})", flush=True)
            results.append(train_and_evaluate(dataset, variant, seed, args, yamls))
        summary[dataset] = summarise(results, METRICS)
        subsets = sorted({s for r in results for s in r["metrics"]})
        summary.setdefault("paired", {})[dataset] = {s: paired_rows(results, s) for s in subsets}
        if args.versus is not None:
            reference = [
                json.loads(f.read_text())
                for v in args.variants
                for f in sorted((args.versus / dataset / v).glob("seed*/result.json"))
            ]
            shown = args.versus.resolve()
            shown = shown.relative_to(REPO) if shown.is_relative_to(REPO) else shown
            summary.setdefault("versus", {"folder": str(shown)})[dataset] = {
                s: versus_rows(results, reference, s) for s in subsets
            }
        curves = {f"{r['variant']} seed {r['seed']}": r["curve"] for r in results if r.get("curve")}
        curves.update(running)
        if curves:
            summary.setdefault("curves", {})[dataset] = curves
        print_table(dataset, summary[dataset])
    if args.prepare_only:
        return 0
    summary_file = args.out / "summary.json"
    if summary_file.is_file():  # a run of some variants keeps what an earlier command tabulated for the others
        summary = merge_summaries(json.loads(summary_file.read_text()), summary)
    summary_file.write_text(json.dumps(summary, indent=2, default=_json_default) + "\n")
    if args.report:
        write_report(summary, args.doc, args.doc.parent / "img", report_tag(args))
    return 0


def merge_summaries(earlier: dict, new: dict) -> dict:
    """`new`, plus every dataset, subset, variant (table and paired rows) and curve of `earlier` that `new` lacks.

    The commands that made the kept entries are listed under "earlier_commands".
    """
    meta = ("machine", "command", "earlier_commands", "versus")  # "versus": this command's comparison, if any
    merged = {k: v for k, v in earlier.items() if k not in meta}
    for key, now in new.items():
        old = merged.get(key)
        if key in meta or not isinstance(old, dict):
            merged[key] = now
            continue
        merged[key] = {**old}
        for name, part in now.items():  # a dataset's subsets; the datasets of "paired" and "curves"
            before = old.get(name, {})
            if key == "paired":  # dataset -> subset -> variant
                merged[key][name] = {s: {**before.get(s, {}), **part.get(s, {})} for s in sorted({*before, *part})}
            elif key == "curves":  # an unfinished run's curve was a snapshot: this command's curves replace it
                kept = {label: c for label, c in before.items() if not re.search(r"\((running|unfinished)", label)}
                merged[key][name] = {**kept, **part}
            else:  # subset -> variant, or curve label -> curve
                merged[key][name] = {**before, **part}
    if any(merged.get(k) != new.get(k) for k in merged if k not in meta):
        merged["earlier_commands"] = list(dict.fromkeys([*earlier.get("earlier_commands", []), earlier["command"]]))
    return merged


def report_tag(args) -> str:
    """The marker tag of this results folder's blocks in the report: `--tag`, else 'v2:' for `accuracy-v2`, else none
    (the first study's folder, and any other, keeps the plain `<!-- accuracy:{dataset}:start -->` markers)."""
    if args.tag is not None:
        return f"{args.tag}:" if args.tag else ""
    return f"{args.out.name.removeprefix('accuracy-')}:" if args.out.name.startswith("accuracy-") else ""


def found_seeds(folder: Path, variants: list[str], running: bool = False) -> list[int]:
    """The seeds of the finished runs of these variants under one dataset's results folder (`running`: and of the
    unfinished runs that validate every epoch, whose curves the report draws)."""
    files = [f for v in variants for f in (folder / v).glob("seed*/result.json")]
    if running:
        files += [f.parent for v in variants for f in (folder / v).glob("seed*/train/results.csv")]  # seedN/train
    return sorted({int(f.parent.name.removeprefix("seed")) for f in files if f.parent.name[4:].isdigit()})


def running_curve(run_dir: Path) -> dict | None:
    """The AP-per-epoch curve of an unfinished `--curve` run (no result.json yet), or None if it has none yet."""
    csv_file = run_dir / "train" / "results.csv"
    if not csv_file.is_file():
        return None
    try:
        return convergence(csv_file)
    except ValueError:  # trained without --curve: no per-epoch validation to draw
        return None


def print_table(dataset: str, table: dict) -> None:
    """Print mean ± standard deviation over seeds, per subset and variant."""
    for subset, rows in table.items():
        print(f"\n{dataset} / {subset}: mean ± std over seeds (n), AI-TOD metrics x100")
        print(f"{'variant':10s} {'n':>2s} " + " ".join(f"{m:>12s}" for m in METRICS))
        for variant, stats in rows.items():
            cells = [
                f"{s['mean'] * 100:6.1f} ± {s['std'] * 100:4.1f}" if np.isfinite(s["mean"]) else "n/a"
                for s in (stats[m] for m in METRICS)
            ]
            print(f"{variant:10s} {stats['n']:2d} " + " ".join(f"{c:>12s}" for c in cells))


def _json_default(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    raise TypeError(type(x))


if __name__ == "__main__":
    sys.exit(main())
