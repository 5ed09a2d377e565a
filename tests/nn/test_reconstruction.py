import pytest
import torch
from torch import nn

from srtod_yolo.nn import HalfReconstructionHead, ReconstructionHead, ShuffleReconstructionHead, default_widths


def _nearest_upsampling_block(block: nn.Sequential, channels: int) -> None:
    """Set an UpBlock to copy each channel into a 2x2 block: ConvT kernel [0,1,1,0]^2, 3x3 convs = identity."""
    convt, conv1, _, conv2, _ = block
    k = torch.tensor([0.0, 1.0, 1.0, 0.0])
    with torch.no_grad():
        convt.weight.zero_()
        convt.bias.zero_()
        for conv in (conv1, conv2):
            conv.weight.zero_()
        for c in range(channels):
            convt.weight[c, c] = torch.outer(k, k)
            conv1.weight[c, c, 1, 1] = 1
            conv2.weight[c, c, 1, 1] = 1


def test_head_with_hand_set_weights_is_sigmoid_of_nearest_upsampling():
    head = ReconstructionHead(3, widths=(3, 3))
    _nearest_upsampling_block(head.up1, 3)
    _nearest_upsampling_block(head.up2, 3)
    with torch.no_grad():
        head.out.weight.zero_()
        head.out.bias.zero_()
        for c in range(3):
            head.out.weight[c, c, 1, 1] = 1
    p2 = torch.tensor([[1.0, 2.0], [0.5, 3.0]]).expand(1, 3, 2, 2).clone()
    out = head(p2)
    expected = torch.sigmoid(p2.repeat_interleave(4, -1).repeat_interleave(4, -2))
    assert out.shape == (1, 3, 8, 8)
    assert torch.allclose(out, expected, atol=1e-6)
    assert out[0, 0, 0, 0].item() == torch.sigmoid(torch.tensor(1.0)).item()


def test_head_matches_odd_image_sizes():
    head = ReconstructionHead(32)
    # A stride-2 conv with padding rounds up: a 161-px image has a 41-px P2, and 4 x 41 = 164 is cropped to 161.
    assert head(torch.rand(2, 32, 41, 37), size=(161, 145)).shape == (2, 3, 161, 145)
    assert head(torch.rand(1, 32, 5, 5)).shape == (1, 3, 20, 20)
    shuffle = ShuffleReconstructionHead(32)
    assert shuffle(torch.rand(2, 32, 41, 37), size=(161, 145)).shape == (2, 3, 161, 145)


def test_head_output_is_an_image_in_unit_range():
    out = ReconstructionHead(16)(torch.randn(1, 16, 6, 6) * 50)
    assert out.min() >= 0 and out.max() <= 1


def test_default_widths_scale_with_the_model_and_official_widths_are_reachable():
    assert default_widths(32) == (16, 8)  # yolov8n-p2's P2
    assert ReconstructionHead(32).widths == (16, 8)
    official = ReconstructionHead(256, widths=(128, 64))
    assert official.up1[0].weight.shape == (256, 128, 4, 4)  # ConvT 256 -> 128
    assert official.up2[0].weight.shape == (128, 64, 4, 4)  # ConvT 128 -> 64
    assert official.out.weight.shape == (3, 64, 3, 3)
    assert official.up1[1].bias is None and official.up1[0].bias is not None  # as in the official code


def test_shuffle_phase_rebuilds_exactly_the_sampled_pixels():
    head = ShuffleReconstructionHead(24).eval()
    p2 = torch.randn(2, 24, 9, 11)
    full = head(p2)
    for dy, dx in [(0, 0), (1, 3), (3, 2)]:
        assert torch.allclose(head.phase(p2, dy, dx), full[..., dy::4, dx::4], atol=1e-6)


def test_paper_head_phase_rebuilds_exactly_the_sampled_pixels():
    torch.manual_seed(0)
    head = ReconstructionHead(24, widths=(12, 6)).eval()
    p2 = torch.randn(2, 24, 9, 11)
    full = head(p2)
    for dy, dx in [(0, 0), (1, 3), (3, 2), (2, 0)]:
        sampled = head.phase(p2, dy, dx)
        assert sampled.shape == (2, 3, 9, 11)
        assert torch.allclose(sampled, full[..., dy::4, dx::4], atol=1e-6)


def test_paper_head_phase_at_odd_sizes_matches_the_cropped_image():
    head = ReconstructionHead(32).eval()
    p2 = torch.randn(1, 32, 41, 37)  # a 161 x 145 image
    full = head(p2, size=(161, 145))
    assert torch.allclose(head.phase(p2), full[..., ::4, ::4], atol=1e-6)


def test_phase_offsets_outside_the_block_are_rejected():
    with pytest.raises(ValueError, match="phase offsets"):
        ReconstructionHead(8).phase(torch.rand(1, 8, 4, 4), 4, 0)


def test_half_head_rebuilds_odd_sizes_and_its_phase_is_exact():
    torch.manual_seed(0)
    head = HalfReconstructionHead(24, widths=(12, 6)).eval()
    assert head(torch.rand(2, 24, 41, 37), size=(161, 145)).shape == (2, 3, 161, 145)
    p2 = torch.randn(2, 24, 9, 11)
    full = head(p2)
    assert full.shape == (2, 3, 36, 44) and full.min() >= 0 and full.max() <= 1
    for dy, dx in [(0, 0), (1, 3), (3, 2), (2, 1)]:
        assert torch.allclose(head.phase(p2, dy, dx), full[..., dy::4, dx::4], atol=1e-6)


def test_half_head_runs_nothing_at_full_resolution():
    head = HalfReconstructionHead(32)
    seen = []
    for m in head.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            m.register_forward_hook(lambda mod, args, out: seen.append(out.shape[-1]))
    head(torch.rand(1, 32, 10, 10))
    assert max(seen) == 20  # half of the 40-px image; only the pixel shuffle reaches 40


@pytest.mark.parametrize("head", ["ReconstructionHead", "HalfReconstructionHead", "ShuffleReconstructionHead"])
def test_every_head_refuses_non_positive_widths(head):
    import srtod_yolo.nn.reconstruction as heads

    with pytest.raises(ValueError, match=f"{head} widths must be positive"):
        getattr(heads, head)(32, widths=[16, 0])
