import pickle

import pytest
import torch

from srtod_yolo.nn import SRTOD


@pytest.mark.parametrize("head", ["convt", "half", "shuffle"])
@pytest.mark.parametrize("size", [(64, 64), (161, 145)])
def test_srtod_keeps_p2_shape_at_any_size(head, size):
    layer = SRTOD(32, head=head)
    h, w = size
    p2 = torch.rand(2, 32, -(-h // 4), -(-w // 4))
    out = layer.train()(p2, torch.rand(2, 3, h, w))
    assert out.shape == p2.shape
    assert layer.last["reconstruction"].shape == (2, 3, h, w)
    assert layer.eval()(p2, torch.rand(2, 3, h, w)).shape == p2.shape


@pytest.mark.parametrize("head", ["convt", "half", "shuffle"])
@pytest.mark.parametrize("size", [(64, 64), (161, 145)])
def test_sparse_inference_equals_the_full_computation(head, size):
    torch.manual_seed(0)
    layer = SRTOD(32, head=head, threshold=0.3, threshold_mode="fixed").eval()
    h, w = size
    p2, image = torch.randn(1, 32, -(-h // 4), -(-w // 4)), torch.rand(1, 3, h, w)
    assert layer.samples_sparsely
    fast = layer(p2, image)
    layer.keep_maps = True  # forces the full-resolution path
    full = layer(p2, image)
    assert 0 < layer.last["mask"].mean() < 1  # the gate is neither all open nor all shut here
    assert torch.equal(fast, full)


@pytest.mark.parametrize("head", ["convt", "half", "shuffle"])
@pytest.mark.parametrize("size, pad", [((64, 64), 0), ((161, 145), 0), ((96, 128), 13)])
def test_sparse_inference_with_a_border_margin_equals_the_full_computation(head, size, pad):
    torch.manual_seed(0)
    layer = SRTOD(32, head=head, threshold=0.3, threshold_mode="fixed", border=6).eval()
    h, w = size
    p2, image = torch.randn(1, 32, -(-h // 4), -(-w // 4)), torch.rand(1, 3, h, w)
    if pad:  # letterbox padding above and below, of a height that is no multiple of the stride
        image[..., :pad, :] = image[..., -pad:, :] = 114 / 255
    assert layer.samples_sparsely
    fast = layer(p2, image)
    layer.keep_maps = True
    full = layer(p2, image)
    assert 0 < layer.last["mask"].mean() < 1
    assert layer.last["mask"][..., : pad + 6, :].sum() == 0  # the margin closed the gate where it applies
    assert torch.equal(fast, full)
    layer.border, layer.keep_maps = 0, False
    assert not torch.equal(layer(p2, image), fast)  # and it changed the output, so the comparison above can fail


def test_the_border_setting_round_trips_and_old_pickles_read_as_off():
    layer = SRTOD(16, border=8)
    assert layer.settings["border"] == 8
    assert pickle.loads(pickle.dumps(layer)).settings["border"] == 8
    assert SRTOD(16, **{**layer.settings, "widths": None}).settings == {**layer.settings, "widths": [8, 4]}
    del layer.border  # a layer pickled before the setting existed
    assert layer.settings["border"] == 0 and layer.eval()(torch.rand(1, 16, 8, 8), torch.rand(1, 3, 32, 32)).shape


def test_sparse_inference_can_be_switched_off_and_survives_pickling():
    layer = SRTOD(16).eval()
    layer.sparse_inference = False
    assert not layer.samples_sparsely
    assert not pickle.loads(pickle.dumps(layer)).samples_sparsely
    assert SRTOD(16, resize="maxpool").eval().samples_sparsely is False  # maxpool reads every pixel of a block


def test_reconstruction_head_alone_leaves_p2_unchanged():
    layer = SRTOD(16, dgfe=False)
    p2 = torch.rand(1, 16, 8, 8)
    assert torch.equal(layer.train()(p2, torch.rand(1, 3, 32, 32)), p2)
    assert "reconstruction" in layer.last
    assert torch.equal(layer.eval()(p2, torch.rand(1, 3, 32, 32)), p2)


def test_gradient_reaches_the_reconstruction_head_through_the_mse():
    layer = SRTOD(16).train()
    image = torch.rand(1, 3, 32, 32)
    layer(torch.rand(1, 16, 8, 8), image)
    layer.reconstruction_loss(image).backward()
    assert layer.reconstruction_head.out.weight.grad.abs().sum() > 0


def test_grayscale_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="3-channel images.*grayscale or thermal"):
        SRTOD(16)(torch.rand(1, 16, 8, 8), torch.rand(1, 1, 32, 32))


def test_a_feature_map_that_is_not_p2_gets_a_clear_error():
    with pytest.raises(ValueError, match="stride-4 feature map P2.*stride ~8"):
        SRTOD(16)(torch.rand(1, 16, 4, 4), torch.rand(1, 3, 32, 32))


def test_an_image_smaller_than_the_stride_gets_a_clear_error():
    with pytest.raises(ValueError, match="smaller than the P2 stride"):
        SRTOD(16)(torch.rand(1, 16, 1, 1), torch.rand(1, 3, 3, 3))


def test_missing_image_gets_a_clear_error():
    with pytest.raises(ValueError, match="needs the network input image"):
        SRTOD(16)(torch.rand(1, 16, 8, 8))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"head": "unet"}, "unknown SR-TOD head"),
        ({"resize": "area"}, "unknown mask resize mode"),
        ({"difference": "edges"}, "unknown difference map kind"),
        ({"threshold": 2.0}, "out of range"),
        ({"threshold_mode": "soft"}, "unknown threshold mode"),
        ({"rec_weight": -1}, "rec_weight"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SRTOD(16, **kwargs)


def test_pickles_leave_out_per_pass_tensors():
    layer = SRTOD(16).train()
    layer(torch.rand(1, 16, 8, 8), torch.rand(1, 3, 32, 32))
    layer.image = torch.rand(1, 3, 32, 32)
    clone = pickle.loads(pickle.dumps(layer))
    assert clone.image is None and clone.last == {}
    assert layer.last  # the original is untouched
    assert clone.settings == layer.settings
