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


def test_residual_enhance_keeps_p2_where_the_gate_is_shut_and_adds_w_where_it_is_open():
    torch.manual_seed(0)
    paper, residual = DGFE(32), DGFE(32, enhance="residual")
    residual.load_state_dict(paper.state_dict())
    x = torch.randn(2, 32, 4, 4)
    mask = torch.zeros(2, 1, 16, 16)
    mask[0, 0, 4, 8] = 1  # opens cell (1, 2) of the first image
    out = residual(x, mask)
    w = paper.channel_weights(x)
    shut = torch.ones(2, 1, 4, 4, dtype=torch.bool)
    shut[0, 0, 1, 2] = False
    assert torch.equal(out[shut.expand_as(x)], x[shut.expand_as(x)])  # identity where the gate is shut
    assert torch.allclose(out[0, :, 1, 2], x[0, :, 1, 2] * (1 + w[0, :, 0, 0]))
    assert not torch.allclose(paper(x, mask), out)  # the paper's form scales every cell by w


def test_a_dgfe_pickled_before_the_enhance_option_still_runs_the_paper_form():
    dgfe = DGFE(16)
    del dgfe.enhance  # what unpickling an older checkpoint gives
    x, mask = torch.randn(1, 16, 2, 2), torch.ones(1, 1, 8, 8)
    assert torch.allclose(dgfe(x, mask), x * dgfe.channel_weights(x) * 2)


def test_unknown_enhance_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown DGFE enhance mode 'add'"):
        DGFE(16, enhance="add")
