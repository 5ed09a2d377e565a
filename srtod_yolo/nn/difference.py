"""The difference map between the rebuilt image and the input: where the backbone lost detail."""

from __future__ import annotations

import torch

__all__ = ("DIFFERENCE_KINDS", "difference_map", "high_pass")

DIFFERENCE_KINDS = ("pixel", "highfreq")


def high_pass(x: torch.Tensor, cutoff: float = 1 / 32) -> torch.Tensor:
    """Ideal FFT high-pass filter over the last two dimensions.

    Args:
        x (torch.Tensor): Images (..., H, W).
        cutoff (float): Radius of the removed low-frequency disc, in cycles per pixel (0 < cutoff < 0.5). The
            default 1/32 removes structure wider than about 32 px (sky gradients, clouds, horizon) and keeps what
            a tiny object is made of.

    Returns:
        (torch.Tensor): x minus its frequencies below `cutoff`, same shape, float32.

    Example:
        >>> high_pass(torch.ones(1, 3, 8, 8)).abs().max() < 1e-6  # a constant image has no high frequencies
        tensor(True)
    """
    if not 0.0 < cutoff < 0.5:
        raise ValueError(f"high_pass cutoff must be in (0, 0.5) cycles per pixel, got {cutoff}")
    h, w = x.shape[-2:]
    spectrum = torch.fft.rfft2(x.float())
    fy = torch.fft.fftfreq(h, device=x.device).view(-1, 1)
    fx = torch.fft.rfftfreq(w, device=x.device).view(1, -1)
    keep = (fy.square() + fx.square()) > cutoff**2
    return torch.fft.irfft2(spectrum * keep, s=(h, w))


def difference_map(
    reconstruction: torch.Tensor, image: torch.Tensor, kind: str = "pixel", cutoff: float = 1 / 32
) -> torch.Tensor:
    """Return D = mean over channels of |I_r - I_o| (paper Eq. 3), or its high-frequency variant (Sec. 4.4).

    Args:
        reconstruction (torch.Tensor): Rebuilt image I_r (B, C, H, W) in [0, 1].
        image (torch.Tensor): Network input I_o (B, C, H, W) in [0, 1].
        kind (str): 'pixel' (the paper's default) or 'highfreq' (the difference of the FFT high-pass components
            of both images; the filter is linear, so it is applied once, to I_r - I_o).
        cutoff (float): High-pass cutoff in cycles per pixel, for kind='highfreq'.

    Returns:
        (torch.Tensor): D (B, 1, H, W), >= 0; in [0, 1] for kind='pixel'.

    Example:
        >>> difference_map(torch.full((1, 3, 2, 2), 0.5), torch.zeros(1, 3, 2, 2)).flatten().tolist()
        [0.5, 0.5, 0.5, 0.5]
    """
    if kind not in DIFFERENCE_KINDS:
        raise ValueError(f"unknown difference map kind '{kind}', expected one of {DIFFERENCE_KINDS}")
    if reconstruction.shape != image.shape:
        raise ValueError(
            f"difference_map needs images of one shape, got reconstruction {tuple(reconstruction.shape)} "
            f"and image {tuple(image.shape)}"
        )
    diff = reconstruction - image
    if kind == "highfreq":
        diff = high_pass(diff, cutoff)
    return diff.abs().mean(1, keepdim=True)
