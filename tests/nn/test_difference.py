import pytest
import torch

from srtod_yolo.nn import difference_map, high_pass


def test_pixel_difference_is_channel_mean_of_absolute_error():
    rec = torch.tensor([[[[0.5, 1.0]], [[0.5, 0.0]], [[0.2, 0.4]]]])  # (1, 3, 1, 2)
    img = torch.tensor([[[[0.0, 1.0]], [[1.0, 0.5]], [[0.2, 0.1]]]])
    d = difference_map(rec, img)
    assert d.shape == (1, 1, 1, 2)
    # pixel 0: (0.5 + 0.5 + 0.0) / 3; pixel 1: (0 + 0.5 + 0.3) / 3
    assert torch.allclose(d.flatten(), torch.tensor([1.0 / 3, 0.8 / 3]), atol=1e-7)


def test_highfreq_difference_ignores_smooth_error_and_keeps_a_speck():
    img = torch.rand(1, 3, 64, 64)
    brighter = img + 0.2  # a reconstruction off by a constant: pure low frequency
    assert difference_map(brighter, img, "pixel").mean().item() == pytest.approx(0.2, abs=1e-6)
    assert difference_map(brighter, img, "highfreq").max().item() < 1e-5
    speck = img.clone()
    speck[..., 30:32, 40:42] += 0.5  # a 2-px object the reconstruction missed
    d = difference_map(speck, img, "highfreq")[0, 0]
    assert d[30:32, 40:42].min() > 5 * d[:20, :20].max()


def test_high_pass_keeps_a_checkerboard_and_removes_a_constant():
    board = (torch.arange(8)[:, None] + torch.arange(8)[None, :]) % 2 * 1.0  # frequency 0.5 cycles/px
    board = board - board.mean()
    assert torch.allclose(high_pass(board[None, None]), board[None, None], atol=1e-6)
    assert high_pass(torch.full((1, 1, 8, 8), 3.0)).abs().max() < 1e-6


def test_difference_map_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown difference map kind"):
        difference_map(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4), "wavelet")
    with pytest.raises(ValueError, match="one shape"):
        difference_map(torch.zeros(1, 3, 4, 4), torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match="cutoff"):
        high_pass(torch.zeros(1, 1, 4, 4), cutoff=0.7)
