"""Filtration: turn the difference map into a binary mask with a threshold t (paper Eq. 4)."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ("THRESHOLD_MODES", "ThresholdGate")

THRESHOLD_MODES = ("fixed", "sign", "ste")


class ThresholdGate(nn.Module):
    """Binary mask D_b = [D > t] from a difference map D, with three ways to hold t.

    - 'fixed': t is a buffer; nothing learns it.
    - 'sign': the official formulation, D_b = (sign(D - t) + 1) / 2 with t an `nn.Parameter`. sign() has a zero
      gradient everywhere, so the loss never moves t: the paper's "learnable" threshold is in effect fixed.
    - 'ste': a straight-through estimator. The forward pass is the same hard mask; the backward pass uses the
      gradient of sigmoid((D - t) / temperature) with respect to t, so t really learns.
      t = low + (high - low) * sigmoid(logit) keeps it inside (low, high) whatever the optimiser does.

    Args:
        threshold (float): Initial t in the units of D (an image in [0, 1]); 4/255 and 40/255 are the official
            initial values for VisDrone and DroneSwarms.
        mode (str): 'fixed', 'sign' or 'ste'.
        temperature (float): Width of the surrogate sigmoid for 'ste', in units of D.
        bounds (tuple[float, float]): The open range t lives in, for every mode.

    Returns:
        (torch.Tensor): D_b (B, 1, H, W) with values in {0, 1} (and 0.5 where D == t exactly, for 'sign').

    Example:
        >>> gate = ThresholdGate(0.1, mode="fixed")
        >>> gate(torch.tensor([[[[0.05, 0.2]]]])).flatten().tolist()
        [0.0, 1.0]
    """

    def __init__(
        self,
        threshold: float = 40 / 255,
        mode: str = "ste",
        temperature: float = 1 / 64,
        bounds: tuple[float, float] = (0.5 / 255, 0.5),
    ):
        super().__init__()
        if mode not in THRESHOLD_MODES:
            raise ValueError(f"unknown threshold mode '{mode}', expected one of {THRESHOLD_MODES}")
        low, high = (float(b) for b in bounds)
        threshold = float(threshold)
        if not (0.0 <= low < high <= 1.0):
            raise ValueError(f"threshold bounds must satisfy 0 <= low < high <= 1, got {bounds}")
        if not (low < threshold < high):
            raise ValueError(
                f"threshold {threshold:.6g} is out of range: it must lie in ({low:.6g}, {high:.6g}), in the units of "
                "the difference map (an image in [0, 1]; 4/255 = 0.0157, 40/255 = 0.157)"
            )
        if temperature <= 0:
            raise ValueError(f"threshold temperature must be > 0, got {temperature}")
        self.mode, self.low, self.high, self.temperature = mode, low, high, float(temperature)
        if mode == "fixed":
            self.register_buffer("t", torch.tensor(threshold))
        elif mode == "sign":
            self.t = nn.Parameter(torch.tensor(threshold))
        else:
            p = (threshold - low) / (high - low)
            self.t_logit = nn.Parameter(torch.tensor(math.log(p / (1 - p))))

    @property
    def value(self) -> torch.Tensor:
        """The current threshold t, a 0-dim tensor (differentiable for 'ste')."""
        if self.mode == "ste":
            return self.low + (self.high - self.low) * torch.sigmoid(self.t_logit)
        return self.t

    def forward(self, difference: torch.Tensor) -> torch.Tensor:
        """Return the binary mask D_b (B, 1, H, W) of the difference map D (B, 1, H, W)."""
        t = self.value.to(difference.dtype)
        if self.mode == "sign":
            return (torch.sign(difference - t) + 1) * 0.5
        hard = (difference > t).to(difference.dtype)
        if self.mode == "fixed" or not torch.is_grad_enabled() or torch.jit.is_tracing():
            return hard  # the surrogate only carries a gradient; an exported graph needs none of it
        # D is detached: the surrogate teaches t where to cut, it does not reshape the reconstruction (which,
        # as in the official code, learns from the MSE loss alone).
        soft = torch.sigmoid((difference.detach() - t) / self.temperature)
        return hard + (soft - soft.detach())

    def extra_repr(self) -> str:
        """Show the mode and the current threshold in units of D and of 8-bit grey levels."""
        t = float(self.value.detach())
        return f"mode={self.mode}, t={t:.4f} ({t * 255:.1f}/255)"
