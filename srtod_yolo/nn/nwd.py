"""Normalized Gaussian Wasserstein distance (NWD) between boxes, for tiny objects (Wang et al., 2021).

IoU is a poor similarity for tiny boxes: a 4-px box shifted by 4 px has IoU 0 with itself, and the IoU of two
boxes that do not overlap is 0 whatever their distance. NWD models each box as a 2-D Gaussian and compares the
Gaussians instead, which stays smooth and informative when the boxes do not overlap.

Reference: J. Wang, C. Xu, W. Yang, L. Yu, "A Normalized Gaussian Wasserstein Distance for Tiny Object Detection",
arXiv:2110.13389 (2021), Eqs. 1-6; used as the assignment and loss metric of tiny-object detectors (AI-TOD).
"""

from __future__ import annotations

import torch

__all__ = ("NWD_CONSTANT", "normalized_wasserstein", "wasserstein_distance")

# C of Eq. 6: the average absolute object size of the data set, in pixels (12.8 for AI-TOD, as in the paper).
NWD_CONSTANT = 12.8


def wasserstein_distance(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """Second-order Wasserstein distance W2 between the Gaussians of paired boxes (NWD paper, Eq. 5).

    A box (cx, cy, w, h) is modelled as N((cx, cy), diag(w^2/4, h^2/4)); for two such Gaussians
    W2^2 = ||(cx1, cy1, w1/2, h1/2) - (cx2, cy2, w2/2, h2/2)||^2.

    Args:
        boxes1 (torch.Tensor): Boxes (..., 4) in xyxy pixels.
        boxes2 (torch.Tensor): Boxes (..., 4) in xyxy pixels, broadcastable against boxes1.
        eps (float): Added under the square root (px^2), so the gradient exists for identical boxes.

    Returns:
        (torch.Tensor): W2 (...) in pixels, >= 0, float32.

    Example:
        >>> wasserstein_distance(torch.tensor([0.0, 0, 4, 4]), torch.tensor([4.0, 0, 8, 4]))  # 4 px apart
        tensor(4.0000)
    """
    boxes1, boxes2 = boxes1.float(), boxes2.float()  # float32 even under AMP: eps must not underflow
    centre1, centre2 = (boxes1[..., :2] + boxes1[..., 2:]) / 2, (boxes2[..., :2] + boxes2[..., 2:]) / 2
    half1, half2 = (boxes1[..., 2:] - boxes1[..., :2]) / 2, (boxes2[..., 2:] - boxes2[..., :2]) / 2
    squared = (centre1 - centre2).pow(2).sum(-1) + (half1 - half2).pow(2).sum(-1)
    return (squared + eps).sqrt()


def normalized_wasserstein(
    boxes1: torch.Tensor, boxes2: torch.Tensor, constant: float | torch.Tensor = NWD_CONSTANT, eps: float = 1e-9
) -> torch.Tensor:
    """NWD = exp(-W2 / C) of paired boxes (NWD paper, Eq. 6): 1 for identical boxes, towards 0 far apart.

    Args:
        boxes1 (torch.Tensor): Boxes (..., 4) in xyxy pixels.
        boxes2 (torch.Tensor): Boxes (..., 4) in xyxy pixels, broadcastable against boxes1.
        constant (float | torch.Tensor): C in pixels, about the data set's average absolute object size (12.8 for
            AI-TOD); a tensor broadcastable against the result gives each pair its own C (e.g. a tracker widening C
            for a track lost for a while).
        eps (float): See `wasserstein_distance`.

    Returns:
        (torch.Tensor): NWD (...) in (0, 1], float32.

    Raises:
        ValueError: If `constant` is not positive.

    Example:
        >>> round(float(normalized_wasserstein(torch.tensor([0.0, 0, 4, 4]), torch.tensor([4.0, 0, 8, 4]))), 4)
        0.7316
        >>> a, b = torch.rand(3, 4), torch.rand(5, 4)
        >>> normalized_wasserstein(a[:, None], b[None]).shape  # pairwise
        torch.Size([3, 5])
    """
    constant = torch.as_tensor(constant, dtype=torch.float32)
    if not bool((constant > 0).all()):
        raise ValueError(f"the NWD constant C must be > 0 pixels, got {constant.tolist()}")
    return torch.exp(-wasserstein_distance(boxes1, boxes2, eps) / constant)
