"""srtod-yolo inside Ultralytics YOLO: model, trainer, predictor and the hooks that make `yolo` use them.

Importing this package installs the hooks (unless SRTOD_YOLO_HOOKS=0): a model pickled with SR-TOD layers,
or a DDP worker that unpickles the SR-TOD trainer, then finds everything it needs.
"""

from .hooks import hooks_enabled, install

if hooks_enabled():
    install()

from .model import SRTODDetectionModel, SRTODLayer, build_detection_model, has_srtod_layers  # noqa: E402
from .predict import SRTODPredictor  # noqa: E402
from .train import SRTODTrainer  # noqa: E402

__all__ = (
    "SRTODDetectionModel",
    "SRTODLayer",
    "SRTODPredictor",
    "SRTODTrainer",
    "build_detection_model",
    "has_srtod_layers",
    "install",
)
