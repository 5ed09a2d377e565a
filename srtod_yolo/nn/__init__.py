"""SR-TOD layers in pure PyTorch: no ultralytics import, each usable alone."""

from .border import LETTERBOX_GREY, picture_mask
from .cue import DifferenceCue
from .dgfe import DGFE, ENHANCE_MODES, RESIZE_MODES, resize_mask
from .difference import DIFFERENCE_KINDS, difference_map, high_pass
from .nwd import NWD_CONSTANT, normalized_wasserstein, wasserstein_distance
from .reconstruction import HalfReconstructionHead, ReconstructionHead, ShuffleReconstructionHead, default_widths
from .srtod import HEADS, SRTOD, SRTOD_DEFAULTS
from .threshold import THRESHOLD_MODES, ThresholdGate

__all__ = (
    "DGFE",
    "DifferenceCue",
    "NWD_CONSTANT",
    "DIFFERENCE_KINDS",
    "HEADS",
    "HalfReconstructionHead",
    "LETTERBOX_GREY",
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
    "normalized_wasserstein",
    "picture_mask",
    "resize_mask",
    "wasserstein_distance",
)
