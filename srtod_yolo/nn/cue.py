"""The difference map as a learned cue: brought to P2's grid and added through a zero-initialised convolution."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ("DifferenceCue",)


class DifferenceCue(nn.Module):
    """P2' = P2 + Conv3x3(pixel_unshuffle(D, s)), the convolution initialised to zero.

    Not in the paper: a follow-up of docs/results.md, where the paper's hard gate rescales every P2 cell from the
    first step and costs accuracy. Here the full-resolution difference map D keeps all its pixels (a 2-px drone in
    any position of its s x s block reaches P2 as one of s^2 channels, not through one sampled pixel), no threshold
    decides for the detector, and the layer starts as the identity: at step 0 the model is exactly the baseline, and
    the detection loss decides how much of the cue to use.

    Args:
        c1 (int): Channels of P2.
        stride (int): Stride of P2 relative to D (4).
        in_channels (int): Channels of D (1).

    Returns:
        (torch.Tensor): P2' (B, c1, h, w).

    Example:
        >>> cue = DifferenceCue(32)
        >>> p2 = torch.rand(1, 32, 8, 8)
        >>> torch.equal(cue(p2, torch.rand(1, 1, 32, 32)), p2)  # zero-initialised: the identity at step 0
        True
    """

    def __init__(self, c1: int, stride: int = 4, in_channels: int = 1):
        super().__init__()
        self.stride = int(stride)
        self.fuse = nn.Conv2d(in_channels * self.stride**2, c1, 3, padding=1)
        nn.init.zeros_(self.fuse.weight)
        nn.init.zeros_(self.fuse.bias)

    def forward(self, x: torch.Tensor, difference: torch.Tensor) -> torch.Tensor:
        """Add the cue of a full-resolution difference map (B, 1, H, W) to P2 (B, c1, ceil(H/s), ceil(W/s))."""
        h, w = x.shape[-2:]
        s = self.stride
        pad_h, pad_w = h * s - difference.shape[-2], w * s - difference.shape[-1]
        if pad_h < 0 or pad_w < 0:
            raise ValueError(
                f"difference map {tuple(difference.shape[-2:])} is larger than P2 {h}x{w} at stride {s} allows"
            )
        if pad_h or pad_w:
            difference = F.pad(difference, (0, pad_w, 0, pad_h))
        return x + self.fuse(F.pixel_unshuffle(difference.to(x.dtype), s))
