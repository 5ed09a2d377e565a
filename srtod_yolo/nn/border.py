"""Where the difference map may open the gate: the picture, away from its border and the letterbox padding."""

from __future__ import annotations

import torch

__all__ = ("LETTERBOX_GREY", "picture_mask")

LETTERBOX_GREY = 114 / 255  # the padding value of ultralytics' LetterBox, mosaic and rect batches, in [0, 1]


def _edge_run(flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Lengths (B,) of the runs of True at the start and at the end of `flat` (B, N); N each when all are True."""
    picture = (~flat).to(torch.int32)
    before = torch.cumsum(picture, 1) - picture  # picture rows/columns strictly before each index
    total = picture.sum(1, keepdim=True)
    leading = (before == 0) & flat  # no picture row yet, and this one is padding
    trailing = (before == total) & flat  # every picture row already passed, and this one is padding
    return leading.sum(1), trailing.sum(1)


def picture_mask(image: torch.Tensor, border: int, step: int = 1, pad_value: float = LETTERBOX_GREY) -> torch.Tensor:
    """Return 1 where the difference map may open the gate, 0 in the letterbox padding and within `border` px of it.

    The reconstruction head cannot rebuild the frame's edge (its convolutions and the backbone's see zeros beyond
    it) nor the step from the picture to the letterbox's flat grey, so D is high along both; and the padding holds
    no object. The picture is the input minus the rows and columns at its four edges that are entirely
    `pad_value` in every channel (ultralytics pads with grey 114; a frame needing no padding keeps all its rows).
    A pixel is kept if it lies at least `border` px inside the picture on every side.

    Built from cumulative sums and comparisons only, so it traces into ONNX with dynamic image sizes.

    Args:
        image (torch.Tensor): Network input (B, C, H, W) in [0, 1].
        border (int): Margin in input pixels, >= 0; 0 keeps the whole picture (and still drops the padding).
        step (int): Return the mask at pixels (step * i, step * j) only, i.e. `full[..., ::step, ::step]`.
        pad_value (float): The letterbox grey in [0, 1]; matched to within half a grey level.

    Returns:
        (torch.Tensor): (B, 1, ceil(H / step), ceil(W / step)), 1.0 on kept pixels, 0.0 elsewhere, image's dtype.

    Example:
        >>> image = torch.full((1, 3, 8, 8), 114 / 255)
        >>> image[..., 2:, :] = 0.5  # below two rows of letterbox padding
        >>> picture_mask(image, border=1)[0, 0, :, 4].tolist()
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    """
    if int(border) < 0:
        raise ValueError(f"SR-TOD border must be >= 0 pixels, got {border}")
    if int(step) < 1:
        raise ValueError(f"picture_mask step must be >= 1, got {step}")
    pad = ((image - pad_value).abs() < 0.5 / 255).all(1)  # (B, H, W): a grey pixel in every channel
    top, bottom = _edge_run(pad.all(2))
    left, right = _edge_run(pad.all(1))
    h, w = image.shape[-2:]
    rows = torch.arange(0, h, step, device=image.device)[None]  # (1, h')
    cols = torch.arange(0, w, step, device=image.device)[None]
    keep_rows = (rows >= (top + border)[:, None]) & (rows < (h - bottom - border)[:, None])  # (B, h')
    keep_cols = (cols >= (left + border)[:, None]) & (cols < (w - right - border)[:, None])
    return (keep_rows[:, None, :, None] & keep_cols[:, None, None, :]).to(image.dtype)
