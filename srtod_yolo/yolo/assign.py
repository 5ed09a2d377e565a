"""Tiny-object label assignment and box loss for YOLO: NWD in the task-aligned assigner and in the box loss.

A model YAML (stock or SR-TOD) opts in with an `assign:` section; it travels inside every checkpoint:

    assign:
      nwd_assign: 0.5    # overlap term of the task-aligned metric: (1 - r) * CIoU + r * NWD
      nwd_loss: 0.5      # box loss: (1 - r) * (1 - CIoU) + r * (1 - NWD)
      nwd_constant: 12.8 # C of NWD, in pixels (about the average object size; 12.8 for AI-TOD)

Both weights at 0 give the stock assigner and loss exactly. The paper's strongest rows pair SR-TOD with a
tiny-object assignment (RFLA w/ SR-TOD, SR-TOD paper Table 1); NWD is the distance of Wang et al. (2021), which the
same line of work (AI-TOD, RFLA) uses in assignment and loss.
"""

from __future__ import annotations

import torch
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils.loss import BboxLoss, E2ELoss, v8DetectionLoss
from ultralytics.utils.tal import TaskAlignedAssigner

from ..nn.nwd import NWD_CONSTANT, normalized_wasserstein

__all__ = ("ASSIGN_DEFAULTS", "NWDBboxLoss", "NWDTaskAlignedAssigner", "TinyDetectionLoss", "TinyDetectionModel")

ASSIGN_DEFAULTS = {"nwd_assign": 0.0, "nwd_loss": 0.0, "nwd_constant": NWD_CONSTANT}


def assign_settings(yaml_dict: dict) -> dict:
    """The `assign:` section of a model YAML dict, completed with defaults and checked.

    Raises:
        ValueError: On an unknown key, a weight outside [0, 1] or a constant that is not positive.
    """
    section = yaml_dict.get("assign") or {}
    unknown = set(section) - set(ASSIGN_DEFAULTS)
    if unknown:
        raise ValueError(
            f"unknown key(s) {sorted(unknown)} in the model YAML's assign: section; known: {sorted(ASSIGN_DEFAULTS)}"
        )
    settings = {**ASSIGN_DEFAULTS, **section}
    for key in ("nwd_assign", "nwd_loss"):
        if not 0 <= float(settings[key]) <= 1:
            raise ValueError(f"assign: {key} must be in [0, 1], got {settings[key]}")
    if not float(settings["nwd_constant"]) > 0:
        raise ValueError(f"assign: nwd_constant must be > 0 pixels, got {settings['nwd_constant']}")
    return {k: float(v) for k, v in settings.items()}


class NWDTaskAlignedAssigner(TaskAlignedAssigner):
    """Task-aligned assigner whose overlap term blends CIoU with NWD: (1 - r) * CIoU + r * NWD.

    CIoU of a tiny ground truth and a prediction a few pixels off is 0 (clamped), so the alignment metric
    score^alpha * overlap^beta cannot rank such candidates; NWD can.

    Args:
        nwd_weight (float): r in [0, 1].
        nwd_constant (float): C of NWD in pixels.
        **kwargs: `TaskAlignedAssigner`'s arguments.
    """

    def __init__(self, nwd_weight: float = 0.5, nwd_constant: float = NWD_CONSTANT, **kwargs):
        super().__init__(**kwargs)
        self.nwd_weight, self.nwd_constant = float(nwd_weight), float(nwd_constant)

    def iou_calculation(self, gt_bboxes: torch.Tensor, pd_bboxes: torch.Tensor) -> torch.Tensor:
        """Blended overlap (N,) in [0, 1] of paired xyxy pixel boxes (N, 4)."""
        ciou = super().iou_calculation(gt_bboxes, pd_bboxes)
        nwd = normalized_wasserstein(gt_bboxes, pd_bboxes, self.nwd_constant).to(ciou.dtype)
        return (1 - self.nwd_weight) * ciou + self.nwd_weight * nwd


class NWDBboxLoss(BboxLoss):
    """Box loss (1 - r) * (1 - CIoU) + r * (1 - NWD), plus the stock DFL term, weighted as the stock loss.

    Boxes reach the loss in grid units (pixels / stride); NWD is computed in pixels, so that C means the same
    thing at every pyramid level.

    Args:
        reg_max (int): DFL bins, as `BboxLoss`.
        nwd_weight (float): r in [0, 1].
        nwd_constant (float): C of NWD in pixels.
    """

    def __init__(self, reg_max: int = 16, nwd_weight: float = 0.5, nwd_constant: float = NWD_CONSTANT):
        super().__init__(reg_max)
        self.nwd_weight, self.nwd_constant = float(nwd_weight), float(nwd_constant)

    def forward(self, *inputs):
        """Return (box loss, DFL loss) as `BboxLoss.forward`, from its arguments, with NWD blended into the box term."""
        loss_iou, loss_dfl = super().forward(*inputs)
        _, pred_bboxes, _, target_bboxes, target_scores, target_scores_sum, fg_mask, _, stride = inputs
        if self.nwd_weight == 0:
            return loss_iou, loss_dfl
        index = fg_mask.nonzero(as_tuple=True)
        weight = target_scores[index].sum(-1)
        scale = stride[index[1]]  # (N, 1): grid units -> pixels
        nwd = normalized_wasserstein(pred_bboxes[index] * scale, target_bboxes[index] * scale, self.nwd_constant)
        loss_nwd = ((1.0 - nwd) * weight).sum() / target_scores_sum
        return (1 - self.nwd_weight) * loss_iou + self.nwd_weight * loss_nwd, loss_dfl


class TinyDetectionLoss(v8DetectionLoss):
    """`v8DetectionLoss` with the NWD assigner and box loss of the model YAML's `assign:` section."""

    def __init__(self, model, tal_topk: int = 10, tal_topk2: int | None = None):
        super().__init__(model, tal_topk=tal_topk, tal_topk2=tal_topk2)
        settings = assign_settings(model.yaml)
        stock = self.assigner
        self.assigner = NWDTaskAlignedAssigner(
            settings["nwd_assign"],
            settings["nwd_constant"],
            topk=stock.topk,
            num_classes=stock.num_classes,
            alpha=stock.alpha,
            beta=stock.beta,
            stride=stock.stride,
            topk2=stock.topk2,
        )
        self.bbox_loss = NWDBboxLoss(self.reg_max, settings["nwd_loss"], settings["nwd_constant"]).to(self.device)


class TinyDetectionModel(DetectionModel):
    """A stock YOLO `DetectionModel` trained with the tiny-object assignment of its YAML's `assign:` section.

    Inference is the stock model's; only the training criterion changes. Without an `assign:` section it is the
    stock `DetectionModel`. End-to-end heads (YOLO26) get the NWD
    assignment in both their one-to-many and one-to-one branches.

    Example:
        >>> model = TinyDetectionModel("yolov8n-p2-nwd.yaml", nc=1, verbose=False)
    """

    def init_criterion(self):
        """The detection loss with NWD in the assigner and the box loss (`assign:` settings)."""
        if not has_assign_section(self.yaml):
            return super().init_criterion()
        assign_settings(self.yaml)  # fail early on a bad section
        if getattr(self.model[-1], "one2one_cv2", None) is not None:
            return E2ELoss(self, TinyDetectionLoss)
        return TinyDetectionLoss(self)


def has_assign_section(cfg: dict) -> bool:
    """Whether a model YAML dict asks for the tiny-object assignment (a non-empty `assign:` section)."""
    return bool(cfg.get("assign"))
