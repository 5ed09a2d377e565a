"""Difference-map guided feature enhancement (DGFE, paper Sec. 3.3)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ("DGFE", "ENHANCE_MODES", "RESIZE_MODES", "resize_mask")

RESIZE_MODES = ("nearest", "maxpool")
ENHANCE_MODES = ("paper", "residual")


def resize_mask(mask: torch.Tensor, stride: int, mode: str = "nearest") -> torch.Tensor:
    """Bring a full-resolution mask (B, 1, H, W) down to the feature map's grid (B, 1, ceil(H/s), ceil(W/s)).

    'nearest' keeps the top-left pixel of every s x s block, exactly what the official
    `F.interpolate(mask, size=P2.shape[2:])` does when H and W are multiples of s: a 2-px object that misses that
    pixel never reaches the gate. 'maxpool' keeps a block if any of its pixels is set.

    Args:
        mask (torch.Tensor): Binary mask (B, 1, H, W).
        stride (int): Downsampling factor s of the feature map (4 for P2).
        mode (str): 'nearest' or 'maxpool'.

    Returns:
        (torch.Tensor): The mask on the feature grid (B, 1, ceil(H/s), ceil(W/s)).

    Example:
        >>> m = torch.zeros(1, 1, 4, 4)
        >>> m[..., 1, 2] = 1  # one pixel, not the top-left of its block
        >>> resize_mask(m, 4, "nearest").item(), resize_mask(m, 4, "maxpool").item()
        (0.0, 1.0)
    """
    if mode == "nearest":
        return mask[..., ::stride, ::stride]
    if mode == "maxpool":
        return F.max_pool2d(mask, kernel_size=stride, stride=stride, ceil_mode=True)
    raise ValueError(f"unknown mask resize mode '{mode}', expected one of {RESIZE_MODES}")


class DGFE(nn.Module):
    """P2' = P2 * w * (mask + 1), with channel weights w = sigmoid(MLP(avgpool(P2)) + MLP(maxpool(P2))).

    The MLP is shared by both pools (C -> C/reduction -> C, ReLU between, with biases, as in the official code).
    The spatial term `mask + 1` doubles the gated features where the difference map passed the threshold and
    keeps them elsewhere, so regions the reconstruction rebuilt well are not wiped out.

    `enhance='residual'` (not in the paper; a follow-up of docs/results.md) computes P2' = P2 * (1 + w * mask): P2
    passes unchanged where the gate is closed and the channel weights only add to the open cells, so the layer
    starts close to the identity and cannot attenuate features the detector already relies on.

    Args:
        c1 (int): Channels of P2.
        reduction (int): MLP reduction ratio (16 in the paper).
        resize (str): How the mask reaches P2's grid: 'nearest' (official) or 'maxpool'.
        stride (int): Stride of P2 relative to the mask (4).
        enhance (str): 'paper': P2 * w * (mask + 1); 'residual': P2 * (1 + w * mask).

    Returns:
        (torch.Tensor): P2' (B, c1, h, w).

    Example:
        >>> dgfe = DGFE(32)
        >>> dgfe(torch.ones(1, 32, 8, 8), torch.zeros(1, 1, 32, 32)).shape
        torch.Size([1, 32, 8, 8])
    """

    def __init__(self, c1: int, reduction: int = 16, resize: str = "nearest", stride: int = 4, enhance: str = "paper"):
        super().__init__()
        if resize not in RESIZE_MODES:
            raise ValueError(f"unknown mask resize mode '{resize}', expected one of {RESIZE_MODES}")
        if enhance not in ENHANCE_MODES:
            raise ValueError(f"unknown DGFE enhance mode '{enhance}', expected one of {ENHANCE_MODES}")
        self.enhance = enhance
        hidden = max(c1 // reduction, 1)
        self.mlp = nn.Sequential(nn.Linear(c1, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, c1))
        self.resize, self.stride = resize, stride

    def channel_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Return w (B, C, 1, 1) in (0, 1) from the spatial average and maximum of x (B, C, h, w)."""
        logits = self.mlp(x.mean((2, 3))) + self.mlp(x.amax((2, 3)))
        return torch.sigmoid(logits)[..., None, None]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Enhance P2 (B, C, h, w) with a full-resolution mask (B, 1, H, W), or one already on P2's grid."""
        if mask.shape[-2:] != x.shape[-2:]:
            mask = resize_mask(mask, self.stride, self.resize)
        if mask.shape[-2:] != x.shape[-2:]:
            raise ValueError(
                f"DGFE mask {tuple(mask.shape[-2:])} does not match the feature map {tuple(x.shape[-2:])} at "
                f"stride {self.stride}"
            )
        mask = mask.to(x.dtype)
        if getattr(self, "enhance", "paper") == "residual":  # checkpoints pickled before the option are 'paper'
            return x * (1 + self.channel_weights(x) * mask)
        return x * self.channel_weights(x) * (mask + 1)
