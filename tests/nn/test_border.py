import pytest
import torch

from srtod_yolo.nn import LETTERBOX_GREY, SRTOD, ThresholdGate, difference_map, picture_mask, resize_mask


def ring_and_blob(h: int = 64, w: int = 80, ring: int = 6) -> tuple[torch.Tensor, tuple[int, int]]:
    """A difference map that is high on a `ring`-px band along the frame's edge and on one 4x4 blob 20 px inside."""
    d = torch.full((1, 1, h, w), 0.01)
    d[..., :ring, :] = d[..., -ring:, :] = d[..., :, :ring] = d[..., :, -ring:] = 0.6
    y, x = 20, 24  # a drone-sized blob well inside the picture, on the 4-px grid
    d[..., y : y + 4, x : x + 4] = 0.6
    return d, (y, x)


def test_a_map_high_only_at_the_border_gives_a_closed_gate_with_the_margin():
    d, (y, x) = ring_and_blob()
    gate = ThresholdGate(0.3, mode="fixed")
    image = torch.rand(1, 3, *d.shape[-2:])  # a frame that fills the input: no letterbox padding
    cells_without = resize_mask(gate(d), 4)[0, 0]
    cells_with = resize_mask(gate(d * picture_mask(image, border=8)), 4)[0, 0]
    assert cells_without[0].all() and cells_without[:, -1].all()  # today: the whole border opens
    assert cells_with.sum() == 1 and cells_with[y // 4, x // 4] == 1  # with the margin: only the blob


def test_the_margin_is_counted_from_the_picture_not_the_letterbox_padding():
    image = torch.full((1, 3, 48, 64), LETTERBOX_GREY)
    image[..., 8:40, :] = torch.rand(1, 3, 32, 64)  # 8 rows of padding above and below, as `yolo val` pads
    image[..., 20, :] = LETTERBOX_GREY  # a grey row inside the picture is not padding
    rows = picture_mask(image, border=4)[0, 0, :, 32]
    assert rows[:12].sum() == 0 and rows[36:].sum() == 0  # padding, then 4 px of margin, on both sides
    assert rows[12:36].all()
    cols = picture_mask(image, border=4)[0, 0, 24]
    assert cols[:4].sum() == 0 and cols[-4:].sum() == 0 and cols[4:-4].all()


def test_padding_is_dropped_even_without_a_margin_and_an_all_grey_input_keeps_nothing():
    image = torch.full((2, 3, 16, 16), LETTERBOX_GREY)
    image[0, :, :, :10] = 0.2  # frame 0: 6 columns of padding on the right
    mask = picture_mask(image, border=0)
    assert mask[0, 0, :, :10].all() and mask[0, 0, :, 10:].sum() == 0
    assert mask[1].sum() == 0  # frame 1 is padding only


def test_step_samples_the_full_mask():
    image = torch.rand(2, 3, 37, 45)
    image[0, :, :5] = LETTERBOX_GREY
    full = picture_mask(image, border=3)
    assert torch.equal(picture_mask(image, border=3, step=4), full[..., ::4, ::4])


def test_a_negative_margin_is_rejected():
    with pytest.raises(ValueError, match="border must be >= 0"):
        picture_mask(torch.rand(1, 3, 8, 8), border=-1)
    with pytest.raises(ValueError, match="whole number of pixels"):
        SRTOD(16, border=-2)
    with pytest.raises(ValueError, match="whole number of pixels"):
        SRTOD(16, border=2.5)


def test_the_layer_zeroes_its_difference_map_by_that_rule():
    torch.manual_seed(0)
    layer = SRTOD(16, border=8).eval()
    layer.keep_maps = True
    p2, image = torch.randn(1, 16, 12, 16), torch.rand(1, 3, 48, 64)
    image[..., :8, :] = LETTERBOX_GREY
    layer(p2, image)
    raw = difference_map(layer.reconstruction_head(p2, (48, 64)), image)
    assert torch.equal(layer.last["difference"], raw * picture_mask(image, 8))
    assert layer.last["difference"][..., :16, :].sum() == 0 and layer.last["difference"][..., 16:-8, 8:-8].all()
