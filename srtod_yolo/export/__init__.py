"""Exported SR-TOD models (ONNX, TensorRT): their signature, TensorRT operator support, serving configs.

Framework-free helpers; the ultralytics side of `yolo export` lives in `srtod_yolo.yolo.export`. Serving notes and
Triton/DeepStream configs are in the repository's `export/` folder.
"""

from .onnx_model import (
    SRTOD_OUTPUTS,
    TensorSpec,
    io_specs,
    metadata,
    set_output_dims,
    srtod_output_kind,
    srtod_threshold,
)
from .tensorrt_ops import OperatorSupport, TensorRTTable, check_graph, load_table

__all__ = (
    "SRTOD_OUTPUTS",
    "OperatorSupport",
    "TensorRTTable",
    "TensorSpec",
    "check_graph",
    "io_specs",
    "load_table",
    "metadata",
    "set_output_dims",
    "srtod_output_kind",
    "srtod_threshold",
)
