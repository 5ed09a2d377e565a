import cv2
import numpy as np
import pytest
from ultralytics import YOLO

from srtod_yolo.data.images import HighBitDepthError


@pytest.fixture(scope="module")
def model():
    return YOLO("srtod-yolov8n-p2.yaml")


def test_predict_refuses_a_16bit_thermal_file_naming_it(model, tmp_path):
    frame = tmp_path / "thermal_0001.png"
    cv2.imwrite(str(frame), np.full((64, 80), 7300, np.uint16))
    with pytest.raises(HighBitDepthError, match="thermal_0001.png' is a 16-bit image"):
        model.predict(str(frame), imgsz=64, verbose=False)


def test_predict_refuses_a_16bit_array(model):
    with pytest.raises(HighBitDepthError, match="uint16 frame"):
        model.predict(np.full((64, 80, 3), 7300, np.uint16), imgsz=64, verbose=False)


def test_predict_takes_8bit_and_converted_frames(model, tmp_path):
    from srtod_yolo.data.images import to_8bit

    frame = tmp_path / "converted.png"
    cv2.imwrite(str(frame), to_8bit(np.full((64, 80), 7300, np.uint16)))
    (result,) = model.predict(str(frame), imgsz=64, verbose=False)
    assert result.orig_shape == (64, 80)
