"""Frames deeper than 8 bits are refused with the fix at every door of the stock predictor (and `yolo track`, sliced
inference); 8-bit frames in every container keep working the documented way."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from ultralytics import YOLO

from srtod_yolo.data.images import HighBitDepthError, to_8bit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from test_images import write_video  # noqa: E402

RAW = np.full((64, 80), 7300, np.uint16)  # a flat radiometric thermal frame, in counts
RAW[30:33, 40:43] += 60  # a drone 60 counts warmer than the sky


@pytest.fixture(scope="module")
def model():
    return YOLO("srtod-yolov8n-p2.yaml")


def predict(model, source, **kwargs):
    return model.predict(source, imgsz=64, verbose=False, save=False, **kwargs)


@pytest.mark.parametrize(
    ("name", "frame"),
    [
        ("thermal_0001.png", RAW),
        ("colour16.png", np.dstack([RAW] * 3)),
        ("thermal.tif", RAW),
        ("colour16.tif", np.dstack([RAW] * 3)),
        ("float.tif", RAW.astype(np.float32)),
        ("thermal.jp2", RAW),
    ],
)
def test_predict_refuses_a_deep_image_file_naming_it(model, tmp_path, name, frame):
    path = tmp_path / name
    assert cv2.imwrite(str(path), frame)
    with pytest.raises(HighBitDepthError, match=f"{name}' is a (16|32)-bit image"):
        predict(model, str(path))
    with pytest.raises(HighBitDepthError, match=name):  # a folder of frames: the same file is named
        predict(model, str(tmp_path))


@pytest.mark.parametrize(
    "frame",
    [
        np.dstack([RAW] * 3),
        RAW.astype(np.int16),
        RAW.astype(np.int32),
        RAW.astype(np.float32),  # raw counts as float
        to_8bit(RAW).astype(np.float32) / 255,  # normalised to [0, 1]: ultralytics would read it as almost black
    ],
    ids=["uint16", "int16", "int32", "float-counts", "float-normalised"],
)
def test_predict_refuses_numpy_frames_off_the_8bit_scale(model, frame):
    with pytest.raises(HighBitDepthError, match=f"the source is a {frame.dtype} array"):
        predict(model, frame)
    with pytest.raises(HighBitDepthError, match=f"source\\[1\\] is a {frame.dtype} array"):
        predict(model, [to_8bit(RAW), frame])


def test_predict_takes_float_frames_on_the_0_255_scale_as_their_uint8_twin(model):
    frame = to_8bit(RAW)
    (as_uint8,) = predict(model, frame, conf=0.0)
    (as_float,) = predict(model, frame.astype(np.float32), conf=0.0)
    # Boxes of equal score (conf=0 keeps near-zero ones) may leave NMS in either order: compare them sorted.
    a, b = (np.round(r.boxes.data.numpy(), 3) for r in (as_uint8, as_float))
    a, b = (x[np.lexsort(x.T[::-1])] for x in (a, b))
    assert len(a) > 0 and a.shape == b.shape and np.allclose(a, b, atol=1e-3)


# The PIL modes deeper than 8 bits, each made from the raw counts in the byte layout it stores.
DEEP_PIL = {"I;16": "<u2", "I;16L": "<u2", "I;16B": ">u2", "I": "<i4", "F": "<f4"}


@pytest.mark.parametrize("mode", list(DEEP_PIL))
def test_predict_refuses_deep_pil_images(model, mode):
    image = Image.frombytes(mode, (80, 64), RAW.astype(DEEP_PIL[mode]).tobytes())
    assert image.getpixel((41, 31)) == 7360
    with pytest.raises(HighBitDepthError, match=f"the source is a PIL image of mode '{mode}'.*to_8bit"):
        predict(model, image)


@pytest.mark.parametrize("mode", ["1", "L", "P", "LA", "RGBA", "CMYK"])
def test_predict_takes_8bit_pil_images_as_pil_converts_them(model, mode):
    image = Image.fromarray(np.dstack([to_8bit(RAW, channels=1)[..., 0]] * 3)).convert(mode)
    (result,) = predict(model, image)
    expected = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    assert np.array_equal(result.orig_img, expected)


def test_predict_on_tensors_takes_0_1_and_refuses_raw_counts(model):
    frame = torch.from_numpy(to_8bit(RAW)[:64, :64]).permute(2, 0, 1)[None].float() / 255
    (result,) = predict(model, frame)
    assert result.orig_shape == (64, 64)
    counts = torch.from_numpy(RAW[:64, :64].astype(np.float32))[None, None].repeat(1, 3, 1, 1)
    with pytest.raises(HighBitDepthError, match="the source is a torch.float32 tensor with values from 7300"):
        predict(model, counts)
    with pytest.raises(HighBitDepthError, match="torch.int32 tensor"):
        predict(model, counts.int())


def test_predict_track_and_streams_refuse_a_16bit_grey_video(model, tmp_path):
    video = write_video(tmp_path / "thermal16.mkv", 16)
    with pytest.raises(HighBitDepthError, match="thermal16.mkv' is a 16-bit grey video"):
        predict(model, str(video))
    with pytest.raises(HighBitDepthError, match="thermal16.mkv' is a 16-bit grey video"):
        YOLO("srtod-yolov8n-p2.yaml").track(str(video), imgsz=64, verbose=False, save=False)
    streams = tmp_path / "cameras.streams"  # the stream reader (LoadStreams), as for RTSP cameras
    streams.write_text(f"{video}\n")
    with pytest.raises(HighBitDepthError, match="16-bit grey video"):
        predict(model, str(streams))
    results = predict(model, str(write_video(tmp_path / "grey8.mkv", 8)))
    assert len(results) == 3


def test_track_and_sliced_inference_refuse_deep_frames(model, tmp_path):
    pytest.importorskip("sahi")
    with pytest.raises(HighBitDepthError, match="mode 'I;16'"):
        YOLO("srtod-yolov8n-p2.yaml").track(Image.fromarray(RAW), imgsz=64, verbose=False, save=False)
    with pytest.raises(HighBitDepthError, match="mode 'I;16'"):
        predict(model, Image.fromarray(RAW), slice=True, slice_size=32)
    path = tmp_path / "thermal.png"
    cv2.imwrite(str(path), RAW)
    with pytest.raises(HighBitDepthError, match="thermal.png' is a 16-bit image"):
        predict(model, str(path), slice=True, slice_size=32)
    (result,) = predict(model, to_8bit(RAW), slice=True, slice_size=32)
    assert result.orig_shape == (64, 80)


def test_predict_takes_8bit_and_converted_frames(model, tmp_path):
    frame = tmp_path / "converted.png"
    cv2.imwrite(str(frame), to_8bit(np.full((64, 80), 7300, np.uint16)))
    (result,) = predict(model, str(frame))
    assert result.orig_shape == (64, 80)


def test_a_label_csv_given_as_the_source_is_named_as_a_list_of_paths_that_is_not_one(model, tmp_path):
    labels = tmp_path / "IR_DRONE_080_LABELS.csv"
    labels.write_text("frame,label,x,y,width,height\n0,DRONE,10,20,6,6\n")
    message = r"source '.*IR_DRONE_080_LABELS\.csv' is read as a list of image and video paths .* not exist\. A label"
    with pytest.raises(FileNotFoundError, match=message):
        predict(model, str(labels))
    listing = tmp_path / "frames.txt"  # a real list of frames still works as ultralytics reads it
    assert cv2.imwrite(str(tmp_path / "f.png"), np.zeros((64, 64, 3), np.uint8))
    listing.write_text("f.png\n")
    assert len(predict(model, str(listing))) == 1
    with pytest.raises(FileNotFoundError, match=r"^missing\.png does not exist$"):  # other sources: the stock error
        predict(model, "missing.png")
