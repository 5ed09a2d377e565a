"""SR-TOD layers in pure PyTorch: no ultralytics import, each usable alone."""

from .dgfe import DGFE, ENHANCE_MODES, RESIZE_MODES, resize_mask
from .difference import DIFFERENCE_KINDS, difference_map, high_pass
from .reconstruction import HalfReconstructionHead, ReconstructionHead, ShuffleReconstructionHead, default_widths
from .srtod import HEADS, SRTOD, SRTOD_DEFAULTS
from .threshold import THRESHOLD_MODES, ThresholdGate

__all__ = (
    "DGFE",
    "DIFFERENCE_KINDS",
    "HEADS",
    "HalfReconstructionHead",
    "ENHANCE_MODES",
    "RESIZE_MODES",
    "SRTOD",
    "SRTOD_DEFAULTS",
    "THRESHOLD_MODES",
    "ReconstructionHead",
    "ShuffleReconstructionHead",
    "ThresholdGate",
    "default_widths",
    "difference_map",
    "high_pass",
    "resize_mask",
)
