"""Will TensorRT's ONNX parser take this graph? Every node against the parser's published operator table.

The table (`data/onnx_tensorrt_operators.tsv`) is onnx-tensorrt's `docs/operators.md` for the TensorRT version in its
header: which operators the parser imports, for which input types, under which restrictions. `check_graph` checks
every node of a model against it: the operator is listed as supported, its data input has a listed type, and each
published restriction holds. Restrictions are checked by rules written here, one per operator; a node whose
operator has a restriction without a rule is reported as unverified rather than passed, so a new operator in the
graph cannot slip through unexamined.

This is what can be checked without TensorRT. It does not prove that an engine builds (the builder can still
refuse a layer for a precision or a shape profile), but a graph that fails here will not parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import onnx
from onnx import TensorProto, numpy_helper

__all__ = ("OperatorSupport", "TensorRTTable", "check_graph", "load_table")

TABLE = Path(__file__).with_name("data") / "onnx_tensorrt_operators.tsv"

# ONNX element types under the names the table uses; anything else (DOUBLE, INT16, strings...) is unsupported.
TYPE_NAMES = {
    TensorProto.FLOAT: "FP32",
    TensorProto.FLOAT16: "FP16",
    TensorProto.BFLOAT16: "BF16",
    TensorProto.INT32: "INT32",
    TensorProto.INT64: "INT64",
    TensorProto.INT8: "INT8",
    TensorProto.UINT8: "UINT8",
    TensorProto.BOOL: "BOOL",
    TensorProto.FLOAT8E4M3FN: "FP8",
}
# Which tensor carries the type the table lists: the first input, except where noted.
TYPED_INPUT = {"Where": 1}
TYPED_OUTPUT = {"Constant", "ConstantOfShape", "RandomNormal", "RandomUniform"}
RESIZE_COORDINATES = {"half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn", "asymmetric", "align_corners"}
RESIZE_NEAREST = {"floor", "ceil", "round_prefer_floor", "round_prefer_ceil"}
REDUCE_OPS = {
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceProd",
    "ReduceSum",
    "ReduceSumSquare",
}


@dataclass(frozen=True)
class OperatorSupport:
    """One row of the parser's table: whether it imports `op`, for which types, and under what restrictions."""

    op: str
    supported: bool
    types: frozenset[str]
    restrictions: str


@dataclass(frozen=True)
class TensorRTTable:
    """The parser's operator table and the TensorRT version and opset range it was published for."""

    tensorrt: str
    opset_min: int
    opset_max: int
    operators: dict[str, OperatorSupport]


@lru_cache(maxsize=4)
def load_table(path: str | Path = TABLE) -> TensorRTTable:
    """Read an operator table: '#!' lines hold the version and opset range, other rows `op, Y/N, types, restrictions`.

    Args:
        path (str | Path): The tab-separated table (default: the one shipped with srtod-yolo).

    Returns:
        (TensorRTTable): The parsed table.

    Example:
        >>> load_table().operators["Greater"].supported
        True
    """
    header, operators = {}, {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if line.startswith("#!"):
            key, value = line[2:].split("\t")
            header[key.strip()] = value.strip()
        elif line.strip() and not line.startswith("#"):
            cells = line.split("\t")
            if len(cells) != 4 or cells[1] not in {"Y", "N"}:
                raise ValueError(f"{path}:{number}: expected 'op<TAB>Y|N<TAB>types<TAB>restrictions', got {line!r}")
            op, supported, types, restrictions = cells
            kinds = frozenset(t.strip() for t in types.split(",") if t.strip())
            operators[op] = OperatorSupport(op, supported == "Y", kinds, restrictions.strip())
    missing = {"tensorrt", "opset_min", "opset_max"} - set(header)
    if missing:
        raise ValueError(f"{path}: the header lines '#! {sorted(missing)}' are missing")
    return TensorRTTable(header["tensorrt"], int(header["opset_min"]), int(header["opset_max"]), operators)


def check_graph(model: onnx.ModelProto | str | Path, table: TensorRTTable | None = None) -> list[str]:
    """Return every reason TensorRT's ONNX parser would refuse a model; an empty list when it should parse.

    Args:
        model (onnx.ModelProto | str | Path): The model, or the path of an .onnx file.
        table (TensorRTTable, optional): The operator table (default: the shipped one).

    Returns:
        (list[str]): One line per problem, naming the node, e.g. "/model.28/Foo (Foo): not in the table".

    Example:
        >>> check_graph("best.onnx")
        []
    """
    table = table or load_table()
    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    model = onnx.shape_inference.infer_shapes(model)
    graph = model.graph
    problems = []
    opset = next((o.version for o in model.opset_import if o.domain in {"", "ai.onnx"}), None)
    if opset is None or not table.opset_min <= opset <= table.opset_max:
        problems.append(f"opset {opset}: TensorRT {table.tensorrt} parses opsets {table.opset_min}-{table.opset_max}")

    types = {v.name: v.type.tensor_type.elem_type for v in (*graph.input, *graph.value_info, *graph.output)}
    types.update({t.name: t.data_type for t in graph.initializer})
    constants = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constants[node.output[0]] = node.attribute[0].t
    for node in graph.node:
        name = f"{node.name or node.output[0]} ({node.op_type})"
        row = table.operators.get(node.op_type)
        if node.domain not in {"", "ai.onnx"}:
            problems.append(f"{name}: custom domain '{node.domain}' needs a TensorRT plugin")
            continue
        if row is None or not row.supported:
            problems.append(
                f"{name}: {'not in' if row is None else 'unsupported by'} the TensorRT {table.tensorrt} parser"
            )
            continue
        problems += [f"{name}: {p}" for p in _type_problems(node, row, types)]
        problems += [f"{name}: {p}" for p in _restriction_problems(node, row, constants)]
    return problems


def _type_problems(node: onnx.NodeProto, row: OperatorSupport, types: dict[str, int]) -> list[str]:
    """The node's data type against the types the table lists for its operator."""
    if node.op_type in TYPED_OUTPUT:
        tensor = node.output[0]
    else:
        index = TYPED_INPUT.get(node.op_type, 0)
        tensor = node.input[index] if len(node.input) > index else ""
    elem = types.get(tensor, TensorProto.UNDEFINED)
    if elem == TensorProto.UNDEFINED:
        return [f"type of '{tensor}' unknown after shape inference, cannot check it against {sorted(row.types)}"]
    kind = TYPE_NAMES.get(elem, TensorProto.DataType.Name(elem))
    problems = [] if kind in row.types else [f"type {kind} of '{tensor}' not among {sorted(row.types)}"]
    if node.op_type == "Cast":
        to = TYPE_NAMES.get(_attribute(node, "to"), "?")
        if to not in row.types:
            problems.append(f"cast to {to} not among {sorted(row.types)}")
    return problems


def _attribute(node: onnx.NodeProto, name: str, default=None):
    """An attribute's value (ints, floats, strings decoded), or `default`."""
    for a in node.attribute:
        if a.name == name:
            value = onnx.helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    return default


def _is_constant(tensor: str, constants: dict) -> bool:
    return tensor in constants


def _restriction_problems(node: onnx.NodeProto, row: OperatorSupport, constants: dict) -> list[str]:
    """Check the published restriction of the node's operator; unverified where no rule is written for it."""
    if not row.restrictions:
        return []
    op = node.op_type
    if op in REDUCE_OPS or op in {"Squeeze", "Unsqueeze"}:
        axes = node.input[1] if len(node.input) > 1 and node.input[1] else None
        ok = axes is None or _is_constant(axes, constants)  # older opsets hold the axes in an attribute
        return [] if ok else [f"axes '{axes}' must be a constant ({row.restrictions})"]
    if op in {"MaxPool", "AveragePool", "LpPool"}:
        problems = []
        if op != "LpPool" and len(_attribute(node, "kernel_shape", [])) not in {2, 3}:
            problems.append("only 2D or 3D pooling")
        if any(d != 1 for d in _attribute(node, "dilations", [])):
            problems.append("dilations must be empty or all ones")
        if op == "MaxPool" and len(node.output) > 1 and node.output[1]:
            problems.append("the Indices output is unsupported")
        return problems
    if op == "Resize":
        problems = []
        mode = _attribute(node, "mode", "nearest")
        coordinates = _attribute(node, "coordinate_transformation_mode", "half_pixel")
        if mode not in {"nearest", "linear"}:
            problems.append(f"mode '{mode}' unsupported")
        if coordinates not in RESIZE_COORDINATES:
            problems.append(f"coordinate transformation '{coordinates}' unsupported")
        if mode == "nearest" and _attribute(node, "nearest_mode", "round_prefer_floor") not in RESIZE_NEAREST:
            problems.append(f"nearest mode '{_attribute(node, 'nearest_mode')}' unsupported")
        if _attribute(node, "antialias", 0):
            problems.append("antialiasing unsupported")
        if _attribute(node, "keep_aspect_ratio_policy", "stretch") != "stretch":
            problems.append("only the 'stretch' aspect ratio policy")
        scales = node.input[2] if len(node.input) > 2 and node.input[2] else None
        axes = _attribute(node, "axes")
        if scales and not _is_constant(scales, constants) and axes is not None and list(axes) != list(range(len(axes))):
            problems.append("with tensor scales, axes must be an iota vector")
        return problems
    if op == "CumSum":
        return [] if _is_constant(node.input[1], constants) else ["axis must be a build-time constant"]
    if op == "OneHot":
        return [] if _is_constant(node.input[1], constants) else ["depth must be a build-time constant"]
    if op == "TopK":
        k = constants.get(node.input[1])
        problems = [] if _attribute(node, "sorted", 1) == 1 else ["sorted must be 1"]
        if k is None or int(numpy_helper.to_array(k).max()) >= 3840:
            problems.append("K must be a constant below 3840")
        return problems
    if op in {"QuantizeLinear", "DequantizeLinear"}:
        zero = constants.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        return [] if zero is None or not numpy_helper.to_array(zero).any() else ["the zero point must be 0"]
    if op == "Dropout":
        training = constants.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        ok = training is None or not bool(numpy_helper.to_array(training))
        return [] if ok else ["is_training must be a constant False"]
    if op == "Constant":
        bad = {"sparse_value", "value_string", "value_strings"} & {a.name for a in node.attribute}
        return [f"attribute {sorted(bad)} unsupported"] if bad else []
    if op.startswith("Random"):
        return []  # the restriction is a note (the seed is ignored), not a refusal
    return [f"restriction not verified by srtod-yolo: {row.restrictions}"]
