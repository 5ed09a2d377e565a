"""What `yolo val` and `yolo predict` tell a user where a number or a map cannot exist."""

import ast

import numpy as np
import pytest
from conftest import logged
from ultralytics import YOLO

from srtod_yolo.sizes import size_legend


@pytest.mark.slow
def test_val_prints_n_a_and_says_why_for_a_size_without_boxes(trained, tiny_synth):
    model = YOLO(str(trained / "weights" / "last.pt"))
    holder = {}
    data = str(tiny_synth / "data.yaml")
    text = logged(lambda: holder.setdefault("m", model.val(data=data, imgsz=160, plots=False)))
    aitod = holder["m"].aitod
    empty = [k for k in ("AP_vt", "AP_t", "AP_s", "AP_m") if np.isnan(aitod[k])]
    assert empty, "the tiny swarm set has drones of 2-16 px: some AI-TOD size holds no box"
    (row,) = [line for line in text.splitlines() if line.strip().startswith("all") and "n/a" in line]
    assert "nan" not in row and row.count("n/a") == len(empty)
    assert f"n/a: no ground-truth box of that size in these images ({', '.join(empty)};" in text
    assert f"AI-TOD sizes: {size_legend()}, the square root" in text


def test_save_diff_on_a_stock_model_says_it_has_no_sr_tod_layer():
    frame = np.zeros((64, 64, 3), np.uint8)
    text = logged(lambda: YOLO("yolov8n-p2.yaml").predict(frame, imgsz=64, save_diff=True, verbose=False))
    assert "this model has no SR-TOD layer" in text and "srtod_output=difference" in text


def test_a_p2_model_says_when_frames_shrink_to_fit_imgsz_once_per_run():
    model = YOLO("yolov8n-p2.yaml")
    frame = np.zeros((512, 640, 3), np.uint8)  # a visible Halmstad frame's size
    shrunk = logged(lambda: model.predict([frame, frame], imgsz=320, verbose=False))
    assert shrunk.count("frames of 640x512 px run at imgsz=320: every object shrinks 2.0x") == 1
    again = logged(lambda: model.predict(frame, imgsz=320, verbose=False))  # a second run of the same model
    assert again.count("every object shrinks 2.0x") == 1
    assert "imgsz=640" in shrunk
    native = logged(lambda: YOLO("yolov8n-p2.yaml").predict(frame, imgsz=640, verbose=False))
    assert "shrinks" not in native
    stock = logged(lambda: YOLO("yolov8n.yaml").predict(frame, imgsz=320, verbose=False))
    assert "shrinks" not in stock  # only P2 models, made for tiny objects, are warned
    thermal = np.zeros((256, 320, 3), np.uint8)  # a folder that mixes sizes: the first frame fits, a later one not
    mixed = logged(lambda: YOLO("yolov8n-p2.yaml").predict([thermal, frame, frame], imgsz=320, verbose=False))
    assert mixed.count("frames of 640x512 px run at imgsz=320") == 1


def test_a_p2_model_says_when_frames_are_enlarged_to_fill_imgsz_once_per_run():
    thermal = np.zeros((256, 320, 3), np.uint8)  # a thermal Halmstad frame's size
    enlarged = logged(lambda: YOLO("yolov8n-p2.yaml").predict([thermal, thermal], imgsz=640, verbose=False))
    assert enlarged.count("frames of 320x256 px are enlarged 2.0x to imgsz=640") == 1
    assert "a 6-px drone becomes 12 px" in enlarged and "Pass imgsz=320" in enlarged
    native = logged(lambda: YOLO("yolov8n-p2.yaml").predict(thermal, imgsz=320, verbose=False))
    assert "enlarged" not in native
    slight = logged(lambda: YOLO("yolov8n-p2.yaml").predict(thermal, imgsz=416, verbose=False))
    assert "enlarged" not in slight  # 1.3x: below the limit
    stock = logged(lambda: YOLO("yolov8n.yaml").predict(thermal, imgsz=640, verbose=False))
    assert "enlarged" not in stock  # only P2 models
    visible = np.zeros((512, 640, 3), np.uint8)  # a folder of both sizes at 320: both notes, each once
    both = logged(lambda: YOLO("yolov8n-p2.yaml").predict([visible, thermal, visible], imgsz=320, verbose=False))
    assert both.count("shrinks 2.0x") == 1 and "enlarged" not in both
    both = logged(lambda: YOLO("yolov8n-p2.yaml").predict([visible, thermal, thermal], imgsz=640, verbose=False))
    assert both.count("enlarged 2.0x") == 1 and "shrinks" not in both


def test_sliced_inference_says_when_a_frame_smaller_than_a_slice_is_enlarged():
    pytest.importorskip("sahi")
    thermal = np.zeros((256, 320, 3), np.uint8)
    text = logged(lambda: YOLO("yolov8n-p2.yaml").predict(thermal, imgsz=640, slice=True, verbose=False))
    assert "frames of 320x256 px (smaller than slice_size=640: one slice each) are enlarged 2.0x" in text


def test_sliced_inference_says_when_its_slices_shrink_to_fit_imgsz():
    pytest.importorskip("sahi")
    frame = np.zeros((1080, 1920, 3), np.uint8)
    shrunk = logged(lambda: YOLO("yolov8n-p2.yaml").predict(frame, imgsz=320, slice=True, verbose=False))
    assert "slices of 640 px are letterboxed to imgsz=320: every object shrinks 2.0x" in shrunk
    assert "pass imgsz=640 or slice_size=320" in shrunk
    kept = logged(lambda: YOLO("yolov8n-p2.yaml").predict(frame, imgsz=640, slice=True, verbose=False))
    assert "shrinks" not in kept  # a 1920x1080 frame cut into 640-px slices at imgsz 640: native scale


def _export(tmp_path, yaml: str, **kwargs) -> str:
    """A fresh (untrained) model of `yaml` saved as a .pt in tmp_path and exported from there."""
    weights = tmp_path / yaml.replace(".yaml", ".pt")
    YOLO(yaml).save(weights)
    return YOLO(str(weights)).export(**kwargs)


def test_a_fixed_size_export_says_that_it_ignores_imgsz_and_that_frames_shrink(tmp_path):
    """A static export runs at its own size whatever imgsz asks (ultralytics, silently); P2 frames then shrink."""
    frame = np.zeros((512, 640, 3), np.uint8)  # a visible Halmstad frame's size
    onnx = _export(tmp_path, "yolov8n-p2.yaml", format="onnx", imgsz=320)
    text = logged(lambda: YOLO(onnx, task="detect").predict(frame, imgsz=640, verbose=False))
    assert text.count("imgsz=640 is not used: this export takes inputs of 320x320 px only (exported at imgsz=320)") == 1
    assert "frames of 640x512 px run at imgsz=320, the fixed input size of this export" in text
    assert "export again with imgsz=640" in text and "pass imgsz" not in text  # passing imgsz cannot help here
    asked = logged(lambda: YOLO(onnx, task="detect").predict(frame, imgsz=320, verbose=False))
    assert "is not used" not in asked and "the fixed input size of this export" in asked  # still shrinks 2x


def test_a_dynamic_export_takes_imgsz_and_a_stock_export_is_not_warned_about_shrinking(tmp_path):
    frame = np.zeros((512, 640, 3), np.uint8)
    dynamic = _export(tmp_path, "yolov8n-p2.yaml", format="onnx", imgsz=320, dynamic=True)
    native = logged(lambda: YOLO(dynamic, task="detect").predict(frame, imgsz=640, verbose=False))
    assert "is not used" not in native and "shrinks" not in native
    shrunk = logged(lambda: YOLO(dynamic, task="detect").predict(frame, imgsz=320, verbose=False))
    assert "frames of 640x512 px run at imgsz=320: every object shrinks 2.0x" in shrunk and "pass imgsz=640" in shrunk
    stock = _export(tmp_path, "yolov8n.yaml", format="onnx", imgsz=320)  # not P2: no shrink warning, but imgsz
    text = logged(lambda: YOLO(stock, task="detect").predict(frame, imgsz=640, verbose=False))
    assert "imgsz=640 is not used" in text and "shrinks" not in text


def test_an_export_records_its_head_strides_for_the_predictor(tmp_path):
    from srtod_yolo.export import metadata

    onnx = _export(tmp_path, "yolov8n-p2.yaml", format="onnx", imgsz=64)
    assert ast.literal_eval(metadata(onnx)["head_strides"]) == [4, 8, 16, 32]
