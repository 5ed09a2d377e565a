"""SR-TOD on one feature map: rebuild the image from P2, threshold the difference, enhance P2."""

from __future__ import annotations

import torch
from torch import nn

from .border import picture_mask
from .cue import DifferenceCue
from .dgfe import DGFE, RESIZE_MODES
from .difference import DIFFERENCE_KINDS, difference_map
from .reconstruction import HalfReconstructionHead, ReconstructionHead, ShuffleReconstructionHead
from .threshold import ThresholdGate

__all__ = ("HEADS", "SRTOD", "SRTOD_DEFAULTS")

HEADS = {"convt": ReconstructionHead, "half": HalfReconstructionHead, "shuffle": ShuffleReconstructionHead}

# Every SR-TOD setting a model YAML's `srtod:` section may hold, with its default.
SRTOD_DEFAULTS = {
    "rec_weight": 1.0,  # lambda in L = L_det + lambda * MSE(I_r, I_o); 1.0 in the official code
    "head": "convt",  # 'convt': the paper's head; 'half': its first up block + shuffle x2; 'shuffle': all at P2
    "widths": None,  # up-block widths; None: scaled to the model (C/2, C/4); [128, 64]: official
    "difference": "pixel",  # 'pixel' (paper) or 'highfreq' (FFT high-pass, paper Sec. 4.4)
    "cutoff": 1 / 32,  # high-pass cutoff, cycles per pixel (difference='highfreq')
    "threshold": 40 / 255,  # initial t; official: 4/255 VisDrone/COCO, 3/255 AI-TOD, 40/255 DroneSwarms
    "threshold_mode": "ste",  # 'fixed', 'sign' (official, never learns) or 'ste' (learns)
    "resize": "nearest",  # mask to P2: 'nearest' (official) or 'maxpool' (keeps 2-px objects)
    "dgfe": True,  # False: reconstruction head alone, P2 passes unchanged (ablation)
    # 'paper' P2 * w * (mask + 1); follow-ups: 'residual' P2 * (1 + w * mask), 'fuse' P2 + zero-init Conv(D)
    "enhance": "paper",
    "reduction": 16,  # DGFE channel-MLP reduction ratio
    # px: D = 0 in the letterbox padding and within this margin of the picture's edge, before the threshold (where
    # the reconstruction fails for want of context, docs/gate-sources.md); 0: off, the paper. Inference-time too.
    "border": 0,
}


class SRTOD(nn.Module):
    """SR-TOD on the stride-4 feature map: P2' = DGFE(P2, threshold(difference(RH(P2), image))).

    The layer needs the network input image as well as P2. Called alone, pass it: `layer(p2, image)`. Inside a
    YOLO model, `SRTODDetectionModel` hands it over through `layer.image` before each forward pass, because
    ultralytics' layer graph has no index for the input.

    After each forward pass `layer.last` holds what the loss and the visualisation need: in training the
    reconstruction (with its graph); with `keep_maps = True` the full-resolution reconstruction, difference map
    and mask (detached); otherwise in eval mode only P2 (so a validation loss can rebuild the image).

    In eval mode, with 'nearest' resize and 'pixel' difference, only the pixels the nearest resize keeps (one
    per 4x4 block) are rebuilt and compared (`head.phase()`): the mask, and so the output, equals the full
    computation (up to float rounding) at a fraction of the cost. The 'shuffle' head then does all its work at
    P2 resolution; the 'convt' head still runs its up blocks in full (their receptive field covers every pixel),
    but its full-resolution output convolution shrinks 16x and its transposed convolutions run as convolution +
    pixel shuffle. `layer.sparse_inference = False` switches the shortcut off (to measure or check it).

    Args:
        c1 (int): Channels of P2.
        image_channels (int): Channels of the input image (3).
        rec_weight (float): Weight of this layer's reconstruction loss (read by the model's loss).
        head, widths, difference, cutoff, threshold, threshold_mode, resize, dgfe, enhance, reduction, border: see
            `SRTOD_DEFAULTS`. `border` may be changed on a built layer (`layer.border = 8`), e.g. a checkpoint.

    Returns:
        (torch.Tensor): P2' (B, c1, H/4, W/4); P2 itself when dgfe=False.

    Example:
        >>> layer = SRTOD(32).eval()
        >>> layer(torch.rand(1, 32, 16, 16), torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 32, 16, 16])
    """

    stride = 4

    def __init__(
        self,
        c1: int,
        image_channels: int = 3,
        rec_weight: float = SRTOD_DEFAULTS["rec_weight"],
        head: str = SRTOD_DEFAULTS["head"],
        widths: tuple[int, int] | list[int] | None = SRTOD_DEFAULTS["widths"],
        difference: str = SRTOD_DEFAULTS["difference"],
        cutoff: float = SRTOD_DEFAULTS["cutoff"],
        threshold: float = SRTOD_DEFAULTS["threshold"],
        threshold_mode: str = SRTOD_DEFAULTS["threshold_mode"],
        resize: str = SRTOD_DEFAULTS["resize"],
        dgfe: bool = SRTOD_DEFAULTS["dgfe"],
        enhance: str = SRTOD_DEFAULTS["enhance"],
        reduction: int = SRTOD_DEFAULTS["reduction"],
        border: int = SRTOD_DEFAULTS["border"],
    ):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"unknown SR-TOD head '{head}', expected one of {tuple(HEADS)}")
        if difference not in DIFFERENCE_KINDS:
            raise ValueError(f"unknown difference map kind '{difference}', expected one of {DIFFERENCE_KINDS}")
        if int(border) != border or border < 0:
            raise ValueError(f"SR-TOD border must be a whole number of pixels >= 0, got {border}")
        if float(rec_weight) < 0:
            raise ValueError(f"SR-TOD rec_weight must be >= 0, got {rec_weight}")
        self.c1, self.image_channels, self.rec_weight = int(c1), int(image_channels), float(rec_weight)
        self.head_kind, self.difference, self.cutoff, self.use_dgfe = head, difference, float(cutoff), bool(dgfe)
        self.resize, self.reduction, self.border = resize, int(reduction), int(border)
        self.reconstruction_head = HEADS[head](c1, widths, out_channels=image_channels)
        self.threshold = ThresholdGate(threshold, threshold_mode)
        if resize not in RESIZE_MODES:
            raise ValueError(f"unknown mask resize mode '{resize}', expected one of {RESIZE_MODES}")
        # enhance='fuse' replaces DGFE with the learned cue of the unthresholded difference map (`DifferenceCue`).
        self.dgfe = DGFE(c1, reduction, resize, self.stride, enhance) if dgfe and enhance != "fuse" else None
        self.cue = DifferenceCue(c1, self.stride) if dgfe and enhance == "fuse" else None
        self.image: torch.Tensor | None = None  # the network input, handed over by the model before a forward pass
        self.keep_maps = False  # set by visualisation: keep the full-resolution maps of the last pass
        self.sparse_inference = True  # eval: rebuild only the pixels the mask samples (exact); False: full maps
        self.last: dict[str, torch.Tensor] = {}

    @property
    def settings(self) -> dict:
        """The SR-TOD settings this layer was built with (the keys of `SRTOD_DEFAULTS`)."""
        return {
            "rec_weight": self.rec_weight,
            "head": self.head_kind,
            "widths": list(self.reconstruction_head.widths),
            "difference": self.difference,
            "cutoff": self.cutoff,
            "threshold": float(self.threshold.value.detach()),
            "threshold_mode": self.threshold.mode,
            "resize": self.resize,
            "dgfe": self.use_dgfe,
            "enhance": "fuse" if getattr(self, "cue", None) is not None else getattr(self.dgfe, "enhance", "paper"),
            "reduction": self.reduction,
            "border": int(getattr(self, "border", 0)),  # checkpoints pickled before the setting have none
        }

    def forward(self, p2: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        """Enhance P2 (B, c1, h, w) using the input image (B, image_channels, H, W) in [0, 1]."""
        image = self.image if image is None else image
        self._check_inputs(p2, image)
        size = image.shape[-2:]
        if self.training:
            reconstruction = self.reconstruction_head(p2, size)
            self.last = {"reconstruction": reconstruction}
            if not self.use_dgfe:
                return p2
            return self._enhance(
                p2, self._picture_only(difference_map(reconstruction, image, self.difference, self.cutoff), image)
            )

        if self.keep_maps:
            with torch.no_grad():
                reconstruction = self.reconstruction_head(p2, size)
                difference = self._picture_only(
                    difference_map(reconstruction, image, self.difference, self.cutoff), image
                )
                mask = self.threshold(difference)
            self.last = {"p2": p2, "reconstruction": reconstruction, "difference": difference, "mask": mask}
            return self._enhance(p2, difference, mask) if self.use_dgfe else p2

        self.last = {"p2": p2}
        if not self.use_dgfe:
            return p2  # the head only trained the features; it costs nothing at inference
        if self.samples_sparsely:
            # Only pixel (4i, 4j) of each block reaches the gate: rebuild and compare just those.
            sampled = image[..., :: self.stride, :: self.stride]
            difference = self._picture_only(
                difference_map(self.reconstruction_head.phase(p2), sampled, "pixel"), image, self.stride
            )
            return self.dgfe(p2, self.threshold(difference))
        reconstruction = self.reconstruction_head(p2, size)
        return self._enhance(
            p2, self._picture_only(difference_map(reconstruction, image, self.difference, self.cutoff), image)
        )

    def _picture_only(self, difference: torch.Tensor, image: torch.Tensor, step: int = 1) -> torch.Tensor:
        """D (B, 1, h, w), sampled every `step` px of the image, with the padding and the `border` margin zeroed."""
        border = getattr(self, "border", 0)
        return difference * picture_mask(image, border, step).to(difference.dtype) if border else difference

    def _enhance(self, p2: torch.Tensor, difference: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """P2' from the full-resolution difference map (B, 1, H, W): the learned cue, or DGFE behind the gate."""
        if getattr(self, "cue", None) is not None:
            return self.cue(p2, difference)
        return self.dgfe(p2, self.threshold(difference) if mask is None else mask)

    @property
    def samples_sparsely(self) -> bool:
        """Whether inference can rebuild only the pixels the nearest-resized mask keeps (an exact shortcut)."""
        return (
            getattr(self, "sparse_inference", True)  # checkpoints pickled before the switch existed lack it
            and hasattr(self.reconstruction_head, "phase")
            and self.difference == "pixel"
            and self.use_dgfe
            and getattr(self, "cue", None) is None  # the cue reads every pixel of the map
            and self.resize == "nearest"
        )

    def reconstruction_loss(self, image: torch.Tensor) -> torch.Tensor:
        """MSE(I_r, I_o) of the last forward pass, in float32; rebuilds I_r from the kept P2 in eval mode."""
        reconstruction = self.last.get("reconstruction")
        if reconstruction is None:
            p2 = self.last.get("p2")
            if p2 is None:
                raise RuntimeError("SRTOD.reconstruction_loss() needs a forward pass first")
            reconstruction = self.reconstruction_head(p2, image.shape[-2:])
        if reconstruction.shape != image.shape:
            raise ValueError(
                f"SR-TOD reconstruction {tuple(reconstruction.shape)} does not match the image {tuple(image.shape)}"
            )
        return torch.nn.functional.mse_loss(reconstruction.float(), image.float())

    def _check_inputs(self, p2: torch.Tensor, image: torch.Tensor | None) -> None:
        """Fail with a clear message on inputs SR-TOD cannot use (skipped while tracing for export)."""
        if image is None:
            raise ValueError(
                "SRTOD needs the network input image: call layer(p2, image), or build the model with "
                "srtod_yolo's SRTODDetectionModel, which hands the image over"
            )
        if torch.jit.is_tracing() or torch.compiler.is_compiling():
            return
        where = f"SRTOD layer {getattr(self, 'i', '')}".rstrip()
        if image.ndim != 4 or image.shape[1] != self.image_channels:
            raise ValueError(
                f"{where} rebuilds {self.image_channels}-channel images, but the input has shape {tuple(image.shape)}. "
                f"Give grayscale or thermal frames {self.image_channels} channels (cv2.cvtColor(im, "
                "cv2.COLOR_GRAY2BGR)), or build the model for their channel count"
            )
        if p2.ndim != 4 or p2.shape[1] != self.c1:
            raise ValueError(f"{where} expects a ({self.c1}-channel) P2 map, got shape {tuple(p2.shape)}")
        h, w = image.shape[-2:]
        if min(h, w) < self.stride:
            raise ValueError(f"{where}: image {h}x{w} is smaller than the P2 stride {self.stride}")
        expected = (-(-h // self.stride), -(-w // self.stride))
        if tuple(p2.shape[-2:]) != expected:
            raise ValueError(
                f"{where} must read the stride-4 feature map P2: for a {h}x{w} input that is {expected[0]}x"
                f"{expected[1]}, but it got {p2.shape[-2]}x{p2.shape[-1]} (stride ~{h / p2.shape[-2]:.0f}). Put "
                "SR-TOD on the P2 output of a -p2 model, e.g. srtod-yolov8n-p2.yaml"
            )

    def __getstate__(self) -> dict:
        """Leave the per-pass tensors (image, maps) out of pickles and deep copies."""
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = dict(state)
        state["image"], state["last"], state["keep_maps"] = None, {}, False
        return state

    def extra_repr(self) -> str:
        """Summarise the settings that are not visible as submodules."""
        return (
            f"head={self.head_kind}, difference={self.difference}, dgfe={self.use_dgfe}, rec_weight={self.rec_weight}"
        )
