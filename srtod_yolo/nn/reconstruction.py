"""Reconstruction heads: rebuild the input image from the stride-4 feature map P2."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .subpixel import subpixel_conv_transpose

__all__ = (
    "HalfReconstructionHead",
    "ReconstructionHead",
    "ShuffleReconstructionHead",
    "default_widths",
    "fit_to_size",
    "sampled_conv3x3",
)


def default_widths(c1: int) -> tuple[int, int]:
    """Return the real-time head widths for a P2 map of `c1` channels: halve, then halve again (min 4).

    The paper halves the channels in each transposed convolution (C -> C/2 -> C/4). The official code fixes
    them at 128/64 for a 256-channel P2; scaling them with the model keeps the full-resolution convolutions,
    which are memory-bound, as cheap as the model they sit in.
    """
    return max(c1 // 2, 4), max(c1 // 4, 4)


def head_widths(head: str, c1: int, widths, out_channels: int) -> tuple[int, int]:
    """The two widths of a reconstruction head (`default_widths(c1)` when None); all sizes must be positive."""
    w1, w2 = (int(w) for w in widths) if widths else default_widths(c1)
    if min(w1, w2, c1, out_channels) < 1:
        raise ValueError(f"{head} widths must be positive, got c1={c1}, widths={(w1, w2)}")
    return w1, w2


def fit_to_size(x: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    """Crop `x` (B, C, H', W') to `size` = (H, W); resize bilinearly where it is smaller.

    Convolutions with padding round up (ceil(H / 4)), so 4x the P2 size is never smaller than the image and a
    crop of the padding rows is exact. A model with other padding may come up short: then it is resized.
    """
    if size is None or tuple(x.shape[-2:]) == tuple(size):
        return x
    h, w = int(size[0]), int(size[1])
    if x.shape[-2] >= h and x.shape[-1] >= w:
        return x[..., :h, :w]
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


def sampled_conv3x3(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, step: int, dy: int = 0, dx: int = 0
) -> torch.Tensor:
    """`F.conv2d(x, weight, bias, padding=1)[..., dy::step, dx::step]` (3x3 kernel), computing only those pixels.

    Output pixel (step*i + dy) reads input rows step*i + dy - 1 .. step*i + dy + 1: a stride-`step` convolution
    over the input padded by one and shifted by dy. 1/step^2 of the full convolution's work.

    Args:
        x (torch.Tensor): Input (B, C, step*h, step*w).
        weight (torch.Tensor): 3x3 kernels (C_out, C, 3, 3).
        bias (torch.Tensor | None): Bias (C_out,).
        step (int): Sampling step.
        dy, dx (int): Offsets of the sampled pixels in each step x step block, in [0, step).

    Returns:
        (torch.Tensor): (B, C_out, h, w).
    """
    if not (0 <= dy < step and 0 <= dx < step):
        raise ValueError(f"phase offsets must lie in [0, {step}), got dy={dy}, dx={dx}")
    if dy == dx == 0:
        return F.conv2d(x, weight, bias, stride=step, padding=1)
    return F.conv2d(F.pad(x, (1, 1, 1, 1))[..., dy:, dx:], weight, bias, stride=step)


class UpBlock(nn.Sequential):
    """One up block of the paper's Eq. (1): ReLU(Conv3x3(ReLU(Conv3x3(ConvT4x4,s2(X))))).

    As in the official code, the transposed convolution has a bias and the 3x3 convolutions have neither bias
    nor normalisation.

    Args:
        c1 (int): Input channels.
        c2 (int): Output channels (of the transposed convolution and both 3x3 convolutions).

    Example:
        >>> UpBlock(32, 16)(torch.zeros(1, 32, 10, 10)).shape
        torch.Size([1, 16, 20, 20])
    """

    def __init__(self, c1: int, c2: int):
        super().__init__(
            nn.ConvTranspose2d(c1, c2, kernel_size=4, stride=2, padding=1),
            nn.Conv2d(c2, c2, 3, 1, 1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(c2, c2, 3, 1, 1, bias=False),
            nn.ReLU(inplace=True),
        )

    def forward_subpixel(self, x: torch.Tensor) -> torch.Tensor:
        """The same block with its transposed convolution run as convolution + pixel shuffle (faster in ORT)."""
        x = subpixel_conv_transpose(x, self[0])
        for layer in list(self)[1:]:
            x = layer(x)
        return x


class ReconstructionHead(nn.Module):
    """The paper's reconstruction head: two up blocks and a 3x3 convolution + sigmoid (Eq. 2).

    Args:
        c1 (int): Channels of the P2 feature map.
        widths (tuple[int, int] | None): Output widths of the two up blocks. None: `default_widths(c1)`;
            (128, 64) is the official head for a 256-channel P2.
        out_channels (int): Channels of the rebuilt image (3 for RGB).

    Returns:
        (torch.Tensor): The rebuilt image (B, out_channels, H, W) in [0, 1], where H, W = `size` if given,
            else 4x the P2 size.

    Example:
        >>> head = ReconstructionHead(32)
        >>> head(torch.zeros(2, 32, 41, 41), size=(161, 161)).shape
        torch.Size([2, 3, 161, 161])
    """

    stride = 4

    def __init__(self, c1: int, widths: tuple[int, int] | list[int] | None = None, out_channels: int = 3):
        super().__init__()
        w1, w2 = self.widths = head_widths("ReconstructionHead", c1, widths, out_channels)
        self.up1 = UpBlock(c1, w1)
        self.up2 = UpBlock(w1, w2)
        self.out = nn.Conv2d(w2, out_channels, 3, 1, 1)

    def forward(self, p2: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """Rebuild the image (B, out_channels, H, W) in [0, 1] from P2 (B, c1, H/4, W/4)."""
        return fit_to_size(torch.sigmoid(self.out(self.up2(self.up1(p2)))), size)

    def phase(self, p2: torch.Tensor, dy: int = 0, dx: int = 0) -> torch.Tensor:
        """Rebuild only pixels (4i + dy, 4j + dx): (B, out_channels, H/4, W/4) == `forward(p2)[..., dy::4, dx::4]`.

        Honest about the receptive field: the output pixels the nearest resize keeps are 1 in 16, but the 3x3
        output convolution reads 3x3 neighbourhoods of them, which cover 9 of every 16 pixels of the last up
        block, and that block's own 3x3 convolutions then need all of its input. So only the output convolution
        runs sparsely (a stride-4 convolution, 1/16 of its cost); the up blocks run in full, with their
        transposed convolutions rewritten as convolution + pixel shuffle (the same values, faster in ONNX
        Runtime). Equal to the full computation up to float rounding.
        """
        x = self.up2.forward_subpixel(self.up1.forward_subpixel(p2))
        return torch.sigmoid(sampled_conv3x3(x, self.out.weight, self.out.bias, self.stride, dy, dx))


class ShuffleReconstructionHead(nn.Module):
    """A reconstruction head that does all of its work at P2's resolution, then pixel-shuffles up by 4.

    The paper's head runs two 3x3 convolutions at full image resolution with few channels: memory-bound and, at
    640 px, a third of a nano detector's latency. Here two 3x3 convolutions at P2 resolution predict, for each
    P2 cell, the 4x4 block of pixels it covers (16 phases x out_channels); `PixelShuffle(4)` lays them out.
    Because every output pixel comes from one channel, `phase(0, 0)` can compute only the pixels that a
    nearest-neighbour resize of the difference map keeps (one per 4x4 block), exactly and at 1/16 of the cost
    of the last convolution.

    Args:
        c1 (int): Channels of the P2 feature map.
        widths (tuple[int, int] | None): Hidden widths of the two 3x3 convolutions; None: `default_widths(c1)`.
        out_channels (int): Channels of the rebuilt image.

    Example:
        >>> head = ShuffleReconstructionHead(32)
        >>> head(torch.zeros(1, 32, 40, 40)).shape
        torch.Size([1, 3, 160, 160])
    """

    stride = 4

    def __init__(self, c1: int, widths: tuple[int, int] | list[int] | None = None, out_channels: int = 3):
        super().__init__()
        w1, w2 = self.widths = head_widths("ShuffleReconstructionHead", c1, widths, out_channels)
        self.out_channels = out_channels
        self.body = nn.Sequential(
            nn.Conv2d(c1, w1, 3, 1, 1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(w1, w2, 3, 1, 1, bias=False),
            nn.ReLU(inplace=True),
        )
        self.out = nn.Conv2d(w2, out_channels * self.stride**2, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(self.stride)

    def forward(self, p2: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """Rebuild the image (B, out_channels, H, W) in [0, 1] from P2 (B, c1, H/4, W/4)."""
        return fit_to_size(torch.sigmoid(self.shuffle(self.out(self.body(p2)))), size)

    def phase(self, p2: torch.Tensor, dy: int = 0, dx: int = 0) -> torch.Tensor:
        """Rebuild only pixels (4i + dy, 4j + dx): (B, out_channels, H/4, W/4) == `forward(p2)[..., dy::4, dx::4]`."""
        # PixelShuffle puts channel c * 16 + dy * 4 + dx of cell (i, j) at pixel (4i + dy, 4j + dx).
        k = dy * self.stride + dx
        weight = self.out.weight[k :: self.stride**2]
        bias = self.out.bias[k :: self.stride**2]
        return torch.sigmoid(F.conv2d(self.body(p2), weight, bias, padding=1))


class HalfReconstructionHead(nn.Module):
    """The paper's first up block (to half resolution), then a 3x3 convolution and a pixel shuffle by 2.

    A middle way between the paper's head and `ShuffleReconstructionHead`: it keeps one learned upsampling of the
    paper, but no convolution runs at full image resolution, where few-channel convolutions are memory-bound.
    Layers: UpBlock(c1 -> w1) at H/2; Conv3x3(w1 -> w2) + ReLU at H/2; Conv3x3(w2 -> 4 * out_channels) +
    PixelShuffle(2) to H; sigmoid. `phase()` computes only the pixels a stride-4 nearest resize keeps.

    Args:
        c1 (int): Channels of the P2 feature map.
        widths (tuple[int, int] | None): Widths of the up block and of the half-resolution convolution;
            None: `default_widths(c1)`.
        out_channels (int): Channels of the rebuilt image.

    Example:
        >>> head = HalfReconstructionHead(32)
        >>> head(torch.zeros(1, 32, 10, 10), size=(37, 40)).shape
        torch.Size([1, 3, 37, 40])
    """

    stride = 4

    def __init__(self, c1: int, widths: tuple[int, int] | list[int] | None = None, out_channels: int = 3):
        super().__init__()
        w1, w2 = self.widths = head_widths("HalfReconstructionHead", c1, widths, out_channels)
        self.up1 = UpBlock(c1, w1)
        self.body = nn.Sequential(nn.Conv2d(w1, w2, 3, 1, 1, bias=False), nn.ReLU(inplace=True))
        self.out = nn.Conv2d(w2, out_channels * 4, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, p2: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """Rebuild the image (B, out_channels, H, W) in [0, 1] from P2 (B, c1, H/4, W/4)."""
        return fit_to_size(torch.sigmoid(self.shuffle(self.out(self.body(self.up1(p2))))), size)

    def phase(self, p2: torch.Tensor, dy: int = 0, dx: int = 0) -> torch.Tensor:
        """Rebuild only pixels (4i + dy, 4j + dx): (B, out_channels, H/4, W/4) == `forward(p2)[..., dy::4, dx::4]`."""
        if not (0 <= dy < self.stride and 0 <= dx < self.stride):
            raise ValueError(f"phase offsets must lie in [0, {self.stride}), got dy={dy}, dx={dx}")
        # Full-resolution pixel 4i + dy is sub-pixel dy % 2 of half-resolution pixel 2i + dy // 2, and
        # PixelShuffle(2) takes it from channel c * 4 + (dy % 2) * 2 + dx % 2.
        k = (dy % 2) * 2 + dx % 2
        x = self.body(self.up1.forward_subpixel(p2))
        return torch.sigmoid(sampled_conv3x3(x, self.out.weight[k::4], self.out.bias[k::4], 2, dy // 2, dx // 2))
