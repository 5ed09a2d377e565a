import re

import cv2
import numpy as np
import pytest

from srtod_yolo.data.images import (
    HighBitDepthError,
    bit_depth,
    check_8bit,
    check_frame,
    check_video,
    to_8bit,
    video_pixel_depth,
)


def test_to_8bit_stretches_between_percentiles_by_hand():
    raw = np.array([[7000, 7500], [7600, 8000]], np.uint16)
    out = to_8bit(raw, 0, 100)
    assert out.shape == (2, 2, 3) and out.dtype == np.uint8
    assert out[..., 0].tolist() == [[0, 128], [153, 255]]  # (v - 7000) / 1000 * 255, rounded
    assert (out[..., 0] == out[..., 2]).all()
    assert to_8bit(raw, 0, 100, channels=1).shape == (2, 2, 1)


def test_a_warm_drone_survives_to_8bit_but_not_the_high_byte_cut():
    rng = np.random.default_rng(0)
    sky = rng.normal(7200, 5, (64, 64))
    sky[30:33, 30:33] += 60  # a drone 60 counts warmer than the sky
    raw = np.clip(sky, 0, 65535).astype(np.uint16)
    stretched = to_8bit(raw)[..., 0].astype(int)
    assert stretched[31, 31] - np.median(stretched) > 100
    high_byte = (raw >> 8).astype(int)  # what a plain 8-bit read keeps
    assert high_byte[31, 31] - np.median(high_byte) <= 1


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_bit_depth_reads_the_header(tmp_path, ext):
    deep, plain = tmp_path / f"deep{ext}", tmp_path / f"plain{ext}"
    cv2.imwrite(str(deep), np.full((8, 8), 40000, np.uint16))
    cv2.imwrite(str(plain), np.zeros((8, 8, 3), np.uint8))
    assert bit_depth(deep) == 16 and bit_depth(plain) == 8
    with pytest.raises(HighBitDepthError, match=rf"deep{ext}' is a 16-bit image.*to_8bit"):
        check_8bit(deep)
    check_8bit(plain)


def test_to_8bit_rejects_bad_arguments():
    with pytest.raises(ValueError, match="percentiles"):
        to_8bit(np.zeros((2, 2)), 50, 10)
    with pytest.raises(ValueError, match="channels"):
        to_8bit(np.zeros((2, 2)), channels=2)


@pytest.mark.parametrize(
    ("name", "array", "depth"),
    [
        ("grey16.png", np.full((64, 64), 40000, np.uint16), 16),
        ("colour16.png", np.full((64, 64, 3), 40000, np.uint16), 16),
        ("grey16.tif", np.full((64, 64), 40000, np.uint16), 16),
        ("colour16.tif", np.full((64, 64, 3), 40000, np.uint16), 16),  # PIL opens it as mode 'RGB'
        ("float.tif", np.full((64, 64), 0.5, np.float32), 32),
        ("grey16.pgm", np.full((64, 64), 40000, np.uint16), 16),
        ("colour16.ppm", np.full((64, 64, 3), 40000, np.uint16), 16),
        ("grey16.jp2", np.full((64, 64), 40000, np.uint16), 16),
        ("colour8.ppm", np.full((64, 64, 3), 200, np.uint8), 8),
        ("colour8.jp2", np.full((64, 64, 3), 200, np.uint8), 8),
        ("colour8.tif", np.full((64, 64, 3), 200, np.uint8), 8),
    ],
)
def test_bit_depth_of_every_format_that_can_hold_more_than_8_bits(tmp_path, name, array, depth):
    path = tmp_path / name
    assert cv2.imwrite(str(path), array)
    assert bit_depth(path) == depth


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.full((8, 8), 7300, np.uint16), "uint16 array"),
        (np.full((8, 8, 3), -5, np.int16), "int16 array"),
        (np.full((8, 8, 3), 300, np.int32), "int32 array"),
        (np.full((8, 8, 3), 0.5, np.float32), r"float32 array normalised to \[0, 1\].*Multiply it by 255"),
        (np.full((8, 8, 3), 7300.0), "float64 array with values from 7300 to 7300.*to_8bit"),
        (np.full((8, 8, 3), -1.0, np.float32), "float32 array with values from -1 to -1"),
    ],
)
def test_check_frame_refuses_numpy_frames_off_the_8bit_scale(frame, message):
    with pytest.raises(HighBitDepthError, match=f"source\\[3\\] is a {message}"):
        check_frame(frame, "source[3]")


@pytest.mark.parametrize("frame", [np.zeros((8, 8, 3), np.uint8), np.full((8, 8), 200.0), np.zeros((8, 8), np.float32)])
def test_check_frame_takes_uint8_and_float_frames_on_the_0_255_scale(frame):
    check_frame(frame)


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L", "I", "F"])
def test_check_frame_refuses_deep_pil_modes(mode):
    from PIL import Image

    image = Image.new(mode, (8, 8), 7300)
    with pytest.raises(HighBitDepthError, match=f"is a PIL image of mode '{re.escape(mode)}'.*to_8bit"):
        check_frame(image)


def test_check_frame_on_tensors_takes_the_ultralytics_scales_and_refuses_others():
    import torch

    check_frame(torch.rand(1, 3, 32, 32))  # [0, 1]
    check_frame(torch.full((1, 3, 32, 32), 200, dtype=torch.uint8))  # 0-255, divided by ultralytics
    check_frame(torch.full((1, 3, 32, 32), 200.0))
    with pytest.raises(HighBitDepthError, match="float32 tensor with values from 7300 to 7300"):
        check_frame(torch.full((1, 3, 32, 32), 7300.0))
    with pytest.raises(HighBitDepthError, match="int32 tensor"):
        check_frame(torch.full((1, 3, 32, 32), 100, dtype=torch.int32))


def write_video(path, depth: int, frames: int = 3):
    """A small lossless (FFV1) grey video of the given depth; 16-bit: raw thermal-like counts near 7,300."""
    params = [cv2.VIDEOWRITER_PROP_DEPTH, cv2.CV_16U if depth == 16 else cv2.CV_8U, cv2.VIDEOWRITER_PROP_IS_COLOR, 0]
    writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"FFV1"), 10, (64, 48), params)
    assert writer.isOpened(), "OpenCV cannot write FFV1 here"
    for i in range(frames):
        writer.write(np.full((48, 64), 7300 + 50 * i if depth == 16 else 100, np.uint16 if depth == 16 else np.uint8))
    writer.release()
    return path


def test_video_pixel_depth_reads_the_decoded_format(tmp_path):
    deep = cv2.VideoCapture(str(write_video(tmp_path / "thermal16.mkv", 16)))
    plain = cv2.VideoCapture(str(write_video(tmp_path / "grey8.mkv", 8)))
    assert video_pixel_depth(deep) == (16, 1) and video_pixel_depth(plain) == (8, 3)
    ok, frame = deep.read()
    assert ok and frame.dtype == np.uint8 and int(frame.max()) - int(frame.min()) <= 1  # OpenCV's cut: flat
    with pytest.raises(HighBitDepthError, match="'clip' is a 16-bit grey video.*to_8bit"):
        check_video(deep, "clip")
    assert check_video(plain, "clip") == 8
