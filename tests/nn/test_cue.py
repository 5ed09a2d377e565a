import pytest
import torch

from srtod_yolo.nn import SRTOD
from srtod_yolo.nn.cue import DifferenceCue


def test_zero_initialised_cue_is_the_identity_and_learns_from_the_loss():
    cue = DifferenceCue(8)
    p2, difference = torch.rand(2, 8, 6, 5), torch.rand(2, 1, 24, 20)
    assert torch.equal(cue(p2, difference), p2)
    cue(p2, difference).pow(2).sum().backward()
    assert cue.fuse.weight.grad.abs().sum() > 0  # the detection loss can open the cue


def test_cue_sees_every_pixel_of_a_block_not_only_the_one_nearest_resize_keeps():
    cue = DifferenceCue(1)
    torch.nn.init.ones_(cue.fuse.weight)
    p2 = torch.zeros(1, 1, 2, 2)
    difference = torch.zeros(1, 1, 8, 8)
    difference[..., 2, 3] = 1.0  # a 1-px drone off the top-left pixel of its 4x4 block
    assert cue(p2, difference).abs().sum() > 0


def test_cue_pads_a_map_that_is_not_a_multiple_of_the_stride():
    cue = DifferenceCue(4)
    assert cue(torch.rand(1, 4, 3, 3), torch.rand(1, 1, 10, 11)).shape == (1, 4, 3, 3)
    with pytest.raises(ValueError, match="larger than P2"):
        cue(torch.rand(1, 4, 2, 2), torch.rand(1, 1, 10, 10))


@pytest.mark.parametrize("training", [True, False])
def test_srtod_with_the_fused_cue_starts_as_the_identity(training):
    layer = SRTOD(16, enhance="fuse").train(training)
    p2, image = torch.rand(1, 16, 8, 8), torch.rand(1, 3, 32, 32)
    assert torch.equal(layer(p2, image), p2)
    assert layer.settings["enhance"] == "fuse" and not layer.samples_sparsely
