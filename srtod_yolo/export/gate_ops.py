"""The operations of an exported SR-TOD layer that INT8 quantization must leave in floating point.

SR-TOD gates P2 with a hard threshold, mask = [D > t], on the difference map D = mean_c |I_r - I| (paper Eq. 3-4),
with t = 40/255 on drone data. Quantized to INT8, D and the reconstruction I_r it comes from would each be rounded
to steps of 1/255 of a range calibrated on whole images, and any pixel within a step of t could flip; these
operations therefore stay in floating point. They cost little (one 3-channel convolution and element-wise operations).
`benchmarks/int8_gate.py` measures the gate against FP32 (docs/openvino.md): most of the disagreement that remains
comes from the INT8 backbone's P2 features, which the reconstruction reads, not from these operations.

The gate path, found in the graph rather than by hard-coded names so that it survives renaming and both heads:

- upstream of the threshold comparison (`Greater`): the channel mean, |.|, the subtraction of the input image
  (the difference map), the sigmoid and the reconstruction head's output convolution (the first convolution
  met, included; nothing before it);
- downstream of it, inside the SR-TOD layer: the cast of the mask, and DGFE's `mask + 1` and gate multiply.

OpenVINO graphs name operations after the traced PyTorch module (`__module.model.28/aten::gt/Greater`), ONNX
graphs after the exported module path (`/model.28/Greater`). Both walks take the layer's module path
(`model.28`).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ("COMPARISONS", "onnx_gate_nodes", "onnx_srtod_scopes", "openvino_gate_ops", "read_float_inputs")

COMPARISONS = {"Greater", "Sign"}  # the threshold: D > t ('fixed', 'ste'), or sign(D - t) ('sign', the official one)

STOP_UPSTREAM = {"Convolution", "Conv"}  # the reconstruction head's output convolution, kept and not passed
LEAVES = {"Parameter", "Constant", "Result"}


def _in_scope(name: str, scopes: Iterable[str], sep: str) -> bool:
    return any(name.startswith(f"{sep}{s}/") or name.startswith(f"{sep}{s}.") for s in scopes)


def openvino_gate_ops(ov_model, scopes: Iterable[str]) -> list[str]:
    """Friendly names of the gate operations of SR-TOD layers in an OpenVINO model (`openvino.Model`).

    Args:
        ov_model (openvino.Model): The converted model (before quantization).
        scopes (Iterable[str]): Module paths of the SR-TOD layers in the traced module, e.g. ['model.28'].

    Returns:
        (list[str]): Names for `nncf.IgnoredScope(names=...)`, in graph order.

    Raises:
        RuntimeError: No threshold comparison was found inside the given layers (the graph changed shape).
    """
    scopes = list(scopes)
    ops = ov_model.get_ordered_ops()
    sep = "__module."
    comparisons = [
        op for op in ops if op.get_type_name() in COMPARISONS and _in_scope(op.get_friendly_name(), scopes, sep)
    ]
    if not comparisons:
        raise RuntimeError(f"no SR-TOD threshold comparison (Greater or Sign) in the OpenVINO graph under {scopes}")
    keep: set[str] = set()
    stack = list(comparisons)
    while stack:  # upstream, to the first convolution on each branch
        op = stack.pop()
        name = op.get_friendly_name()
        if name in keep or op.get_type_name() in LEAVES:
            continue
        keep.add(name)
        if op.get_type_name() not in STOP_UPSTREAM:
            stack.extend(value.get_node() for value in op.input_values())
    stack = [target.get_node() for op in comparisons for out in op.outputs() for target in out.get_target_inputs()]
    while stack:  # downstream, while inside the layer
        op = stack.pop()
        name = op.get_friendly_name()
        # Operations OpenVINO fused while converting lose their module path ('Multiply_9329'): walk through them.
        if name in keep or op.get_type_name() in LEAVES or (name.startswith(sep) and not _in_scope(name, scopes, sep)):
            continue
        keep.add(name)
        stack.extend(target.get_node() for out in op.outputs() for target in out.get_target_inputs())
    return [op.get_friendly_name() for op in ops if op.get_friendly_name() in keep]


def onnx_gate_nodes(graph, scopes: Iterable[str]) -> list[str]:
    """Names of the gate nodes of SR-TOD layers in an ONNX graph (`onnx.GraphProto`), for `nodes_to_exclude`.

    Args:
        graph (onnx.GraphProto): The FP32 graph.
        scopes (Iterable[str]): Module paths of the SR-TOD layers, e.g. ['model.28'].

    Returns:
        (list[str]): Node names, in graph order.

    Raises:
        RuntimeError: No threshold comparison was found inside the given layers.
    """
    scopes = list(scopes)
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    comparisons = [n for n in graph.node if n.op_type in COMPARISONS and _in_scope(n.name, scopes, "/")]
    if not comparisons:
        raise RuntimeError(f"no SR-TOD threshold comparison (Greater or Sign) found in the ONNX graph under {scopes}")
    keep: set[str] = set()
    stack = list(comparisons)
    while stack:
        node = stack.pop()
        if node.name in keep:
            continue
        keep.add(node.name)
        if node.op_type not in STOP_UPSTREAM:
            stack.extend(producer[i] for i in node.input if i in producer)
    stack = [c for n in comparisons for out in n.output for c in consumers.get(out, [])]
    while stack:
        node = stack.pop()
        if node.name in keep or not _in_scope(node.name, scopes, "/"):
            continue
        keep.add(node.name)
        stack.extend(c for out in node.output for c in consumers.get(out, []))
    return [n.name for n in graph.node if n.name in keep]


def onnx_srtod_scopes(graph) -> list[str]:
    """Module paths of the SR-TOD layers in an exported ONNX graph (`/model.28/threshold/Greater` -> 'model.28')."""
    scopes = {n.name.split("/")[1] for n in graph.node if n.op_type in COMPARISONS and "/threshold/" in n.name}
    return sorted(scopes)


def read_float_inputs(model, names: Iterable[str]) -> int:
    """Make the named nodes of a QDQ model read the float tensors their quantize-dequantize pairs were made from.

    ONNX Runtime's `quantize_static` leaves excluded nodes unquantized, but where such a node shares an input with
    a quantized one (the network input image feeds the first convolution and SR-TOD's difference map), it reads
    the shared QuantizeLinear -> DequantizeLinear output: the image rounded to the calibrated INT8 grid.

    Args:
        model (onnx.ModelProto): The quantized model, changed in place.
        names (Iterable[str]): Names of the nodes to rewire.

    Returns:
        (int): The number of inputs rewired.
    """
    graph, names = model.graph, set(names)
    producer = {out: node for node in graph.node for out in node.output}
    rewired = 0
    for node in graph.node:
        if node.name not in names:
            continue
        for k, name in enumerate(node.input):
            dq = producer.get(name)
            q = producer.get(dq.input[0]) if dq is not None and dq.op_type == "DequantizeLinear" else None
            if q is not None and q.op_type == "QuantizeLinear":
                node.input[k] = q.input[0]
                rewired += 1
    return rewired
