import cv2
import numpy as np
import pytest

from srtod_yolo.data.images import HighBitDepthError, bit_depth, check_8bit, to_8bit


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
