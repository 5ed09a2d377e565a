"""CPU deployment: ONNX Runtime and OpenVINO, FP32 and INT8, stock YOLOv8n-P2 against SR-TOD, in one run.

Companion of `benchmarks.latency` (which compares SR-TOD heads on random weights): this one takes the released
4-class checkpoints (weights/: the stock model, SR-TOD with the paper's head, the real-time model), exports each
with the stock `yolo export` (ONNX FP32, ONNX Runtime INT8 QDQ, OpenVINO FP32, OpenVINO INT8 with NNCF; INT8
calibrated on real training frames), then

1. times model inference, batch 1, static imgsz: all models x backends run in turn in each round (random order
   per round, seeded), so the noise of a shared machine hits all alike; each row's ratio is the median of its
   per-round ratios to the stock model on ONNX Runtime FP32;
2. measures AI-TOD AP (x100) on the real val frames (231, never trained on) at the same imgsz with the stock
   `yolo val` for each precision of each trained model (`--no-ap` skips it);
3. measures end-to-end frames per second of the stock `yolo predict` and `yolo track` (video decode,
   pre-processing, inference, NMS, tracking; with and without `save`) on the first frames of a real clip.

OpenVINO runs with INFERENCE_PRECISION_HINT=f32 for every model (srtod-yolo's default for SR-TOD models; on CPUs
with AMX the plugin's own default would be bfloat16, see docs/openvino.md).

    python -m benchmarks.latency_deploy --readme          # ~25 min on 2 loaded cores
    python -m benchmarks.latency_deploy --imgsz 320 --runs 10 --no-ap --e2e-frames 0
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import REPO, command_line, machine_info, paired_ratio, summarise
from benchmarks.latency_deploy_report import write_readme_table

OUT = REPO / "benchmarks" / "results" / "latency_deploy.json"
CLIP = REPO.parent / "shared" / "data" / "real-halmstad-drone" / "videos" / "IR_DRONE_025.mp4"
BASELINE = "yolov8n-p2"
MODELS = {  # name -> (checkpoint or model YAML, what it is)
    BASELINE: ("yolov8n-p2-halmstad.pt", "stock YOLOv8n-P2, released 4-class weights"),
    "srtod-yolov8n-p2": ("srtod-yolov8n-p2-halmstad.pt", "SR-TOD, paper head, released 4-class weights"),
    "srtod-rt-yolov8n-p2": ("srtod-rt-yolov8n-p2-halmstad.pt", "SR-TOD real-time (head: half), released weights"),
}
BACKENDS = ("ort-fp32", "ort-int8", "openvino-fp32", "openvino-int8")
E2E_MODELS = (BASELINE, "srtod-yolov8n-p2", "srtod-rt-yolov8n-p2")
E2E_BACKENDS = ("pt", "ort-fp32", "ort-int8", "openvino-fp32", "openvino-int8")
E2E_MODES = {"predict": ("predict", False), "predict+save": ("predict", True), "track": ("track", False)}
E2E_MODES["track+save"] = ("track", True)


def model_source(name: str, work: Path) -> Path:
    """A private copy of the model's checkpoint, or for a YAML a 4-class copy of it (so exports land in work)."""
    from srtod_yolo.weights import resolve_weights
    from srtod_yolo.yolo.hooks import resolve_config

    spec, folder = MODELS[name][0], work / name
    folder.mkdir(parents=True, exist_ok=True)
    if spec.endswith(".pt"):
        target, released = folder / spec, resolve_weights(spec)
        if not (target.is_file() and filecmp.cmp(target, released, shallow=False)):  # kept as is: AP records reused
            for stale in folder.iterdir():  # exports and records of other weights under this name (a new release)
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            shutil.copy(released, target)
        return target
    import yaml

    cfg = yaml.safe_load(Path(resolve_config(spec.replace("yolov8n", "yolov8"))).read_text())  # scale-free file
    (folder / spec).write_text(yaml.safe_dump({**cfg, "nc": 4}, sort_keys=False))  # the name carries the scale
    return folder / spec


def export_all(name: str, source: Path, imgsz: int, data: Path, calibration: int) -> dict[str, str]:
    """Every backend's file for one model, made by the stock `yolo export` (INT8 calibrated on training frames).

    Files already in the model's folder (a `--work` folder of an earlier run) are reused.
    """
    fraction = min(1.0, calibration / 1169)  # the shared training split has 1,169 frames
    int8 = dict(quantize=8, data=str(data), split="train", fraction=fraction, batch=1)
    folder, stem = source.parent, source.stem
    files = {"pt": str(source)} if source.suffix == ".pt" else {}
    files["openvino-fp32"] = str(folder / f"{stem}_openvino_model")
    files["openvino-int8"] = str(folder / f"{stem}_int8_openvino_model")
    files["ort-fp32"], files["ort-int8"] = str(folder / f"{stem}_fp32.onnx"), str(folder / f"{stem}_int8.onnx")
    here = Path.cwd()
    os.chdir(folder)  # a model built from a YAML exports into the working directory
    try:
        _export_missing(source, imgsz, int8, files)
    finally:
        os.chdir(here)
    return files


def _export_missing(source: Path, imgsz: int, int8: dict, files: dict) -> None:
    from ultralytics import YOLO

    if not Path(files["openvino-fp32"]).is_dir():
        YOLO(source).export(format="openvino", imgsz=imgsz)
    if not Path(files["openvino-int8"]).is_dir():
        YOLO(source).export(format="openvino", imgsz=imgsz, **int8)
    if not Path(files["ort-fp32"]).is_file():
        shutil.copy(YOLO(source).export(format="onnx", imgsz=imgsz, simplify=True), files["ort-fp32"])
    if not Path(files["ort-int8"]).is_file():  # replaces the FP32 file it quantizes, hence the copy above
        YOLO(source).export(format="onnx", imgsz=imgsz, simplify=True, **int8)


def runner(backend: str, path: str, threads: int):
    """A function running one inference on a (1, 3, H, W) float32 array."""
    if backend.startswith("ort"):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        # Idle threads sleep instead of spinning: on a shared, loaded machine spinning threads burn the time slices
        # the working ones need (measured here: ONNX Runtime FP32 2x slower than OpenVINO FP32 with spinning on).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})
    import openvino as ov

    core = ov.Core()
    xml = next(Path(path).glob("*.xml"))
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32"}
    request = core.compile_model(core.read_model(str(xml)), "CPU", config).create_infer_request()
    return lambda x: request.infer({0: x})


def time_rows(files: dict, imgsz: int, runs: int, threads: int, seed: int) -> dict[str, list[float]]:
    """Interleaved timing of every (model, backend) row on one real frame; seconds per round."""
    from ultralytics.data.augment import LetterBox

    frame = cv2.imread(str(sorted((CLIP.parents[1] / "val" / "images").glob("*.png"))[0]))
    x = LetterBox((imgsz, imgsz), auto=False)(image=frame)[..., ::-1].transpose(2, 0, 1)[None]
    x = np.ascontiguousarray(x, dtype=np.float32) / 255
    runners = {row: runner(row.split("/")[1], path, threads) for row, path in files.items()}
    for run in runners.values():
        for _ in range(3):
            run(x)
    rng, times = random.Random(seed), {row: [] for row in runners}
    for _ in range(runs):
        order = list(runners)
        rng.shuffle(order)
        for row in order:
            start = time.perf_counter()
            runners[row](x)
            times[row].append(time.perf_counter() - start)
    return times


def val_ap(path: str, data: Path, imgsz: int, folder: Path) -> float:
    """AI-TOD AP x100 of a model on the real val frames with the stock `yolo val`; its COCO files go to `folder`.

    A `--work` folder keeps them with the AP (`ap.json`): an earlier measurement of the same file at the same imgsz,
    not older than the file, is reused.
    """
    from ultralytics import YOLO

    from benchmarks.accuracy import val_aitod

    record = folder / "ap.json"
    if record.is_file() and Path(path).exists() and record.stat().st_mtime >= Path(path).stat().st_mtime:
        earlier = json.loads(record.read_text())
        if (earlier["model"], earlier["imgsz"]) == (str(path), imgsz):
            return earlier["AP"]
    # save_json: aitod_gt.json / aitod_predictions.json, which the INT8-FP32 paired interval reads
    metrics, _ = val_aitod(YOLO(path), data, imgsz, folder, batch=1)
    ap = round(100 * float(metrics.aitod["AP"]), 2)
    record.write_text(json.dumps({"model": str(path), "imgsz": imgsz, "AP": ap}))
    return ap


INT8_PAIRS = {"ort-int8": "ort-fp32", "openvino-int8": "openvino-fp32"}  # INT8 row -> its FP32 self


def int8_delta(folders: dict[str, Path], backend: str, resamples: int = 200) -> dict | None:
    """AP x100 of an INT8 row minus its FP32 self on the same images, with a 95 % image-bootstrap interval.

    Returns None unless both rows' `yolo val` COCO files are in `folders` (backend -> folder).
    """
    from benchmarks.accuracy import AITOD_JSON
    from benchmarks.paired import image_paired_difference

    files = [folders[b] / f for b in (backend, INT8_PAIRS[backend]) for f in AITOD_JSON]
    if not all(f.is_file() for f in files):
        return None
    gt, detections, _, reference = (json.loads(f.read_text()) for f in files)
    d = image_paired_difference(gt, detections, reference, "AP", resamples)
    return {"difference": round(100 * d["difference"], 2), "interval": [round(100 * x, 2) for x in d["interval"]]}


def short_clip(path: Path, frames: int) -> Path:
    """The first frames of the real clip as an .mp4."""
    reader = cv2.VideoCapture(str(CLIP))
    ok, frame = reader.read()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (frame.shape[1], frame.shape[0]))
    for _ in range(frames):
        if not ok:
            break
        writer.write(frame)
        ok, frame = reader.read()
    writer.release()
    reader.release()
    return path


def end_to_end_fps(path: str, clip: Path, frames: int, imgsz: int, mode: str, save: bool, work: Path) -> float:
    """Frames per second of the stock predict/track generator over the clip (model loaded and warmed up first)."""
    from ultralytics import YOLO

    model = YOLO(path, task="detect")
    model.predict(np.zeros((256, 320, 3), np.uint8), imgsz=imgsz, verbose=False)  # load and warm up
    call = model.track if mode == "track" else model.predict
    kwargs = dict(imgsz=imgsz, stream=True, verbose=False, save=save, project=str(work), name="e2e", exist_ok=True)
    start = time.perf_counter()
    n = sum(1 for _ in call(source=str(clip), **kwargs))
    return round(n / (time.perf_counter() - start), 2) if n == frames else float("nan")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--runs", type=int, default=25, help="interleaved timing rounds")
    parser.add_argument("--threads", type=int, default=None, help="inference threads (default: usable cores)")
    parser.add_argument(
        "--calibration", type=int, default=300, help="training frames INT8 is calibrated on (NNCF's own default)"
    )
    parser.add_argument("--no-ap", action="store_true", help="skip AP on the real val frames")
    parser.add_argument("--e2e-frames", type=int, default=50, help="clip frames for end-to-end FPS (0: skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's deployment table")
    parser.add_argument("--work", type=Path, default=None, help="keep (and reuse) exports in this folder")
    parser.add_argument(
        "--resume", action="store_true", help="keep the timings in --out; measure only what --ap/--e2e ask"
    )
    parser.add_argument("--ap", nargs="*", default=None, help="model/backend rows to measure AP for (default: all)")
    parser.add_argument("--e2e", nargs="*", default=None, help="model/backend rows for end-to-end FPS (default: all)")
    parser.add_argument(
        "--intervals",
        nargs="*",
        default=["openvino-int8"],
        choices=sorted(INT8_PAIRS),
        help="INT8 backends whose AP minus FP32 gets a bootstrap interval (each resample is one COCO evaluation "
        "per row, ~1.5 s here)",
    )
    parser.add_argument("--resamples", type=int, default=100, help="image resamples of those intervals")
    args = parser.parse_args(argv)
    threads = args.threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())

    from benchmarks.accuracy import prepare_halmstad

    result = {
        "command": command_line(),
        "imgsz": args.imgsz,
        "batch": 1,
        "runs": args.runs,
        "calibration_frames": args.calibration,
        "resamples": args.resamples,
        "baseline": f"{BASELINE}/ort-fp32",
        "machine": {**machine_info(threads), "openvino": _version("openvino"), "nncf": _version("nncf")},
        "load_average_before": list(os.getloadavg()),
        "rows": {},
        "end_to_end": {"clip": CLIP.name, "frames": args.e2e_frames, "fps": {}},
    }
    if args.resume:  # a long run split in parts on a busy machine: every command is recorded
        earlier = json.loads(args.out.read_text())
        result = {**earlier, "command": f"{earlier['command']}\n{command_line()}"}
        result["end_to_end"] = {**earlier["end_to_end"], "frames": args.e2e_frames}
        result["resamples"] = args.resamples

    def save() -> None:  # after every phase, so that a long run interrupted keeps what it measured
        result["load_average_after"] = list(os.getloadavg())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))

    with tempfile.TemporaryDirectory() as tmp:
        work = (args.work or Path(tmp)).resolve()
        data = prepare_halmstad(work / "data")["all"]
        exported = {
            name: export_all(name, model_source(name, work), args.imgsz, data, args.calibration) for name in MODELS
        }
        rows = {f"{m}/{b}": exported[m][b] for m in MODELS for b in BACKENDS}
        table = result["rows"]
        if not args.resume:
            times = time_rows(rows, args.imgsz, args.runs, threads, args.seed)
            reference = times[f"{BASELINE}/ort-fp32"]
            for row, t in times.items():
                model, backend = row.split("/")
                table[row] = {"model": model, "backend": backend, "what": MODELS[model][1], **summarise(t)}
                table[row].update(paired_ratio(t, reference))
            save()
        for model, files in exported.items():
            if args.no_ap or "pt" not in files:
                continue
            for backend in ("pt", *BACKENDS):
                if args.ap is not None and f"{model}/{backend}" not in args.ap:
                    continue
                ap = val_ap(files[backend], data, args.imgsz, work / "val" / f"{model}-{backend}")
                table.setdefault(f"{model}/{backend}", {"model": model, "backend": backend, "what": MODELS[model][1]})
                table[f"{model}/{backend}"]["AP"] = ap
                save()
            folders = {b: work / "val" / f"{model}-{b}" for b in BACKENDS}
            for backend in args.intervals:
                delta = int8_delta(folders, backend, args.resamples)
                if delta is not None:
                    table[f"{model}/{backend}"]["AP_vs_fp32"] = delta
                    save()
        if args.e2e_frames:
            clip = short_clip(work / "clip.mp4", args.e2e_frames)
            for model in E2E_MODELS:
                for backend in E2E_BACKENDS:
                    if backend not in exported[model] or (
                        args.e2e is not None and f"{model}/{backend}" not in args.e2e
                    ):
                        continue
                    result["end_to_end"]["fps"][f"{model}/{backend}"] = {
                        mode: end_to_end_fps(exported[model][backend], clip, args.e2e_frames, args.imgsz, m, s, work)
                        for mode, (m, s) in E2E_MODES.items()
                    }
                    save()
    save()
    from benchmarks.latency_deploy_report import format_tables

    print(format_tables(result))
    if args.readme:
        write_readme_table(result)
    return result


def _version(name: str) -> str | None:
    from benchmarks.common import package_version

    return package_version(name)


if __name__ == "__main__":
    main()
