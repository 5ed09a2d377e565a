"""What `yolo val` and `yolo predict` tell a user where a number or a map cannot exist."""

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


def test_sliced_inference_says_when_its_slices_shrink_to_fit_imgsz():
    pytest.importorskip("sahi")
    frame = np.zeros((1080, 1920, 3), np.uint8)
    shrunk = logged(lambda: YOLO("yolov8n-p2.yaml").predict(frame, imgsz=320, slice=True, verbose=False))
    assert "slices of 640 px are letterboxed to imgsz=320: every object shrinks 2.0x" in shrunk
    assert "pass imgsz=640 or slice_size=320" in shrunk
    kept = logged(lambda: YOLO("yolov8n-p2.yaml").predict(frame, imgsz=640, slice=True, verbose=False))
    assert "shrinks" not in kept  # a 1920x1080 frame cut into 640-px slices at imgsz 640: native scale
