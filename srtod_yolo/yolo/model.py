"""SR-TOD detection model: a YOLO `DetectionModel` whose SR-TOD layers see the input image and add `rec_loss`."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import torch
from torch import nn
from ultralytics.nn.tasks import DetectionModel, yaml_model_load
from ultralytics.utils import LOGGER

from ..nn import SRTOD
from .assign import TinyDetectionModel, has_assign_section

__all__ = ("SRTODDetectionModel", "SRTODLayer", "build_detection_model", "has_srtod_layers")

LAYER_NAME = "SRTOD"  # the module name model YAMLs use


class SRTODLayer(SRTOD):
    """SR-TOD as a row of a model YAML, e.g. `- [18, 1, SRTOD, []]`.

    ultralytics' YAML parser gives unknown layers their arguments verbatim; the hooks rewrite an SR-TOD row's
    arguments to `[ch, f, settings]`, which the parser resolves to its running channel list and the row's input
    index, so the layer learns the width of the P2 map it reads without a second parser.

    Args:
        ch (list[int]): Output channels of every layer built so far.
        f (int): Index of the layer this one reads (P2).
        settings (dict): SR-TOD settings (`SRTOD_DEFAULTS` keys, plus `image_channels`).
    """

    def __init__(self, ch: list[int], f: int, settings: dict):
        if not isinstance(f, int):
            raise ValueError(f"an SR-TOD row reads one layer (P2), but its 'from' is {f!r}")
        super().__init__(ch[f], **settings)


def has_srtod_layers(cfg: str | Path | dict) -> bool:
    """Whether a model YAML (path, name or dict) has an SR-TOD row."""
    d = cfg if isinstance(cfg, dict) else yaml_model_load(cfg)
    return any(row[2] == LAYER_NAME for row in d.get("backbone", []) + d.get("head", []))


class SRTODDetectionModel(TinyDetectionModel):
    """A YOLO detection model with SR-TOD layers (see `srtod_yolo.nn.SRTOD`).

    Differences from `DetectionModel`, all through its public methods:
    - `predict` hands the input image to the SR-TOD layers (the layer graph has no index for it);
    - `loss` adds lambda * MSE(I_r, I_o) per SR-TOD layer and reports it as `rec_loss`;
    - an `assign:` section in the YAML trains it with the NWD assignment and box loss (`TinyDetectionModel`);
    - `load` renumbers a stock model's layers, so its weights reach every layer the two share even though the
      SR-TOD rows shift the indices of the layers after them (the Detect head).

    Args:
        cfg (str | dict): Model YAML (path or name, e.g. 'srtod-yolov8n-p2.yaml') or its dict.
        ch (int): Input image channels.
        nc (int, optional): Number of classes (overrides the YAML).
        verbose (bool): Print the model summary.

    Example:
        >>> model = SRTODDetectionModel("srtod-yolov8n-p2.yaml", nc=1, verbose=False)
    """

    def __init__(self, cfg: str | dict = "srtod-yolov8n-p2.yaml", ch: int = 3, nc: int | None = None, verbose=True):
        super().__init__(cfg, ch=ch, nc=nc, verbose=verbose)
        if not self.srtod_layers:
            raise ValueError(f"model YAML '{self.yaml.get('yaml_file', cfg)}' has no {LAYER_NAME} layer")

    @property
    def srtod_layers(self) -> list[SRTOD]:
        """The SR-TOD layers, in graph order."""
        return [m for m in self.model if isinstance(m, SRTOD)]

    @property
    def srtod_settings(self) -> dict:
        """The SR-TOD settings of the (first) SR-TOD layer, e.g. for a checkpoint summary."""
        return self.srtod_layers[0].settings

    def predict(self, x: torch.Tensor, profile: bool = False, augment: bool = False, embed=None):
        """Run the network on images x (B, C, H, W) in [0, 1], giving the SR-TOD layers the image."""
        if augment:
            LOGGER.warning("SR-TOD models do not support augment=True; running single-scale prediction.")
        self._check_input(x)
        layers = self.srtod_layers
        for m in layers:
            m.image = x
        try:
            return super().predict(x, profile=profile, augment=False, embed=embed)
        finally:
            for m in layers:
                m.image = None

    def loss(self, batch: dict, preds=None):
        """Detection loss plus lambda * MSE(I_r, I_o); the weighted reconstruction term is the `rec_loss` item."""
        if preds is None:
            preds = self.forward(batch["img"])
        loss, items = super().loss(batch, preds)
        layers = self.srtod_layers
        rec = sum(m.rec_weight * m.reconstruction_loss(batch["img"]) for m in layers)
        for m in layers:
            m.last = {}  # drop the reconstruction and its graph now that the loss holds them
        rec = rec.to(loss.dtype)
        return torch.cat((loss.view(-1), (rec * batch["img"].shape[0]).view(1))), {**items, "rec_loss": rec.detach()}

    def load(self, weights, verbose: bool = True):
        """Load weights; a model without SR-TOD layers is renumbered to this model's layer indices first."""
        source = (weights.get("ema") or weights["model"]) if isinstance(weights, dict) else weights
        if isinstance(source, DetectionModel) and not any(isinstance(m, SRTOD) for m in source.modules()):
            source = deepcopy(source)
            stock_layers, renumbered = list(source.model), []
            for m in self.model:
                if not stock_layers:
                    break
                renumbered.append(nn.Identity() if isinstance(m, SRTOD) else stock_layers.pop(0))
            source.model = nn.Sequential(*renumbered)
        super().load(source, verbose=verbose)

    def _check_input(self, x: torch.Tensor) -> None:
        """Reject inputs the network cannot run on, with a message naming the problem."""
        if not isinstance(x, torch.Tensor) or x.ndim != 4:
            raise ValueError(f"SR-TOD models take image batches (B, C, H, W), got {getattr(x, 'shape', type(x))}")
        channels = self.yaml.get("channels", 3)
        if x.shape[1] != channels:
            raise ValueError(
                f"this model takes {channels}-channel images, got {x.shape[1]}; give grayscale or thermal frames "
                f"{channels} channels (cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)) or train a {x.shape[1]}-channel model"
            )
        stride = getattr(self, "stride", None)
        if stride is None or torch.jit.is_tracing():
            return
        s = int(stride.max())
        if min(x.shape[-2:]) < s:
            raise ValueError(
                f"input {x.shape[-2]}x{x.shape[-1]} is smaller than the model stride {s}: use imgsz >= {s} "
                f"(a multiple of {s})"
            )


def build_detection_model(cfg="yolov8n.yaml", ch: int = 3, nc: int | None = None, verbose: bool = True):
    """Build the model class a YAML asks for: SR-TOD rows, an `assign:` section (NWD), or neither (stock)."""
    d = cfg if isinstance(cfg, dict) else yaml_model_load(cfg)
    model_class = (
        SRTODDetectionModel if has_srtod_layers(d) else TinyDetectionModel if has_assign_section(d) else DetectionModel
    )
    return model_class(d, ch=ch, nc=nc, verbose=verbose)
