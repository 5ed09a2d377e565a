"""The serving configs in export/ against the real exported model: names, types, dims, classes, scaling."""

import configparser

import pytest
import yaml
from conftest import REPO
from ultralytics import YOLO
from ultralytics.nn.tasks import yaml_model_load

from srtod_yolo.export import io_specs, metadata
from srtod_yolo.export.triton import check_model_config, read_model_config

pytestmark = pytest.mark.slow

SERVING = REPO / "export"
NAMES = {0: "drone", 1: "bird", 2: "airplane", 3: "helicopter"}  # the Halmstad anti-UAV classes the configs serve


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict:
    """A 4-class srtod-yolov8n-p2 (fixed seed) exported as the configs' comments say: dynamic, difference, static."""
    folder = tmp_path_factory.mktemp("serving")
    cfg = {k: v for k, v in yaml_model_load("srtod-yolov8n-p2.yaml").items() if k not in {"yaml_file", "scale"}}
    (folder / "srtod-yolov8n-p2-halmstad.yaml").write_text(yaml.safe_dump({**cfg, "nc": 4}))
    out = {}
    for name, kwargs in {
        "dynamic": dict(dynamic=True),
        "difference": dict(dynamic=True, srtod_output="difference"),
        "static": dict(dynamic=False, imgsz=640),
    }.items():
        model = YOLO(folder / "srtod-yolov8n-p2-halmstad.yaml")
        model.model.names = NAMES
        (folder / name).mkdir()
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder / name)  # a model built from a YAML exports into the working directory
            out[name] = str(folder / name / model.export(format="onnx", simplify=True, **{"imgsz": 320, **kwargs}))
    return out


def test_triton_config_matches_the_stock_export(exports):
    assert check_model_config(SERVING / "triton" / "srtod" / "config.pbtxt", exports["dynamic"]) == []
    config = read_model_config(SERVING / "triton" / "srtod" / "config.pbtxt")
    assert config["name"] == "srtod" and config["backend"] == "onnxruntime"
    assert [(o["name"], o["dims"]) for o in config["output"]] == [("output0", [8, -1])]


def test_triton_difference_config_matches_the_export_with_output1(exports):
    path = SERVING / "triton" / "srtod_difference" / "config.pbtxt"
    assert check_model_config(path, exports["difference"]) == []
    assert [o["name"] for o in read_model_config(path)["output"]] == ["output0", "output1"]
    # The plain config does not fit the two-output model, nor the other way round: Triton would refuse both.
    assert check_model_config(SERVING / "triton" / "srtod" / "config.pbtxt", exports["difference"]) == [
        "model output 'output1' is not in the config"
    ]
    assert "config output 'output1' is not a model output" in "\n".join(check_model_config(path, exports["dynamic"]))


def test_config_check_catches_a_wrong_name_type_or_class_count(exports, tmp_path):
    text = (SERVING / "triton" / "srtod" / "config.pbtxt").read_text()
    wrong = tmp_path / "config.pbtxt"
    wrong.write_text(text.replace('"images"', '"input"').replace("dims: [ 8, -1 ]", "dims: [ 84, -1 ]"))
    problems = "\n".join(check_model_config(wrong, exports["dynamic"]))
    assert "config input 'input' is not a model input" in problems
    assert "output 'output0': dims [84, -1], the model has [8, 'anchors']" in problems
    wrong.write_text(text.replace("TYPE_FP32", "TYPE_FP16"))
    assert "data_type TYPE_FP16, the model has TYPE_FP32" in "\n".join(check_model_config(wrong, exports["dynamic"]))


def test_deepstream_config_matches_the_static_export(exports):
    parser = configparser.ConfigParser()
    parser.read(SERVING / "deepstream" / "config_infer_srtod.txt")
    config = parser["property"]
    inputs, outputs = io_specs(exports["static"])
    assert config["output-blob-names"] == outputs[0].name == "output0"
    assert inputs[0].dims == (1, *map(int, config["infer-dims"].split(";")))
    classes = int(config["num-detected-classes"])
    assert outputs[0].dims[1] == 4 + classes
    labels = (SERVING / "deepstream" / config["labelfile-path"]).read_text().split()
    assert labels == list(NAMES.values()) == list(eval(metadata(exports["static"])["names"]).values())
    assert float(config["net-scale-factor"]) == pytest.approx(1 / 255)
    assert config["model-color-format"] == "0"  # RGB, as ultralytics feeds its models
    assert config["maintain-aspect-ratio"] == config["symmetric-padding"] == "1"  # ultralytics' centred letterbox
