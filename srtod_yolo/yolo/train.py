"""Training with the stock ultralytics trainer: SR-TOD models, their `rec_loss`, and a threshold free of decay."""

from __future__ import annotations

from copy import copy

from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.nn.tasks import yaml_model_load
from ultralytics.utils import LOGGER, RANK
from ultralytics.utils.torch_utils import unwrap_model

from ..nn import ThresholdGate
from .assign import TinyDetectionModel, has_assign_section
from .dataset import build_checked_dataset
from .model import SRTODDetectionModel, has_srtod_layers
from .val import TinyObjectValidator

__all__ = ("SRTODTrainer",)


class SRTODTrainer(DetectionTrainer):
    """`DetectionTrainer` that builds the SR-TOD, NWD-assignment or stock model its YAML asks for.

    `SRTODDetectionModel` for YAMLs with SR-TOD rows, `TinyDetectionModel` for YAMLs with an `assign:` section (NWD
    assignment and box loss), the stock model otherwise.

    The loss of an SR-TOD model carries a `rec_loss` item, which ultralytics shows as its own column in the
    progress bar and results.csv. Learnable thresholds go to the optimiser group without weight decay: decay
    would pull t towards 0 for no reason the data gives. Datasets are `CheckedYOLODataset`s: corrupt images, bad
    labels, zero-size boxes and missing folders are skipped with a message naming each, and counted.

    Example:
        >>> from ultralytics import YOLO
        >>> YOLO("srtod-yolov8n-p2.yaml").train(data="droneswarms-synth.yaml", epochs=1, imgsz=320)
    """

    def get_model(self, cfg=None, weights=None, verbose: bool = True):
        """Return an SR-TOD model for SR-TOD YAMLs (loading `weights` if given), else the stock detection model."""
        d = None if cfg is None else cfg if isinstance(cfg, dict) else yaml_model_load(cfg)
        if d is None or not (has_srtod_layers(d) or has_assign_section(d)):
            return super().get_model(cfg=cfg, weights=weights, verbose=verbose)
        model_class = SRTODDetectionModel if has_srtod_layers(d) else TinyDetectionModel
        model = model_class(cfg, nc=self.data["nc"], ch=self.data["channels"], verbose=verbose and RANK == -1)
        model = self.set_model_names_for_load(model)
        if weights:
            model.load(weights)
        return model

    def build_dataset(self, img_path: str | list[str], mode: str = "train", batch: int | None = None):
        """Build the split as the stock trainer does, as a `CheckedYOLODataset`: bad data is skipped and counted."""
        stride = max(int(unwrap_model(self.model).stride.max()), 32) if self.model is not None else 32
        return build_checked_dataset(
            self.args, img_path, batch, self.data, mode=mode, rect=mode == "val", stride=stride
        )

    def get_validator(self):
        """Return the validator with AI-TOD tiny-object metrics (they reach results.csv every epoch)."""
        return TinyObjectValidator(
            self.test_loader, save_dir=self.save_dir, args=copy(self.args), _callbacks=self.callbacks
        )

    def build_optimizer(self, model, *args, **kwargs):
        """Build the stock optimiser, then move SR-TOD thresholds into the parameter group without weight decay."""
        optimizer = super().build_optimizer(model, *args, **kwargs)
        thresholds = {id(p) for m in model.modules() if isinstance(m, ThresholdGate) for p in m.parameters()}
        if not thresholds:
            return optimizer
        groups = {g.get("param_group"): g for g in optimizer.param_groups}
        decayed, free = groups.get("weight"), groups.get("bn")
        if decayed is None or free is None:
            LOGGER.warning("SR-TOD: optimiser groups not recognised; thresholds keep the default weight decay.")
            return optimizer
        moved = [p for p in decayed["params"] if id(p) in thresholds]
        decayed["params"] = [p for p in decayed["params"] if id(p) not in thresholds]
        free["params"].extend(moved)
        return optimizer
