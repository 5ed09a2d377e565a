"""The stock `yolo` command on exported SR-TOD models: export, predict a real clip, val, save_diff, TensorRT error."""

import importlib.util
import shutil
import time

import cv2
import numpy as np
import pytest
import yaml
from conftest import SHARED_DATA, needs_halmstad, run
from ultralytics import YOLO

from srtod_yolo.demo import CLIPS

pytestmark = pytest.mark.slow

CLIP = CLIPS / "IR_DRONE_025.mp4"  # real thermal clip shipped with the package, 320x256, 302 frames


@pytest.fixture(scope="module")
def exported(trained, sandbox, env, tmp_path_factory) -> dict:
    """best.pt exported by `yolo export` (dynamic, and with the difference map), each in its own folder."""
    out = {"pt": trained / "weights" / "best.pt"}
    for name, extra in {"plain": [], "difference": ["srtod_output=difference"]}.items():
        folder = tmp_path_factory.mktemp(f"cli-{name}")
        weights = shutil.copy(out["pt"], folder / "best.pt")
        run(["yolo", "export", f"model={weights}", "format=onnx", "imgsz=320", "dynamic=True", *extra], sandbox, env)
        out[name] = folder / "best.onnx"
        assert out[name].is_file()
    return out


def short_clip(path, frames: int = 12):
    """The first frames of the real clip, written as a short .mp4 (keeps the subprocess quick)."""
    reader = cv2.VideoCapture(str(CLIP))
    ok, frame = reader.read()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (frame.shape[1], frame.shape[0]))
    for _ in range(frames):
        writer.write(frame)
        ok, frame = reader.read()
        if not ok:
            break
    writer.release()
    reader.release()
    return path


def frame_count(path) -> int:
    capture = cv2.VideoCapture(str(path))
    n = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    return n


def test_yolo_predict_runs_the_onnx_model_on_a_real_clip(exported, sandbox, env, tmp_path):
    clip = short_clip(tmp_path / "clip.mp4")
    proc = run(
        [
            "yolo",
            "predict",
            f"model={exported['plain']}",
            f"source={clip}",
            "imgsz=320",
            "conf=0.01",
            "save=True",
            f"project={tmp_path}",
            "name=predict",
        ],
        sandbox,
        env,
    )
    assert "ONNX Runtime" in proc.stdout + proc.stderr  # the stock predictor ran the .onnx file
    saved = list((tmp_path / "predict").glob("*.avi")) + list((tmp_path / "predict").glob("*.mp4"))
    assert len(saved) == 1 and frame_count(saved[0]) == 12


@needs_halmstad
def test_yolo_predict_save_diff_draws_the_exported_difference_map(exported, sandbox, env, tmp_path):
    image = SHARED_DATA / "val" / "images" / "va_0002.png"  # a 320x256 thermal frame
    run(
        [
            "yolo",
            "predict",
            f"model={exported['difference']}",
            f"source={image}",
            "imgsz=320",
            "save_diff=True",
            f"project={tmp_path}",
            "name=diff",
        ],
        sandbox,
        env,
    )
    saved = cv2.imread(str(tmp_path / "diff" / "va_0002.jpg"))
    height, width = cv2.imread(str(image)).shape[:2]
    assert saved.shape[:2] == (height, 2 * width + 2)  # the prediction, a 2-px bar, the difference overlay


@needs_halmstad
def test_exported_difference_map_is_the_one_pytorch_draws(exported):
    image = str(SHARED_DATA / "val" / "images" / "va_0001.png")  # a 640x512 visible frame
    from_pt = YOLO(exported["pt"]).predict(image, imgsz=640, save_diff=True, verbose=False)[0]
    from_onnx = YOLO(exported["difference"]).predict(image, imgsz=640, save_diff=True, verbose=False)[0]
    assert from_onnx.difference.shape == from_pt.difference.shape == (512, 640)
    assert np.abs(from_onnx.difference - from_pt.difference).max() <= 1e-4
    assert len(from_onnx.boxes) == len(from_pt.boxes)


@needs_halmstad
def test_yolo_val_runs_the_onnx_model_on_real_frames(exported, sandbox, env, tmp_path):
    # Six real frames with their labels, as one 'drone' class to match the model trained on the synthetic set.
    for split in ("images", "labels"):
        (tmp_path / split).mkdir()
    for name in ("va_0001", "va_0002", "va_0003", "va_0004", "va_0005", "va_0006"):
        shutil.copy(SHARED_DATA / "val" / "images" / f"{name}.png", tmp_path / "images")
        rows = (SHARED_DATA / "val" / "labels" / f"{name}.txt").read_text().split("\n")
        (tmp_path / "labels" / f"{name}.txt").write_text("\n".join("0 " + r.split(" ", 1)[1] for r in rows if r))
    data = tmp_path / "data.yaml"
    data.write_text(yaml.safe_dump({"path": str(tmp_path), "train": "images", "val": "images", "names": {0: "drone"}}))
    proc = run(
        [
            "yolo",
            "val",
            f"model={exported['plain']}",
            f"data={data}",
            "imgsz=320",
            "batch=1",
            "plots=False",
            f"project={tmp_path}",
            "name=val",
        ],
        sandbox,
        env,
    )
    out = proc.stdout + proc.stderr
    assert "Loading" in out and "ONNX Runtime" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == ["all"]]
    boxes = sum(len(f.read_text().split("\n")) for f in (tmp_path / "labels").glob("*.txt"))
    assert rows and rows[0][1:3] == ["6", str(boxes)]  # all six images and all their boxes were evaluated


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="TensorRT is installed here")
def test_yolo_export_engine_without_tensorrt_fails_fast_saying_so(exported, sandbox, env):
    start = time.monotonic()
    proc = run(["yolo", "export", f"model={exported['pt']}", "format=engine", "imgsz=320"], sandbox, env, check=False)
    elapsed = time.monotonic() - start
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "needs NVIDIA TensorRT" in out and "pip install 'tensorrt>=10'" in out and "trtexec" in out
    assert "Invalid CUDA" not in out and "AutoUpdate" not in out  # before device selection, and no pip attempt
    assert elapsed < 60


def test_yolo_export_rejects_an_unknown_srtod_output(exported, sandbox, env):
    proc = run(
        ["yolo", "export", f"model={exported['pt']}", "format=onnx", "srtod_output=heatmap"], sandbox, env, check=False
    )
    assert proc.returncode != 0
    assert "srtod_output='heatmap' is not valid; use one of none, difference, mask" in proc.stdout + proc.stderr
