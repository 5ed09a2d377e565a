"""SR-TOD in `yolo export format=openvino` (FP32 and INT8) and `format=onnx quantize=8`.

`srtod_yolo.yolo.hooks` wraps two ultralytics functions with these:

- `torch2openvino` (ultralytics traces the model with `torch.jit.trace` and converts it with
  `openvino.convert_model`): the SR-TOD map becomes the second output with `srtod_output=difference|mask`,
  outputs are named `output0`/`output1` as in the ONNX export, and with `quantize=8` NNCF quantizes the model
  with the SR-TOD gate (`srtod_yolo.export.gate_ops`) added to ultralytics' own ignored scope (the detection
  head's decode and every sigmoid);
- `onnx_int8_quantize` (ONNX Runtime static QDQ quantization, `quantize_static`, of `format=onnx quantize=8`):
  the gate's nodes are added to `nodes_to_exclude`, beside ultralytics' own exclusion of every node that is
  not a Conv, Gemm or MatMul.

Models without SR-TOD layers go through ultralytics' functions untouched.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ultralytics.utils import LOGGER

from ..export.gate_ops import onnx_gate_nodes, onnx_srtod_scopes, openvino_gate_ops, read_float_inputs
from ..nn import SRTOD
from .export import WithSRTODMap

__all__ = ("compile_in_fp32", "onnx_int8_quantize", "openvino_ignored_names", "torch2openvino")


def _srtod_paths(model) -> list[str]:
    return [name for name, m in model.named_modules() if isinstance(m, SRTOD)]


def openvino_ignored_names(ov_model, scopes: list[str], detect_head: bool) -> list[str]:
    """Operations NNCF must not quantize: the SR-TOD gate, plus ultralytics' choice for its heads.

    Args:
        ov_model (openvino.Model): The FP32 model.
        scopes (list[str]): Module paths of the SR-TOD layers in the traced module ('model.28').
        detect_head (bool): Also keep every sigmoid and the last head's decode (DFL, anchors) in floating point,
            as ultralytics does for Detect heads.

    Returns:
        (list[str]): Friendly names for `nncf.IgnoredScope(names=...)`.
    """
    names = openvino_gate_ops(ov_model, scopes)
    if detect_head:
        ops = ov_model.get_ordered_ops()
        sigmoids = [op.get_friendly_name() for op in ops if op.get_type_name() == "Sigmoid"]
        head = sigmoids[-1].split("/", 1)[0]  # the module that owns the last sigmoid: the Detect head
        names += [
            op.get_friendly_name()
            for op in ops
            if op.get_type_name() == "Sigmoid" or op.get_friendly_name().startswith((f"{head}/", f"{head}.dfl"))
        ]
    return list(dict.fromkeys(names))


def torch2openvino(
    stock,
    model,
    im,
    output_dir=None,
    dynamic=False,
    quantize=None,
    calibration_dataset=None,
    int8_detect=False,
    prefix="",
):
    """Wrap ultralytics' `torch2openvino` for SR-TOD models (arguments and return value as ultralytics' own).

    Returns:
        (openvino.Model): The converted model; INT8 with the SR-TOD gate in floating point when quantize=8.
    """
    scopes = _srtod_paths(model)
    if not scopes:
        return stock(model, im, output_dir, dynamic, quantize, calibration_dataset, int8_detect, prefix)
    import openvino as ov

    kind = getattr(model, "srtod_output", "none")
    traced = WithSRTODMap(model, kind) if kind != "none" else model
    scopes = _srtod_paths(traced)
    ov_model = stock(traced, im, None, dynamic, None if quantize == 8 else quantize, None, False, prefix)
    for output, name in zip(ov_model.outputs, ("output0", "output1")):
        output.get_tensor().set_names({name})
    if quantize == 8:
        import nncf
        from nncf.common.logging import nncf_logger

        ignored = openvino_ignored_names(ov_model, scopes, int8_detect)
        LOGGER.info(f"{prefix} NNCF keeps {len(ignored)} operations in floating point, the SR-TOD gate among them")
        level = nncf_logger.level  # NNCF logs each kept operation at INFO ("Not adding activation input quantizer
        nncf_logger.setLevel(max(level, logging.WARNING))  # for operation: ..."): the line above says it once
        try:
            ov_model = nncf.quantize(
                model=ov_model,
                calibration_dataset=calibration_dataset,
                preset=nncf.QuantizationPreset.MIXED,
                subset_size=calibration_dataset.get_length() or 300,
                ignored_scope=nncf.IgnoredScope(names=ignored),
            )
        finally:
            nncf_logger.setLevel(level)
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        ov.save_model(ov_model, Path(output_dir) / "model.xml", compress_to_fp16=quantize == 16)
    return ov_model


def onnx_int8_quantize(stock, onnx_file, output_file, dataset, transform_fn, input_name="images", prefix="") -> str:
    """Wrap ultralytics' `onnx_int8_quantize`: static QDQ quantization with the SR-TOD gate left in FP32.

    Args:
        stock (Callable): ultralytics' own `onnx_int8_quantize`.
        onnx_file, output_file, dataset, transform_fn, input_name, prefix: as for ultralytics' function.

    Returns:
        (str): Path of the quantized ONNX file.
    """
    import onnx
    from onnxruntime.quantization import quantize_static
    from ultralytics.utils.export.onnx import onnx_calibration_reader

    graph = onnx.load(str(onnx_file)).graph
    scopes = onnx_srtod_scopes(graph)
    if not scopes:
        return stock(onnx_file, output_file, dataset, transform_fn, input_name, prefix)
    gate = onnx_gate_nodes(graph, scopes)
    # ultralytics quantizes only weighted nodes (an INT8 scale spanning box pixels and class scores rounds scores
    # to 0); the gate's convolution joins the exclusions.
    exclude = [n.name for n in graph.node if n.op_type not in {"Conv", "Gemm", "MatMul"}] + gate
    LOGGER.info(f"{prefix} quantizing INT8 with ONNX Runtime, the SR-TOD gate ({len(gate)} nodes) in FP32...")
    quantize_static(
        str(onnx_file),
        str(output_file),
        onnx_calibration_reader(dataset, transform_fn, input_name),
        nodes_to_exclude=list(dict.fromkeys(exclude)),
    )
    quantized = onnx.load(str(output_file))
    if read_float_inputs(quantized, gate):
        onnx.save(quantized, str(output_file))
    return str(output_file)


def compile_in_fp32(backend, weight) -> None:
    """After ultralytics' OpenVINO backend loaded an SR-TOD model on a CPU, recompile it with FP32 inference precision.

    OpenVINO's CPU plugin runs the operations a model leaves in floating point in bfloat16 on CPUs with AMX or
    AVX512-BF16 (its default INFERENCE_PRECISION_HINT there), whatever the IR says. bfloat16 keeps 8 bits of
    mantissa: measured on the released srtod-yolov8n-p2 at 320 and 640 on real val frames, 2-4 % of the pixels
    the FP32 gate keeps flip, and boxes move by up to 21 px (docs/openvino.md). SR-TOD models therefore compile
    with INFERENCE_PRECISION_HINT=f32 (INT8 operations stay INT8); other models keep ultralytics' settings.

    Args:
        backend (ultralytics.nn.backends.openvino.OpenVINOBackend): A backend whose `load_model(weight)` just ran.
        weight (str | Path): The model's .xml file or its folder, as given to `load_model`.
    """
    compile_model = getattr(backend, "compile_model", None)
    if "srtod" not in (getattr(backend, "metadata", None) or {}) or compile_model is None:
        return
    if compile_model.keywords.get("device_name") not in {"CPU", "AUTO"}:
        return
    config = compile_model.keywords.setdefault("config", {})
    if "INFERENCE_PRECISION_HINT" in config:
        return
    config["INFERENCE_PRECISION_HINT"] = backend.ov.Type.f32
    xml = Path(weight) if Path(weight).is_file() else next(Path(weight).glob("*.xml"))
    backend.ov_compiled_model = compile_model(backend.ov.Core().read_model(str(xml)))
