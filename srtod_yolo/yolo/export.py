"""Export checks that run inside `yolo export` (registered as an `on_export_start` callback by the hooks)."""

from __future__ import annotations

import importlib.util

__all__ = ("check_export_backend",)


def check_export_backend(exporter) -> None:
    """Fail early, with the fix, when the requested export format needs a package this machine lacks.

    ultralytics would otherwise try to pip-install TensorRT in the middle of the export, which fails without a
    network or an NVIDIA GPU with a message that does not say so.
    """
    fmt = str(getattr(exporter.args, "format", "")).lower()
    if fmt == "engine" and importlib.util.find_spec("tensorrt") is None:
        raise ModuleNotFoundError(
            "TensorRT export (format=engine) needs NVIDIA TensorRT and an NVIDIA GPU, and the 'tensorrt' package is "
            "not installed. On a machine with an NVIDIA GPU: pip install 'srtod-yolo[gpu]'. Elsewhere, export "
            "format=onnx and build the engine where TensorRT runs (trtexec --onnx=best.onnx --fp16)."
        )
