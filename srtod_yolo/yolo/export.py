"""SR-TOD in `yolo export`: checks before anything runs, the optional map output, and the metadata it records.

`srtod_yolo.yolo.hooks` wires these into ultralytics' exporter:

- `check_export_backend` runs first in every export, before ultralytics picks a device, so that
  `yolo export format=engine` on a machine without TensorRT says so instead of failing on CUDA or pip;
- `prepare_export` is an `on_export_start` callback: it validates `srtod_output=...` against the format and the
  model, makes the SR-TOD layers keep their maps when one is exported, and records the SR-TOD settings in the
  model's metadata (`srtod`, `srtod_output`), and every model's head strides (`head_strides`, [4, 8, 16, 32] for a
  P2 model), by which the predictor knows that an export is made for tiny objects;
- `torch2onnx` wraps ultralytics' ONNX tracing: a model exported with `srtod_output=difference|mask` returns that
  map of its first SR-TOD layer as `output1` (B, 1, H, W) beside the detections `output0`, with the input's dynamic
  axes; and the fixed axes of every output (4 + nc channels) are written back as fixed.

The default (`srtod_output=none`) graph has exactly the stock single output, so stock tools use it unchanged.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import onnx
import torch
from torch import nn
from ultralytics.utils import LOGGER

from ..errors import MissingPackageError
from ..export.onnx_model import SRTOD_OUTPUTS, set_output_dims
from ..nn import SRTOD

__all__ = ("MAP_FORMATS", "WithSRTODMap", "check_export_backend", "prepare_export", "srtod_output_of", "torch2onnx")

MAP_FORMATS = ("onnx", "engine", "openvino")  # formats whose graph can carry the SR-TOD map as output1
FFT_LESS_FORMATS = ("onnx", "engine")  # traced through ultralytics' torch2onnx: no torch.fft
ENGINE_ALIASES = {"engine", "tensorrt", "trt"}


def check_export_backend(exporter) -> None:
    """Fail early, with the fix, when the requested export format needs a package this machine lacks.

    ultralytics would otherwise switch a device-less TensorRT export to `device=0` and fail on CUDA, or try to
    pip-install TensorRT in the middle of the export, which fails without a network or an NVIDIA GPU with a message
    that does not say so.
    """
    fmt = str(getattr(exporter.args, "format", "")).lower()
    if fmt in ENGINE_ALIASES and importlib.util.find_spec("tensorrt") is None:
        raise MissingPackageError(
            "TensorRT export (format=engine) needs NVIDIA TensorRT and an NVIDIA GPU, and the 'tensorrt' package is "
            "not installed. On a machine with an NVIDIA GPU: pip install 'tensorrt>=10' 'onnxruntime-gpu>=1.17' "
            "(srtod-yolo's [gpu] extra). Elsewhere, export format=onnx and build the engine where TensorRT runs "
            "(trtexec --onnx=best.onnx --fp16); see export/README.md."
        )


def srtod_output_of(args) -> str:
    """The validated `srtod_output` argument of an export: 'none', 'difference' or 'mask'."""
    value = getattr(args, "srtod_output", "none")
    value = "none" if value in {None, False} else str(value).strip().lower()
    if value not in SRTOD_OUTPUTS:
        raise ValueError(f"srtod_output={value!r} is not valid; use one of {', '.join(SRTOD_OUTPUTS)}")
    return value


def _srtod_layers(model: nn.Module) -> list[SRTOD]:
    return [m for m in model.modules() if isinstance(m, SRTOD)]


def keep_package_clean(exporter) -> None:
    """Exports of a released checkpoint loaded by bare name go to the working directory, not into the package.

    ultralytics writes an export beside its `.pt`; for `yolo export model=srtod-yolov8n-p2-halmstad.pt` that is the
    installed package's weights folder (read-only in a system install; in a checkout, files the wheel must not
    carry). ultralytics' own assets are downloaded into the working directory and exported there: the same here.
    """
    from ..weights import weights_dir

    file = Path(exporter.file)
    if file.parent.resolve() == weights_dir().resolve():
        exporter.file = Path.cwd() / file.name
        LOGGER.info(f"srtod-yolo: {file.name} is a released checkpoint; its export is written to {Path.cwd()}")


def prepare_export(exporter) -> None:
    """`on_export_start`: check SR-TOD settings against the export, choose the graph's outputs, write metadata.

    Args:
        exporter (ultralytics.engine.exporter.Exporter): The running export (its model is already a fused copy).
    """
    keep_package_clean(exporter)
    model, args = exporter.model, exporter.args
    strides = getattr(model, "stride", None)
    if isinstance(strides, torch.Tensor) and strides.numel():  # so that the predictor knows a P2 export (shrinks)
        exporter.metadata["head_strides"] = [int(s) for s in strides.flatten().tolist()]
    kind, fmt = srtod_output_of(args), str(args.format).lower()
    layers = _srtod_layers(model)
    if not layers:
        if kind != "none":
            raise ValueError(f"srtod_output={kind} needs an SR-TOD model, and this model has no SR-TOD layer")
        return
    # ONNX's TorchScript exporter has no FFT (aten::fft_rfft2), and TensorRT's parser no DFT: say which setting.
    fft = [m for m in layers if m.difference == "highfreq" and (m.use_dgfe or kind != "none")]
    if fft and fmt in FFT_LESS_FORMATS:
        raise ValueError(
            f"this model's SR-TOD layer uses difference=highfreq (an FFT high-pass, torch.fft), which format={fmt} "
            "cannot export: the ONNX exporter has no FFT and TensorRT's ONNX parser no DFT. Export a model trained "
            "with 'difference: pixel' (the paper's default), or use format=torchscript"
        )
    if kind != "none":
        if fmt not in MAP_FORMATS:
            raise ValueError(f"srtod_output={kind} is available for format={', format='.join(MAP_FORMATS)}, not {fmt}")
        if args.nms:
            raise ValueError(f"srtod_output={kind} cannot be combined with nms=True; export without embedded NMS")
        for m in layers:
            m.keep_maps = True  # the full-resolution map, not the 1-in-16 samples the mask needs
    model.srtod_output = kind  # read by torch2onnx below
    exporter.metadata["srtod"] = layers[0].settings
    exporter.metadata["srtod_output"] = kind
    if fmt == "engine" and args.quantize == 8:
        LOGGER.warning(
            "INT8 TensorRT export of an SR-TOD model: ultralytics quantizes the reconstruction head's convolutions "
            "and the shared input image with the rest of the network, which moves the difference map against its "
            "threshold. See export/README.md (INT8) for a build that keeps the SR-TOD layer in FP16."
        )


class WithSRTODMap(nn.Module):
    """Export view of an SR-TOD model: (detections, map of its first SR-TOD layer (B, 1, H, W)).

    Args:
        model (nn.Module): The model being exported; its SR-TOD layers keep their maps (`keep_maps = True`).
        kind (str): 'difference' (D, in [0, 1]) or 'mask' (D > t, 0 or 1).
    """

    def __init__(self, model: nn.Module, kind: str):
        super().__init__()
        if kind not in SRTOD_OUTPUTS[1:]:
            raise ValueError(f"unknown SR-TOD map '{kind}', expected one of {SRTOD_OUTPUTS[1:]}")
        self.model, self.kind = model, kind
        # torch.onnx.export puts a module back into its own mode afterwards, recursively: a new module is in
        # training mode, and would leave the model it wraps there.
        self.train(model.training)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the model on images x (B, C, H, W); return its output and the SR-TOD map."""
        y = self.model(x)
        return y, _srtod_layers(self.model)[0].last[self.kind]


def torch2onnx(stock, model, im, output_file, opset=14, input_names=None, output_names=None, dynamic=None) -> str:
    """Wrap ultralytics' `torch2onnx`: SR-TOD's optional `output1`, and the fixed axes of every output restored.

    Args:
        stock (Callable): ultralytics' own `torch2onnx`.
        model, im, output_file, opset, input_names, output_names, dynamic: as for ultralytics' `torch2onnx`.

    Returns:
        (str): The path of the ONNX file.
    """
    if not _srtod_layers(model):
        return stock(model, im, output_file, opset, input_names, output_names, dynamic)
    kind = getattr(model, "srtod_output", "none")
    if kind != "none":
        model = WithSRTODMap(model, kind)
        output_names = [*(output_names or ["output0"]), "output1"]
        if dynamic:
            dynamic = {**dynamic, "output1": {0: "batch", 2: "height", 3: "width"}}
    f = stock(model, im, output_file, opset, input_names, output_names, dynamic)
    with torch.no_grad():
        traced = model(im)
    traced = traced if isinstance(traced, (tuple, list)) else [traced]
    shapes = [tuple(t.shape) for t in traced if isinstance(t, torch.Tensor)]
    proto = onnx.load(f)
    if len(shapes) == len(proto.graph.output):
        onnx.save(set_output_dims(proto, shapes, dynamic), f)
    else:
        LOGGER.warning(f"{Path(f).name}: {len(shapes)} traced outputs for {len(proto.graph.output)} graph outputs")
    return f
