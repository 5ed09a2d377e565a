import pytest
import torch
from torch import nn

from srtod_yolo.nn.subpixel import subpixel_conv_transpose, subpixel_weights


@pytest.mark.parametrize("kernel, stride, padding", [(4, 2, 1), (2, 2, 0), (8, 4, 2), (6, 2, 2), (5, 3, 1)])
@pytest.mark.parametrize("size", [(1, 1), (7, 4), (13, 10)])
def test_subpixel_rewrite_equals_the_transposed_convolution(kernel, stride, padding, size):
    torch.manual_seed(0)
    ct = nn.ConvTranspose2d(5, 3, kernel, stride, padding)
    x = torch.randn(2, 5, *size)
    expected = ct(x)
    got = subpixel_conv_transpose(x, ct)
    assert got.shape == expected.shape == (2, 3, stride * size[0], stride * size[1])
    assert torch.allclose(got, expected, atol=1e-5)


def test_subpixel_rewrite_without_bias():
    ct = nn.ConvTranspose2d(4, 2, 4, 2, 1, bias=False)
    x = torch.randn(1, 4, 6, 6)
    assert torch.allclose(subpixel_conv_transpose(x, ct), ct(x), atol=1e-5)


def test_subpixel_weights_of_the_reconstruction_up_block_are_a_padded_3x3_convolution():
    weight, bias, padding = subpixel_weights(torch.randn(32, 16, 4, 4), torch.randn(16), stride=2, padding=1)
    assert weight.shape == (64, 32, 3, 3) and bias.shape == (64,) and padding == (1, 1)
    # Each phase of a k4 s2 transposed convolution uses 2x2 of the 3x3 taps: 4 of the 9 are nonzero.
    assert (weight.abs().sum((0, 1)) > 0).sum() == 9  # every tap serves some phase
    assert ((weight[:4].abs().sum(1) > 0).sum((1, 2)) == 4).all()


@pytest.mark.parametrize(
    "module, message",
    [
        (nn.ConvTranspose2d(4, 2, 4, 2, 1, output_padding=1), "plain square"),
        (nn.ConvTranspose2d(4, 2, 3, 2, 1), "exactly stride x the input"),
        (nn.ConvTranspose2d(4, 4, 4, 2, 1, groups=2), "plain square"),
    ],
)
def test_unsupported_transposed_convolutions_are_rejected(module, message):
    with pytest.raises(ValueError, match=message):
        subpixel_conv_transpose(torch.randn(1, 4, 5, 5), module)
