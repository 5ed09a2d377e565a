"""Every node of exported SR-TOD graphs is one TensorRT's ONNX parser imports, at the opset and types used."""

import onnx
import pytest
import yaml
from onnx import TensorProto, helper
from ultralytics import YOLO
from ultralytics.nn.tasks import yaml_model_load

from srtod_yolo.export import check_graph, load_table

VARIANTS = {
    "paper": {},  # convt head, pixel difference, ste threshold, nearest resize, DGFE
    "shuffle": {"head": "shuffle"},
    "sign-maxpool-residual": {"threshold_mode": "sign", "resize": "maxpool", "enhance": "residual"},
    "fixed-no-dgfe": {"threshold_mode": "fixed", "dgfe": False},
}


def model_yaml(folder, name: str, settings: dict):
    """srtod-yolov8n-p2 with some SR-TOD settings changed, written where YOLO can read it (scale n from the name)."""
    cfg = yaml_model_load("srtod-yolov8n-p2.yaml")
    cfg["srtod"] = {**cfg.get("srtod", {}), **settings}
    path = folder / f"srtod-yolov8n-p2-{name}.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in cfg.items() if k not in {"yaml_file", "scale"}}))
    return path


def test_the_table_is_tensorrt_10_15_for_opsets_9_to_24():
    table = load_table()
    assert (table.tensorrt, table.opset_min, table.opset_max) == ("10.15", 9, 24)
    assert not table.operators["DFT"].supported  # the reason difference=highfreq cannot be exported
    assert table.operators["Greater"].supported and "FP32" in table.operators["Greater"].types
    assert "`axes` must be an initializer" in table.operators["ReduceMean"].restrictions


# Every configuration dynamic and static without a map; the map outputs on the paper's configuration.
EXPORTS = [(v, "none", d) for v in VARIANTS for d in (True, False)] + [
    ("paper", "difference", True),
    ("paper", "mask", False),
]


@pytest.mark.slow
@pytest.mark.parametrize("variant, srtod_output, dynamic", EXPORTS)
def test_every_node_of_the_exported_graph_is_supported_by_tensorrt(
    tmp_path, monkeypatch, variant, srtod_output, dynamic
):
    monkeypatch.chdir(tmp_path)  # a model built from a YAML exports into the working directory
    model = YOLO(model_yaml(tmp_path, variant, VARIANTS[variant]))
    f = model.export(format="onnx", imgsz=160, simplify=True, dynamic=dynamic, srtod_output=srtod_output)
    graph = onnx.load(f)
    # The SR-TOD layer (row 28) is in the graph, except without DGFE, where it passes P2 through at inference.
    in_graph = any("/model.28/" in n.name for n in graph.graph.node)
    assert in_graph == VARIANTS[variant].get("dgfe", True)
    assert graph.opset_import[0].version == 18
    assert check_graph(graph) == []


def tiny_graph(nodes, inputs, outputs, initializers=()) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "probe", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def test_the_check_reports_what_tensorrt_would_refuse():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8])
    d = helper.make_tensor_value_info("d", TensorProto.DOUBLE, [1, 4, 8])
    axes = helper.make_tensor_value_info("axes", TensorProto.INT64, [1])
    model = tiny_graph(
        [
            helper.make_node("DFT", ["x"], ["spectrum"], name="fft"),
            helper.make_node("Greater", ["d", "d"], ["gt"], name="greater_on_double"),
            helper.make_node("ReduceMean", ["x", "axes"], ["mean"], name="mean_over_runtime_axes"),
            helper.make_node("GridSample", ["x", "x"], ["grid"], name="grid"),
        ],
        [x, d, axes],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("spectrum", "mean", "grid")]
        + [helper.make_tensor_value_info("gt", TensorProto.BOOL, None)],
    )
    problems = "\n".join(check_graph(model))
    assert "fft (DFT): unsupported by the TensorRT 10.15 parser" in problems
    assert "greater_on_double (Greater): type DOUBLE" in problems
    assert "mean_over_runtime_axes (ReduceMean): axes 'axes' must be a constant" in problems
    assert "grid (GridSample): restriction not verified" in problems


def test_the_check_accepts_constant_axes_and_rejects_an_old_opset():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [2])
    model = tiny_graph(
        [helper.make_node("ReduceMean", ["x", "axes"], ["mean"], name="mean")],
        [x],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, None)],
        [axes],
    )
    assert check_graph(model) == []
    model.opset_import[0].version = 8
    assert any(p.startswith("opset 8: TensorRT 10.15 parses opsets 9-24") for p in check_graph(model))


@pytest.mark.slow
def test_highfreq_model_export_fails_naming_the_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = YOLO(model_yaml(tmp_path, "highfreq", {"difference": "highfreq"}))
    with pytest.raises(ValueError, match="difference=highfreq .* 'difference: pixel'"):
        model.export(format="onnx", imgsz=160)
