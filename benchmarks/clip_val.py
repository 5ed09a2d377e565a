"""A real-frame study's runs evaluated on whole val clips: six times the frames of val/, intervals over clips.

The real val/ split holds at most 3 frames of each of its 124 clips (231 frames, 171 drones). One drone found or
missed there moves a sensor's AP by one or two points, and that noise is part of the seed spread the study reports.
The same 124 clips are in clips/val/ whole (38,968 frames, never trained on; their SOURCE.md keeps them for
evaluation, per-frame detection over whole clips included). This evaluates each finished run of a study on every
`--every`-th frame of each clip (30: one frame a second, 1,358 frames), each sensor at its native size as the study
evaluates it (thermal 320, visible 640), with the AI-TOD metrics of `yolo val`. The bootstrap resamples clips, not
frames: the frames of a clip are alike, so a clip is the unit a new sample of the sky would add.

    python -m benchmarks.clip_val benchmarks/results/accuracy-v2-swarm --doc docs/results.md

Records: `<study>-clipval/halmstad-clips/<arm>/seed<N>/result.json` per run (the layout and fields of the study's
own, so its paired machinery reads them; `bootstrap.unit` is "clip") and `<study>-clipval/summary.json` (a study's
summary.json, with an `evaluation` entry saying how it was made). The study's report (`--doc`: the block
`<!-- accuracy:v2-swarm-clipval:halmstad-clips:... -->` for accuracy-v2-swarm) and
`python -m benchmarks.accuracy_report --scoreboard` read it like any study's. Beside the AI-TOD metrics (the mean
over the 4 classes) each record has `AP_drone`, the drone class's own AP, with its clip replicates. A run is
evaluated once: its record is kept (one made before `AP_drone` existed is scored again from the predictions its
val_<sensor> folders kept, without running the model). A finished run whose weights are not here (they are not in
git) is evaluated from its released checkpoint where it was released (`benchmarks.accuracy.restore_released`), and
named as left out otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import yaml

from benchmarks.accuracy import (
    AITOD_JSON,
    HALMSTAD,
    REPO,
    SUBSET_IMGSZ,
    machine,
    print_table,
    report_tag,
    restore_released,
    run_weights,
    val_aitod,
)
from benchmarks.accuracy_report import METRICS, PAIRED_METRICS, paired_rows, summarise, write_report
from benchmarks.common import command_line
from benchmarks.paired import merge_coco, replicate_metrics

DATASET = "halmstad-clips"
SENSORS = {"thermal": "IR", "visible": "V"}  # subset: the clip name's prefix (IR_DRONE_080, V_DRONE_059)
KEYS = ("AP", "AP25", "AP50", "AP75", "AP_vt", "AP_t", "AP_s", "AP_m")
# The class anti-UAV is about: its own AP (AI-TOD AP, IoU 0.5:0.95, all sizes) beside the mean over the 4 classes,
# which birds, airplanes and helicopters move as much as drones. An explanatory metric: the Protocol's verdict stays
# on AP.
TARGET_CLASS = "drone"
TARGET_KEY = "AP_drone"


def prepare_clip_frames(folder: Path, every: int = 30, clips: Path | None = None) -> dict[str, Path]:
    """Decode every `every`-th frame (0, every, 2*every, ...) of each val clip into a YOLO set, one split per sensor.

    Args:
        folder (Path): Where the frames go (`images/<sensor>/<clip>_<frame>.png`, native size, lossless) with their
            labels and one dataset YAML per sensor; made once per `every` (a `done.json` records what was written).
        every (int): Frame step; the clips run at 30 fps.
        clips (Path | None): The whole labelled clips (`<clip>.mp4` + `<clip>_LABELS.csv`); clips/val/ of the
            shared real-halmstad-drone data by default.

    Returns:
        (dict[str, Path]): subset ('thermal', 'visible') -> its dataset YAML.

    Raises:
        FileNotFoundError: `clips` is missing or holds no labelled clip.
        ValueError: `every` is below 1.
    """
    from srtod_yolo.data.convert.common import YoloSplitWriter
    from srtod_yolo.data.convert.halmstad import HALMSTAD_CLASSES, convert_clip, read_label_csv

    if every < 1:
        raise ValueError(f"--every must be >= 1, got {every}")
    clips = HALMSTAD / "clips" / "val" if clips is None else Path(clips)
    videos = sorted(v for v in clips.glob("*.mp4") if v.with_name(f"{v.stem}_LABELS.csv").is_file())
    if not videos:
        raise FileNotFoundError(f"no labelled clips (<clip>.mp4 with <clip>_LABELS.csv) in '{clips}'")
    folder = Path(folder)
    done = folder / "done.json"
    names = {i: n.lower() for n, i in HALMSTAD_CLASSES.items()}
    if not done.is_file() or json.loads(done.read_text()).get("every") != every:
        counts = {"every": every, "clips": {}, "frames": {}, "boxes": {}, "skipped": {}}
        for subset, prefix in SENSORS.items():
            for stale in (folder / "images" / subset, folder / "labels" / subset):  # another --every's frames
                shutil.rmtree(stale, ignore_errors=True)
            (folder / "labels" / f"{subset}.cache").unlink(missing_ok=True)
            writer = YoloSplitWriter(folder, subset, "copy")
            mine = [v for v in videos if v.stem.split("_", 1)[0] == prefix]
            for video in mine:
                convert_clip(video, read_label_csv(video.with_name(f"{video.stem}_LABELS.csv")), writer, every, None)
            counts["clips"][subset] = len(mine)
            counts["frames"][subset] = writer.counts["images"]
            counts["boxes"][subset] = writer.counts["boxes"]
            counts["skipped"][subset] = dict(writer.skipped)
        done.write_text(json.dumps(counts, indent=2) + "\n")
    yamls = {}
    for subset in SENSORS:
        # `train` is only there because ultralytics' dataset check asks for it: the study's training frames.
        d = {"path": str(folder), "train": str(HALMSTAD / "train" / "images"), "val": f"images/{subset}"}
        yamls[subset] = folder / f"clips_{subset}.yaml"
        yamls[subset].write_text(yaml.safe_dump({**d, "names": names}, sort_keys=False))
    return yamls


def clip_of(file_name: str) -> str:
    """The clip a decoded frame comes from: 'IR_DRONE_080_00030.png' -> 'IR_DRONE_080'."""
    return Path(file_name).stem.rsplit("_", 1)[0]


def clip_resamples(gt: dict, resamples: int = 200, seed: int = 0) -> list[np.ndarray]:
    """Cluster-bootstrap draws over clips, as image indices for `benchmarks.paired.replicate_metrics`.

    Each draw takes as many clips as the ground truth has, with replacement, and every frame of each drawn clip; the
    indices refer to the images sorted by file name (the order `replicate_metrics` uses). Draws differ in length.
    The same ground truth and seed give the same draws, so every run of a study is resampled alike (paired).

    Args:
        gt (dict): COCO ground truth whose image file names are `<clip>_<frame>.png`.
        resamples (int): Number of draws.
        seed (int): Random seed.

    Returns:
        (list[np.ndarray]): `resamples` index arrays.
    """
    names = sorted(str(im["file_name"]) for im in gt["images"])
    members: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        members.setdefault(clip_of(name), []).append(index)
    groups = [np.asarray(members[c]) for c in sorted(members)]
    draws = np.random.default_rng(seed).integers(0, len(groups), size=(resamples, len(groups)))
    return [np.concatenate([groups[g] for g in draw]) for draw in draws]


def evaluate_run(
    run: Path, out: Path, yamls: dict[str, Path], every: int, resamples: int, cue_off: bool = False
) -> dict:
    """Evaluate one finished run's last-epoch weights on the clip frames and write `out/result.json`.

    `cue_off`: with its learned cue switched off (`switch_off_cue`), recorded as the arm `<arm>_cue_off`; ValueError
    if the model has none.

    Returns the record: variant, seed, the run it comes from, AI-TOD metrics per subset ('all' from both sensors
    together, each at its native size), clip-bootstrap replicates and detection-error counts (score >= 0.25,
    IoU >= 0.25; `benchmarks.detection_errors`) per subset.
    """
    from ultralytics import YOLO

    source = json.loads((run / "result.json").read_text())
    yolo = YOLO(run_weights(run))
    if cue_off and not switch_off_cue(yolo.model):
        raise ValueError(f"{run_weights(run)} has no learned cue (DifferenceCue) to switch off")
    predictions = {}
    for subset, data in yamls.items():
        _, predictions[subset] = val_aitod(yolo, data, SUBSET_IMGSZ[subset], out / f"val_{subset}")
    predictions = {"all": merge_coco([predictions[s] for s in yamls]), **predictions}
    record = {
        "dataset": DATASET,
        "variant": f"{source['variant']}_cue_off" if cue_off else source["variant"],
        "seed": source["seed"],
        "source": str(run.relative_to(REPO) if run.resolve().is_relative_to(REPO) else run),
        "source_schedule": source.get("schedule"),
        "every": every,
        "frames": {s: len(gt["images"]) for s, (gt, _) in predictions.items()},
        "clips": {s: len({clip_of(im["file_name"]) for im in gt["images"]}) for s, (gt, _) in predictions.items()},
        "machine": machine(),
    }
    score(record, predictions, resamples)
    (out / "result.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def score(record: dict, predictions: dict, resamples: int) -> dict:
    """Fill a record's metrics, clip-bootstrap replicates and error counts from predictions; no model runs.

    Args:
        record (dict): The run's record; its `metrics`, `bootstrap` and `errors` are (re)written.
        predictions (dict): subset -> (COCO ground truth, COCO detections), 'all' included.
        resamples (int): Clip-bootstrap draws (`clip_resamples`, seed 0: the same draws for every run).

    Returns:
        (dict): record, with per subset the `KEYS` and `TARGET_KEY` (the drone class's own AP; NaN where the
        ground truth has no box of it), their replicates over the same draws, and the detection-error counts
        (score >= 0.25, IoU >= 0.25; `benchmarks.detection_errors`).
    """
    from benchmarks.detection_errors import error_counts
    from srtod_yolo.metrics.aitod import class_subset, evaluate_coco

    record["metrics"], record["bootstrap"] = {}, {"resamples": resamples, "seed": 0, "unit": "clip"}
    record["errors"] = {"conf": 0.25, "iou": 0.25}  # where the AP goes, as the study keeps it (detection_errors)
    for subset, (gt, detections) in predictions.items():
        draws = clip_resamples(gt, resamples)
        values = evaluate_coco(gt, detections)
        record["metrics"][subset] = {k: float(values[k]) for k in KEYS}
        record["metrics"][subset][TARGET_KEY] = float(evaluate_coco(*class_subset(gt, detections, TARGET_CLASS))["AP"])
        record["bootstrap"][subset] = replicate_metrics(gt, detections, draws, class_keys={TARGET_KEY: TARGET_CLASS})
        record["errors"][subset] = error_counts(gt, detections, 0.25, 0.25)
    return record


def saved_predictions(folder: Path) -> dict | None:
    """A clip run's predictions from its val_<sensor> folders (what `yolo val` saved), 'all' merged; None if absent.

    Returns:
        (dict | None): subset -> (COCO ground truth, COCO detections), as `score` takes them.
    """
    parts = {}
    for subset in SENSORS:
        files = [folder / f"val_{subset}" / name for name in AITOD_JSON]
        if not all(f.is_file() for f in files):
            return None
        parts[subset] = tuple(json.loads(f.read_text()) for f in files)
    return {"all": merge_coco([parts[s] for s in SENSORS]), **parts}


def collect(
    study: Path, out: Path, yamls: dict[str, Path] | None, every: int, resamples: int, cue_off: bool = False
) -> tuple[list, list]:
    """Every finished run of `study`'s real frames, evaluated on the clips (`yamls`: None to read records only).

    With `cue_off`, each run of a learned-cue arm (`enhance: fuse`) is also evaluated with its cue switched off at
    inference (`switch_off_cue`), as the arm `<arm>_cue_off`.

    Returns (records, left out: the runs with neither a record nor weights here, as 'arm/seedN').
    """
    records, left_out = [], []
    for finished in sorted((study / "halmstad").glob("*/seed*/result.json")):
        run = finished.parent
        arms = [(run.parent.name, False)]
        if cue_off and (json.loads(finished.read_text()).get("settings") or {}).get("enhance") == "fuse":
            arms.append((f"{run.parent.name}_cue_off", True))
        for arm, off in arms:
            target = out / DATASET / arm / run.name
            record = target / "result.json"
            kept = json.loads(record.read_text()) if record.is_file() else {}
            if kept.get("every") == every:
                if TARGET_KEY not in kept["metrics"]["all"] and (predictions := saved_predictions(target)):
                    # made before this version scored the drone class: scored again from what yolo val saved
                    print(f"{arm} {run.name}: adding {TARGET_KEY} from its saved predictions", flush=True)
                    score(kept, predictions, kept["bootstrap"]["resamples"])
                    record.write_text(json.dumps(kept, indent=2) + "\n")
                records.append(kept)
            elif yamls is not None and (run_weights(run).is_file() or restore_released(run, run_weights(run))):
                target.mkdir(parents=True, exist_ok=True)
                print(f"{arm} {run.name}: evaluating {run_weights(run)} on the clip frames", flush=True)
                records.append(evaluate_run(run, target, yamls, every, resamples, off))
            else:
                left_out.append(f"{arm}/{run.name}")
    return records, left_out


def switch_off_cue(model) -> int:
    """Remove the difference map's part of every `DifferenceCue` in `model` (in place); return how many there were.

    The convolution's weights are set to zero and its bias kept: P2' = P2 + bias, what the layer gives for a
    difference map of zeros. The rest of the trained model is unchanged, so the model shows what the cue adds at
    inference, apart from what training with it changed.
    """
    import torch

    from srtod_yolo.nn.cue import DifferenceCue

    cues = [m for m in model.modules() if isinstance(m, DifferenceCue)]
    with torch.no_grad():
        for cue in cues:
            cue.fuse.weight.zero_()
    return len(cues)


def main(argv: list[str] | None = None) -> int:
    """Entry point: evaluate what is missing, write the records and the summary, print (and place) the report."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("study", type=Path, help="a real-frame study's results folder (holding halmstad/<arm>/seed<N>/)")
    p.add_argument("--every", type=int, default=30, help="evaluate every Nth frame of each clip (30 fps clips)")
    p.add_argument("--resamples", type=int, default=200, help="clip-bootstrap draws per run")
    p.add_argument("--out", type=Path, default=None, help="records folder (default: <study>-clipval)")
    p.add_argument("--clips", type=Path, default=None, help="the whole val clips (default: shared clips/val/)")
    p.add_argument("--no-eval", action="store_true", help="tabulate the records only; evaluate nothing")
    p.add_argument("--cue-off", action="store_true", help="also each learned-cue run with its cue off at inference")
    p.add_argument("--doc", type=Path, default=None, help="place the report in this markdown file's block")
    args = p.parse_args(argv)
    study = args.study.resolve()  # absolute: ultralytics puts a relative val folder under runs/detect/
    if not (study / "halmstad").is_dir():
        raise SystemExit(f"{args.study}: no halmstad/ folder of real-frame runs there")
    out = (args.out or study.with_name(f"{study.name}-clipval")).resolve()
    yamls = None
    if not args.no_eval:
        try:
            yamls = prepare_clip_frames(out / DATASET / "data", args.every, args.clips)
        except FileNotFoundError as e:
            if args.clips is not None:  # a folder the user named: say it is wrong
                raise SystemExit(f"--clips: {e}") from e
            print(f"{e}: nothing evaluated, the records here tabulated", flush=True)  # a clone without shared data
    records, left_out = collect(study, out, yamls, args.every, args.resamples, args.cue_off)
    if not records:
        raise SystemExit(f"{study}: no run with a clip record or weights to evaluate (left out: {left_out})")
    first = records[0]
    # the drone class's AP where every record has it (a record kept from before, without its predictions here, has not)
    target = (TARGET_KEY,) if all(TARGET_KEY in r["metrics"]["all"] for r in records) else ()
    if not target:
        print(f"{TARGET_KEY} left out: a record has none and no saved predictions to score it from", flush=True)
    metrics, paired_metrics = (*METRICS, *target), (*PAIRED_METRICS, *target)
    summary = {
        "machine": machine(),
        "command": command_line(argv, "benchmarks.clip_val"),
        "evaluation": {
            "unit": "clips",
            "every": args.every,
            "frames": first["frames"],
            "clips": first["clips"],
            "left_out": left_out,
            "description": describe(first, args.every, left_out, bool(target)),
            "metrics": list(metrics),
            "paired_metrics": list(paired_metrics),
        },
        DATASET: summarise(records, metrics),
        "paired": {DATASET: {s: paired_rows(records, s, paired_metrics) for s in first["metrics"]}},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print_table(DATASET, summary[DATASET])
    if args.doc is not None:
        tag = report_tag(argparse.Namespace(tag=None, out=out))  # as every study's: 'v2-swarm-clipval:'
        write_report(summary, args.doc, args.doc.parent / "img", tag)
    return 0


def describe(record: dict, every: int, left_out: list[str], target: bool = False) -> str:
    """The sentence a report block opens with: what the runs were evaluated on, and which runs are left out."""
    frames, clips = record["frames"], record["clips"]
    return (
        f"Evaluated on one frame in {every} of the {clips['all']} whole val clips (clips/val/, never trained on): "
        f"{frames['thermal']} thermal frames of {clips['thermal']} clips at imgsz {SUBSET_IMGSZ['thermal']} and "
        f"{frames['visible']} visible frames of {clips['visible']} clips at {SUBSET_IMGSZ['visible']}, `all` both "
        "together; each run's last-epoch weights; intervals resample clips, not frames."
        + (
            f" {TARGET_KEY}: the {TARGET_CLASS} class's own AP (IoU 0.5:0.95, all sizes); AP is the mean over the "
            "4 classes (drone, bird, airplane, helicopter)."
            if target
            else ""
        )
        + (f" Left out (no weights here and no record): {', '.join(left_out)}." if left_out else "")
    )


if __name__ == "__main__":
    raise SystemExit(main())
