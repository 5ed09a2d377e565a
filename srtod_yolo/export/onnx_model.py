"""Small facts about an exported ONNX model: its inputs and outputs, their shapes, and its metadata."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import onnx
from onnx import TensorProto

__all__ = (
    "SRTOD_OUTPUTS",
    "TensorSpec",
    "io_specs",
    "metadata",
    "set_output_dims",
    "srtod_output_kind",
    "srtod_threshold",
)

# The extra outputs `yolo export srtod_output=...` can add, as `output1`.
SRTOD_OUTPUTS = ("none", "difference", "mask")


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output: name, element type ('FP32', 'INT64'...) and dims (int, or a str for a dynamic axis)."""

    name: str
    dtype: str
    dims: tuple[int | str, ...]


def _load(model: onnx.ModelProto | str | Path) -> onnx.ModelProto:
    if isinstance(model, onnx.ModelProto):
        return model
    path = Path(model)
    if not path.is_file():
        raise FileNotFoundError(f"ONNX model '{path}' not found")
    return onnx.load(str(path), load_external_data=False)


def _spec(value: onnx.ValueInfoProto) -> TensorSpec:
    tensor = value.type.tensor_type
    dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim)
    dtype = {TensorProto.FLOAT: "FP32", TensorProto.FLOAT16: "FP16"}.get(
        tensor.elem_type, TensorProto.DataType.Name(tensor.elem_type)
    )
    return TensorSpec(value.name, dtype, dims)


def io_specs(model: onnx.ModelProto | str | Path) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Return the graph's (inputs, outputs), initializers left out.

    Example:
        >>> inputs, outputs = io_specs("best.onnx")
        >>> inputs[0]
        TensorSpec(name='images', dtype='FP32', dims=('batch', 3, 'height', 'width'))
    """
    graph = _load(model).graph
    weights = {t.name for t in graph.initializer}
    return [_spec(v) for v in graph.input if v.name not in weights], [_spec(v) for v in graph.output]


def metadata(model: onnx.ModelProto | str | Path) -> dict[str, str]:
    """The model's `metadata_props` (ultralytics writes each value as `str(value)`)."""
    return {p.key: p.value for p in _load(model).metadata_props}


def srtod_output_kind(meta: dict) -> str:
    """Which SR-TOD map an exported model returns as `output1` ('difference', 'mask' or 'none'), from its metadata."""
    kind = str(meta.get("srtod_output", "none"))
    if kind not in SRTOD_OUTPUTS:
        raise ValueError(f"model metadata names srtod_output={kind!r}, expected one of {SRTOD_OUTPUTS}")
    return kind


def srtod_threshold(meta: dict) -> float | None:
    """The SR-TOD threshold t recorded at export, or None."""
    settings = meta.get("srtod")
    if isinstance(settings, str):
        settings = ast.literal_eval(settings)
    return float(settings["threshold"]) if settings else None


def set_output_dims(
    model: onnx.ModelProto, shapes: Sequence[Sequence[int]], dynamic: dict[str, dict[int, str]] | None = None
) -> onnx.ModelProto:
    """Write each output's dims: its dynamic axes by name, every other axis as the size traced at export.

    The ONNX exporter loses a fixed axis (e.g. the 4 + nc channels of `output0`) when it cannot prove it fixed
    through broadcasting of differently derived sizes; tools that read the signature (Triton, DeepStream) then
    see a dynamic axis that is not.

    Args:
        model (onnx.ModelProto): The model, changed in place.
        shapes (Sequence[Sequence[int]]): The traced shape of each output, in graph order.
        dynamic (dict, optional): Dynamic axes by output name, as given to `torch.onnx.export`.

    Returns:
        (onnx.ModelProto): The same model.
    """
    outputs = model.graph.output
    if len(shapes) != len(outputs):
        raise ValueError(f"{len(shapes)} traced output shapes for {len(outputs)} graph outputs")
    for value, shape in zip(outputs, shapes):
        axes = (dynamic or {}).get(value.name, {})
        dims = value.type.tensor_type.shape.dim
        if len(dims) != len(shape):
            del dims[:]
            dims.extend(onnx.TensorShapeProto.Dimension() for _ in shape)
        for i, (dim, size) in enumerate(zip(dims, shape)):
            if i in axes:
                dim.dim_param = axes[i]
            else:
                dim.dim_value = int(size)
    return model
