"""ONNX export of a trained SR-TOD model: the stock signature, and ONNX Runtime against PyTorch on real frames."""

import csv
import shutil

import cv2
import numpy as np
import onnxruntime as ort
import pytest
import torch
from conftest import SHARED_DATA, logged, needs_halmstad
from ultralytics import YOLO
from ultralytics.data.augment import LetterBox

from srtod_yolo.export import io_specs, metadata, srtod_threshold
from srtod_yolo.nn import SRTOD

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4


def real_frames(sensor: str, n: int = 2) -> list[np.ndarray]:
    """The first n real validation frames of a sensor ('IR' 320x256 thermal, 'V' 640x512 visible), BGR."""
    with open(SHARED_DATA / "val" / "manifest.csv") as f:
        names = [row["image"] for row in csv.DictReader(f) if row["sensor"] == sensor][:n]
    return [cv2.imread(str(SHARED_DATA / "val" / "images" / f"{name}.png")) for name in names]


def letterboxed(frames: list[np.ndarray], imgsz: int, auto: bool) -> torch.Tensor:
    """Frames as the predictor feeds them: letterboxed (minimal rectangle if auto), RGB, CHW, in [0, 1]."""
    boxes = [LetterBox((imgsz, imgsz), auto=auto, stride=32)(image=f) for f in frames]
    return torch.from_numpy(np.stack(boxes)[..., ::-1].transpose(0, 3, 1, 2).copy()).float() / 255


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory) -> dict:
    """The trained model exported four ways (each from its own copy of best.pt), by name."""
    out = {}
    for name, kwargs in {
        "dynamic": dict(dynamic=True),
        "static": dict(dynamic=False),
        "difference": dict(dynamic=True, srtod_output="difference"),
        "mask": dict(dynamic=False, srtod_output="mask"),
    }.items():
        folder = tmp_path_factory.mktemp(name)
        weights = shutil.copy(trained / "weights" / "best.pt", folder / "best.pt")
        out[name] = YOLO(weights).export(format="onnx", imgsz=320, simplify=True, **kwargs)
    out["pt"] = str(trained / "weights" / "best.pt")
    return out


def pytorch_model(weights: str, keep_maps: bool = False):
    model = YOLO(weights).model.float().eval()
    layer = next(m for m in model.modules() if isinstance(m, SRTOD))
    layer.keep_maps = keep_maps
    return model, layer


def compare(onnx_path: str, weights: str, x: torch.Tensor, keep_maps: bool = False):
    """Run ONNX Runtime and PyTorch on x; return (onnx outputs, PyTorch output0, PyTorch layer, anchor strides)."""
    model, layer = pytorch_model(weights, keep_maps)
    with torch.no_grad():
        reference = model(x)[0]
    strides = model.model[-1].strides  # (1, anchors): the stride each box column was decoded at
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    return session.run(None, {"images": x.numpy()}), reference, layer, strides


def assert_detections_match(output0: np.ndarray, reference: torch.Tensor, strides: torch.Tensor) -> None:
    """Scores within 1e-4; boxes within 1e-4 in units of their level's grid cell (see the module notes)."""
    assert output0.shape == tuple(reference.shape)
    scores = np.abs(output0[:, 4:] - reference[:, 4:].numpy()).max()
    boxes = np.abs(output0[:, :4] - reference[:, :4].numpy())
    assert scores <= TOLERANCE, f"class scores differ by {scores:.3g}"
    cells = (boxes / strides.numpy()[:, None]).max()
    assert cells <= TOLERANCE, f"boxes differ by {cells:.3g} grid cells ({boxes.max():.3g} px)"


def test_default_export_has_exactly_the_stock_single_output(exported):
    inputs, outputs = io_specs(exported["dynamic"])
    assert [(i.name, i.dtype, i.dims) for i in inputs] == [("images", "FP32", ("batch", 3, "height", "width"))]
    # One class (the synthetic set's 'drone'): 4 box + 1 score rows, fixed; batch and anchors dynamic.
    assert [(o.name, o.dtype, o.dims) for o in outputs] == [("output0", "FP32", ("batch", 5, "anchors"))]
    static_inputs, static_outputs = io_specs(exported["static"])
    assert static_inputs[0].dims == (1, 3, 320, 320)
    assert [o.name for o in static_outputs] == ["output0"]
    assert static_outputs[0].dims == (1, 5, (80 * 80 + 40 * 40 + 20 * 20 + 10 * 10))
    assert metadata(exported["dynamic"])["srtod_output"] == "none"


@needs_halmstad
@pytest.mark.parametrize("sensor, imgsz", [("IR", 320), ("V", 640)])
def test_dynamic_onnx_matches_pytorch_on_real_frames(exported, sensor, imgsz):
    # Native sizes, letterboxed to the minimal rectangle as the predictor does: 320x256 -> 256x320, 640x512 ->
    # 512x640; two frames in one batch exercise the dynamic batch axis.
    x = letterboxed(real_frames(sensor), imgsz, auto=True)
    (output0,), reference, _, strides = compare(exported["dynamic"], exported["pt"], x)
    assert_detections_match(output0, reference, strides)


@needs_halmstad
def test_static_onnx_matches_pytorch_on_real_frames(exported):
    for frame in real_frames("IR", 1) + real_frames("V", 1):
        x = letterboxed([frame], 320, auto=False)
        (output0,), reference, _, strides = compare(exported["static"], exported["pt"], x)
        assert_detections_match(output0, reference, strides)


@needs_halmstad
@pytest.mark.parametrize("sensor, imgsz", [("IR", 320), ("V", 640)])
def test_difference_output_matches_the_pytorch_layer_map(exported, sensor, imgsz):
    inputs, outputs = io_specs(exported["difference"])
    assert [(o.name, o.dims) for o in outputs] == [
        ("output0", ("batch", 5, "anchors")),
        ("output1", ("batch", 1, "height", "width")),
    ]
    x = letterboxed(real_frames(sensor), imgsz, auto=True)
    (output0, output1), reference, layer, strides = compare(exported["difference"], exported["pt"], x, True)
    assert_detections_match(output0, reference, strides)
    difference = layer.last["difference"].numpy()
    assert output1.shape == difference.shape == (2, 1, *x.shape[-2:])
    assert np.abs(output1 - difference).max() <= TOLERANCE
    # The gate: no pixel may flip between backends. Were one to, its D would sit within float error of t.
    t = float(layer.threshold.value)
    assert srtod_threshold(metadata(exported["difference"])) == pytest.approx(t)
    assert np.array_equal(output1 > t, difference > t)


@needs_halmstad
def test_mask_output_is_the_binary_gate_of_the_pytorch_layer(exported):
    x = letterboxed(real_frames("V", 1), 320, auto=False)
    (output0, output1), reference, layer, strides = compare(exported["mask"], exported["pt"], x, True)
    assert_detections_match(output0, reference, strides)
    assert set(np.unique(output1)) <= {0.0, 1.0}
    assert np.array_equal(output1, layer.last["mask"].numpy())


@pytest.fixture(scope="module")
def exported_border(trained, tmp_path_factory) -> dict:
    """The trained checkpoint with `border = 8` set after loading, exported without and with its difference map."""
    out = {}
    for name, kwargs in {
        "sparse": dict(dynamic=True),
        "difference": dict(dynamic=True, srtod_output="difference"),
    }.items():
        folder = tmp_path_factory.mktemp(f"border_{name}")
        model = YOLO(shutil.copy(trained / "weights" / "best.pt", folder / "best.pt"))
        model.model.srtod_layers[0].border = 8
        out[name] = model.export(format="onnx", imgsz=320, simplify=True, **kwargs)
    out["pt"] = str(trained / "weights" / "best.pt")
    return out


@needs_halmstad
@pytest.mark.parametrize("auto", [True, False])  # IR 320x256 letterboxed to 256x320, or padded to 320x320
def test_border_margin_exports_and_matches_pytorch(exported_border, auto):
    x = letterboxed(real_frames("IR") + real_frames("V"), 320, auto=auto)
    model, layer = pytorch_model(exported_border["pt"])
    layer.border = 8
    with torch.no_grad():
        reference = model(x)[0]  # the sparse path, as the plain export traces it
    strides = model.model[-1].strides
    (output0,) = ort.InferenceSession(exported_border["sparse"], providers=["CPUExecutionProvider"]).run(
        None, {"images": x.numpy()}
    )
    assert_detections_match(output0, reference, strides)
    assert srtod_threshold(metadata(exported_border["sparse"])) == pytest.approx(float(layer.threshold.value))
    assert "'border': 8" in metadata(exported_border["sparse"])["srtod"]

    layer.keep_maps = True
    with torch.no_grad():
        model(x)
    output0, output1 = ort.InferenceSession(exported_border["difference"], providers=["CPUExecutionProvider"]).run(
        None, {"images": x.numpy()}
    )
    difference = layer.last["difference"].numpy()
    assert np.abs(output1 - difference).max() <= TOLERANCE
    pad = 0 if auto else 32  # 320x256 (and 640x512 halved) frames in a 320x320 square: 32 grey rows above and below
    assert output1[..., : pad + 8, :].max() == 0 and output1[..., -(pad + 8) :, :].max() == 0
    assert output1[..., :, :8].max() == 0 and output1[..., pad + 8 : -(pad + 8), 8:-8].min() > 0


def test_save_diff_on_an_export_without_the_map_says_to_export_it_again(exported):
    model = YOLO(exported["dynamic"], task="detect")
    text = logged(lambda: model.predict(np.zeros((64, 64, 3), np.uint8), save_diff=True, imgsz=64))
    assert "this export of an SR-TOD model was made without srtod_output=difference" in text
    assert "no SR-TOD layer" not in text  # it has one: only the export left the map out


def test_yolo_val_runs_a_fixed_size_export(exported, tiny_synth):
    # The validator sets imgsz to the export's [h, w] list; every part of validation must take it.
    metrics = YOLO(exported["static"], task="detect").val(data=str(tiny_synth / "data.yaml"), imgsz=320, batch=1)
    assert 0.0 <= metrics.box.map50 <= 1.0 and "AP_vt" in metrics.aitod


def test_srtod_val_of_a_fixed_size_export_says_every_size_ran_at_the_export_size(exported, tiny_synth, tmp_path):
    from srtod_yolo.yolo.native_val import validate_native

    data, args = tiny_synth / "data.yaml", dict(batch=1, workers=0, plots=False)
    result = {}
    static = logged(lambda: result.update(validate_native(exported["static"], data, project=tmp_path, **args)))
    assert result["groups"]["160x128"]["imgsz"] == 320  # the export's input, not the frames' 160, and the table says so
    assert "srtod val: the 160x128 images ran at imgsz=320, not 160" in static and "dynamic=True" in static
    assert result["all"]["imgsz"] == "320"  # not 'native'
    dynamic = logged(lambda: result.update(validate_native(exported["dynamic"], data, project=tmp_path, **args)))
    assert result["groups"]["160x128"]["imgsz"] == 160 and "ran at imgsz" not in dynamic
    assert result["all"]["imgsz"] == "native"
