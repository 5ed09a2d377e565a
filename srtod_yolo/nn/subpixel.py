"""A transposed convolution rewritten as a convolution + pixel shuffle: the same numbers, a faster kernel.

A transposed convolution of stride s writes each output pixel (s*m + a, s*n + b) from a few input pixels near
(m, n), with kernel taps that depend only on the phase (a, b). Gathering those taps per phase gives an ordinary
convolution with s*s*c2 output channels, and `pixel_shuffle(s)` lays the phases out. Both compute the same sums;
ONNX Runtime's CPU kernel for ConvTranspose is much slower than its Conv kernel, so the rewrite pays off at
inference (the reconstruction head's second transposed convolution, at full image resolution, is its most
expensive node). Training keeps the `nn.ConvTranspose2d` and its weights; the rewrite is derived on the fly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ("subpixel_conv_transpose", "subpixel_weights")


def _phase_taps(kernel: int, stride: int, padding: int) -> tuple[int, int]:
    """Input offsets d (input index m + d feeds output s*m + a) that any phase a uses: (d_min, d_max)."""
    # Output o = s*i - p + j for input i and tap j; with o = s*m + a and i = m + d: j = a + p - s*d.
    d_min = min(-((kernel - 1 - a - padding) // stride) for a in range(stride))
    d_max = max((a + padding) // stride for a in range(stride))
    return d_min, d_max


def subpixel_weights(
    weight: torch.Tensor, bias: torch.Tensor | None, stride: int, padding: int
) -> tuple[torch.Tensor, torch.Tensor | None, tuple[int, int]]:
    """Rewrite transposed-convolution weights as an ordinary convolution followed by `pixel_shuffle(stride)`.

    Args:
        weight (torch.Tensor): `nn.ConvTranspose2d` weights (c1, c2, k, k).
        bias (torch.Tensor | None): Its bias (c2,).
        stride (int): Its stride s; the output must be exactly s times the input (k - 2 * padding == s).
        padding (int): Its padding p.

    Returns:
        (tuple): Convolution weights (c2 * s * s, c1, K, K), bias (c2 * s * s,) or None, and the input padding
            (before, after) the convolution needs, with K = before + after + 1.

    Example:
        >>> w, b, pad = subpixel_weights(torch.zeros(8, 4, 4, 4), torch.zeros(4), stride=2, padding=1)
        >>> w.shape, b.shape, pad
        (torch.Size([16, 8, 3, 3]), torch.Size([16]), (1, 1))
    """
    c1, c2, kh, kw = weight.shape
    if kh != kw or kh - 2 * padding != stride:
        raise ValueError(
            f"subpixel_weights handles square transposed convolutions whose output is exactly stride x the input "
            f"(kernel - 2 * padding == stride); got kernel {kh}x{kw}, stride {stride}, padding {padding}"
        )
    d_min, d_max = _phase_taps(kh, stride, padding)
    zero = weight.new_zeros(c1, c2)

    def tap(a: int, d: int) -> int | None:
        j = a + padding - stride * d
        return j if 0 <= j < kh else None

    phases = []  # (s * s) kernels of (c1, c2, K, K), in pixel_shuffle's channel order a * s + b
    for a in range(stride):
        for b in range(stride):
            rows = []
            for dy in range(d_min, d_max + 1):
                jy = tap(a, dy)
                cols = []
                for dx in range(d_min, d_max + 1):
                    jx = tap(b, dx)
                    cols.append(zero if jy is None or jx is None else weight[:, :, jy, jx])
                rows.append(torch.stack(cols, -1))
            phases.append(torch.stack(rows, -2))
    # pixel_shuffle reads channel c * s * s + (a * s + b) for output channel c at phase (a, b).
    kernel = torch.stack(phases, 0).permute(2, 0, 1, 3, 4).reshape(c2 * stride * stride, c1, *phases[0].shape[-2:])
    sub_bias = None if bias is None else bias.repeat_interleave(stride * stride)
    return kernel, sub_bias, (-d_min, d_max)


def subpixel_conv_transpose(x: torch.Tensor, conv_transpose: nn.ConvTranspose2d) -> torch.Tensor:
    """Compute `conv_transpose(x)` as a convolution + pixel shuffle (same values, up to float rounding).

    Args:
        x (torch.Tensor): Input (B, c1, H, W).
        conv_transpose (nn.ConvTranspose2d): A transposed convolution with square kernel k, stride s, padding p,
            k - 2p == s, no output padding, dilation or groups (the reconstruction head's k4 s2 p1 is one).

    Returns:
        (torch.Tensor): (B, c2, s * H, s * W), equal to `conv_transpose(x)`.

    Example:
        >>> ct = nn.ConvTranspose2d(8, 4, 4, 2, 1)
        >>> x = torch.randn(1, 8, 5, 7)
        >>> torch.allclose(subpixel_conv_transpose(x, ct), ct(x), atol=1e-5)
        True
    """
    ct = conv_transpose
    if ct.groups != 1 or ct.dilation != (1, 1) or ct.output_padding != (0, 0) or ct.padding[0] != ct.padding[1]:
        raise ValueError(f"subpixel_conv_transpose supports plain square transposed convolutions, got {ct}")
    if ct.stride[0] != ct.stride[1]:
        raise ValueError(f"subpixel_conv_transpose needs equal strides, got {ct.stride}")
    stride, padding = ct.stride[0], ct.padding[0]
    weight, bias, (before, after) = subpixel_weights(ct.weight, ct.bias, stride, padding)
    if before == after:
        y = F.conv2d(x, weight, bias, padding=before)
    else:
        y = F.conv2d(F.pad(x, (before, after, before, after)), weight, bias)
    return F.pixel_shuffle(y, stride)
