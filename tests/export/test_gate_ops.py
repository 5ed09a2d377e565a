"""The SR-TOD gate found in exported graphs (OpenVINO and ONNX): what INT8 must leave in floating point."""

import io

import onnx
import pytest
import torch
from torch import nn

from srtod_yolo.export.gate_ops import onnx_gate_nodes, onnx_srtod_scopes, openvino_gate_ops, read_float_inputs
from srtod_yolo.nn import SRTOD

pytestmark = pytest.mark.slow  # exports small graphs


class Net(nn.Module):
    """A stride-4 stem, an SR-TOD layer on it, and a 1x1 head."""

    def __init__(self, **settings):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, stride=4)
        self.srtod = SRTOD(16, **settings)
        self.out = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        return self.out(self.srtod(self.stem(x), x))


SETTINGS = [dict(), dict(head="half"), dict(threshold_mode="sign"), dict(resize="maxpool")]


def onnx_graph(net, x):
    f = io.BytesIO()
    torch.onnx.export(net, x, f, input_names=["images"], opset_version=17, dynamo=False)
    return onnx.load_from_string(f.getvalue())


@pytest.mark.parametrize("settings", SETTINGS)
def test_onnx_gate_is_the_path_from_the_reconstruction_conv_to_the_gate_multiply(settings):
    net = Net(**settings).eval()
    model = onnx_graph(net, torch.rand(1, 3, 64, 64))
    graph = model.graph
    assert onnx_srtod_scopes(graph) == ["srtod"]
    gate = {n.name: n.op_type for n in graph.node if n.name in set(onnx_gate_nodes(graph, ["srtod"]))}
    kinds = set(gate.values())
    assert {"Conv", "Sigmoid", "Sub", "Abs", "ReduceMean", "Mul"} <= kinds
    assert ("Sign" if settings.get("threshold_mode") == "sign" else "Greater") in kinds
    convs = [name for name, kind in gate.items() if kind == "Conv"]
    assert len(convs) == 1 and convs[0].startswith("/srtod/")  # the reconstruction's output conv, no other
    assert not any(name.startswith(("/stem/", "/out/")) or "/mlp/" in name for name in gate)  # not DGFE's MLP


def test_onnx_gate_in_an_unrelated_graph_is_an_error():
    graph = onnx_graph(nn.Sequential(nn.Conv2d(3, 4, 3)), torch.rand(1, 3, 8, 8)).graph
    assert onnx_srtod_scopes(graph) == []
    with pytest.raises(RuntimeError, match="no SR-TOD threshold comparison"):
        onnx_gate_nodes(graph, ["model.28"])


def test_read_float_inputs_bypasses_a_quantize_dequantize_pair():
    from onnx import helper

    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q"),
        helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xdq"], name="dq"),
        helper.make_node("Relu", ["xdq"], ["a"], name="quantized_reader"),
        helper.make_node("Abs", ["xdq"], ["b"], name="gate_reader"),
    ]
    model = helper.make_model(helper.make_graph(nodes, "g", [], []))
    assert read_float_inputs(model, ["gate_reader"]) == 1
    inputs = {n.name: list(n.input) for n in model.graph.node}
    assert inputs["gate_reader"] == ["x"] and inputs["quantized_reader"] == ["xdq"]


@pytest.mark.parametrize("settings", SETTINGS[:3])
def test_openvino_gate_is_the_same_path(settings):
    ov = pytest.importorskip("openvino", reason="the [openvino] extra is not installed")
    net = Net(**settings).eval()
    x = torch.rand(1, 3, 64, 64)
    ov_model = ov.convert_model(torch.jit.trace(net, x), example_input=x)
    ops = {op.get_friendly_name(): op.get_type_name() for op in ov_model.get_ordered_ops()}
    gate = openvino_gate_ops(ov_model, ["srtod"])
    kinds = {ops[name] for name in gate}
    assert {"Convolution", "Sigmoid", "Subtract", "Abs", "ReduceMean", "Multiply"} <= kinds
    assert ("Sign" if settings.get("threshold_mode") == "sign" else "Greater") in kinds
    assert sum(ops[name] == "Convolution" for name in gate) == 1
    assert all(name.startswith("__module.srtod") for name in gate if ops[name] == "Convolution")
    assert not any(".mlp." in name or name.startswith(("__module.stem", "__module.out")) for name in gate)
