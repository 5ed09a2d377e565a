import pytest
import torch
import torch.nn.functional as F

from srtod_yolo.nn import DGFE, resize_mask


def test_dgfe_by_hand_with_a_silent_mlp():
    dgfe = DGFE(16)  # reduction 16: hidden width 1
    with torch.no_grad():
        for p in dgfe.mlp.parameters():
            p.zero_()  # w = sigmoid(0 + 0) = 0.5 for every channel
    x = torch.arange(16 * 2 * 2, dtype=torch.float32).view(1, 16, 2, 2)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., 4, 0] = 1  # the top-left pixel of block (1, 0)
    out = dgfe(x, mask)
    expected = x * 0.5
    expected[..., 1, 0] *= 2  # P2 * w * (mask + 1)
    assert torch.allclose(out, expected)


def test_channel_weights_follow_the_formula():
    torch.manual_seed(1)
    dgfe = DGFE(32)
    x = torch.randn(2, 32, 5, 7)
    w = dgfe.channel_weights(x)
    expected = torch.sigmoid(dgfe.mlp(x.mean((2, 3))) + dgfe.mlp(x.flatten(2).max(-1).values))
    assert w.shape == (2, 32, 1, 1)
    assert torch.allclose(w[..., 0, 0], expected)


def test_nearest_resize_is_the_official_interpolate_and_drops_a_missed_two_pixel_object():
    mask = (torch.rand(2, 1, 32, 48) > 0.7).float()
    assert torch.equal(resize_mask(mask, 4, "nearest"), F.interpolate(mask, size=(8, 12)))
    drone = torch.zeros(1, 1, 16, 16)
    drone[..., 5:7, 9:11] = 1  # 2x2 px, not on a sampled pixel (multiples of 4)
    assert resize_mask(drone, 4, "nearest").sum() == 0
    kept = resize_mask(drone, 4, "maxpool")
    assert kept.sum() == 1 and kept[0, 0, 1, 2] == 1


def test_resize_handles_odd_sizes_like_strided_convolutions():
    mask = torch.ones(1, 1, 161, 145)
    assert resize_mask(mask, 4, "nearest").shape[-2:] == (41, 37)
    assert resize_mask(mask, 4, "maxpool").shape[-2:] == (41, 37)


def test_unknown_resize_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown mask resize mode 'bilinear'"):
        DGFE(16, resize="bilinear")
