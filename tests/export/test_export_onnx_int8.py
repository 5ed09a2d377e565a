"""`yolo export format=onnx quantize=8` of the released SR-TOD model: ONNX Runtime static QDQ, the gate in FP32."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from conftest import needs_halmstad
from released_model import calibration_set, copy_released
from test_export_cli import short_clip
from test_export_onnx import letterboxed, real_frames
from ultralytics import YOLO

from srtod_yolo.export.gate_ops import onnx_gate_nodes, onnx_srtod_scopes

pytestmark = [pytest.mark.slow, needs_halmstad]


@pytest.fixture(scope="module")
def int8(tmp_path_factory) -> str:
    weights = copy_released(tmp_path_factory.mktemp("ort-int8"))
    data = calibration_set(tmp_path_factory.mktemp("calibration"))
    return YOLO(weights).export(format="onnx", imgsz=320, quantize=8, data=str(data), batch=1)


def test_ort_int8_model_is_quantized_except_the_srtod_gate(int8):
    assert int8.endswith("_int8.onnx")
    graph = onnx.load(int8).graph
    producer = {out: node for node in graph.node for out in node.output}
    assert sum(n.op_type == "QuantizeLinear" for n in graph.node) > 50  # it is an INT8 model
    assert onnx_srtod_scopes(graph) == ["model.28"]
    gate = {n.name: n for n in graph.node if n.name in set(onnx_gate_nodes(graph, ["model.28"]))}
    assert {"Conv", "Sigmoid", "Sub", "Abs", "ReduceMean", "Greater"} <= {n.op_type for n in gate.values()}
    for node in gate.values():  # in QDQ form a quantized node reads a DequantizeLinear output
        readers = [producer[i].op_type for i in node.input if i in producer]
        assert "DequantizeLinear" not in readers, f"{node.name} ({node.op_type}) reads an INT8 tensor"
    # The other convolutions are quantized.
    convs = [n for n in graph.node if n.op_type == "Conv" and n.name not in gate]
    assert all(producer[n.input[0]].op_type == "DequantizeLinear" for n in convs)


def test_ort_int8_model_runs_on_real_frames_and_in_yolo_predict(int8, tmp_path):
    session = ort.InferenceSession(int8, providers=["CPUExecutionProvider"])
    x = letterboxed(real_frames("IR", 1), 320, auto=False).numpy()
    (output0,) = session.run(None, {"images": x})
    assert output0.shape == (1, 8, 80 * 80 + 40 * 40 + 20 * 20 + 10 * 10) and np.isfinite(output0).all()
    results = YOLO(int8).predict(str(short_clip(tmp_path / "clip.mp4", frames=4)), imgsz=320, verbose=False)
    assert len(results) == 4
