"""OpenVINO's CPU inference precision and the SR-TOD gate: f32 against the plugin's default on real frames.

On CPUs with AMX or AVX512-BF16 OpenVINO's CPU plugin runs floating-point operations in bfloat16 by default, whatever
precision the IR was saved in; srtod-yolo therefore compiles SR-TOD models with INFERENCE_PRECISION_HINT=f32
(`srtod_yolo.yolo.export_int8.compile_in_fp32`). This measures why, as docs/openvino.md's table reports it: a released
SR-TOD checkpoint exported to an FP32 IR with its difference map as `output1` (dynamic axes), run on real val frames of
each sensor at their native size (letterboxed square), compiled with each precision hint, against PyTorch:

- the largest class-score error and the largest box-corner error in pixels (over all anchors);
- the gate pixels that flip (where [D > t] differs from PyTorch's), over the pixels PyTorch's gate keeps.

The CPU's `OPTIMIZATION_CAPABILITIES` are recorded: without BF16 among them, the bf16 hint runs in f32.

    python -m benchmarks.openvino_precision    # 4 frames per sensor, ~10 s; benchmarks/results/openvino_precision.json
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, command_line, machine_info, write_record
from benchmarks.int8_gate import frames, local_copy

OUT = REPO / "benchmarks" / "results" / "openvino_precision.json"
SENSORS = {"IR": ("thermal 320x256", 320), "V": ("visible 640x512", 640)}  # manifest sensor -> label, native imgsz


def errors(output0: np.ndarray, output1: np.ndarray, reference0, reference1, t: float) -> dict:
    """Largest score and box errors, and gate flips / kept pixels, of one batch against PyTorch's."""
    return {
        "max_score_error": float(np.abs(output0[:, 4:] - reference0[:, 4:]).max()),
        "max_box_error_px": float(np.abs(output0[:, :4] - reference0[:, :4]).max()),
        "gate_flipped": int(((output1 > t) != (reference1 > t)).sum()),
        "gate_kept_by_pytorch": int((reference1 > t).sum()),
    }


def main(argv: list[str] | None = None) -> dict:
    import openvino as ov
    import torch
    from ultralytics import YOLO

    from srtod_yolo.nn import SRTOD

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--weights", default="srtod-yolov8n-p2-halmstad.pt", help="an SR-TOD checkpoint (released name or path)"
    )
    p.add_argument("--frames", type=int, default=4, help="val frames per sensor")
    p.add_argument("--precisions", nargs="+", default=["f32", "bf16"], choices=["f32", "bf16"])
    p.add_argument("--out", type=Path, default=OUT, help="JSON output")
    args = p.parse_args(argv)

    core = ov.Core()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        weights = local_copy(args.weights, Path(tmp))
        folder = YOLO(weights).export(format="openvino", imgsz=320, dynamic=True, srtod_output="difference")
        ir = core.read_model(str(next(Path(folder).glob("*.xml"))))
        model = YOLO(weights).model.float().eval()
        layer = next(m for m in model.modules() if isinstance(m, SRTOD))
        layer.keep_maps = True
        t = float(layer.threshold.value)
        for sensor, (label, imgsz) in SENSORS.items():
            x = frames("val", args.frames, imgsz, step=1, sensor=sensor)  # the first n, in name order
            with torch.no_grad():
                reference0 = model(torch.from_numpy(x))[0].numpy()
            reference1 = layer.last["difference"].numpy()
            for precision in args.precisions:
                compiled = core.compile_model(ir, "CPU", {"INFERENCE_PRECISION_HINT": precision})
                output0, output1 = compiled(x).values()
                row = {"frames": label, "imgsz": imgsz, "n": len(x), "precision": precision}
                row |= errors(output0, output1, reference0, reference1, t)
                rows.append(row)
                print(
                    f"{label} at {imgsz}, {precision}: score error {row['max_score_error']:.2g}, box error "
                    f"{row['max_box_error_px']:.2g} px, gate flipped {row['gate_flipped']} of "
                    f"{row['gate_kept_by_pytorch']}"
                )
    out = {
        "command": command_line(),
        "machine": machine_info(threads=0) | {"note": "2 cores shared with other engineers' jobs"},
        "cpu_capabilities": list(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")),
        "openvino": ov.__version__,
        "weights": args.weights,
        "threshold": t,
        "rows": rows,
    }
    return write_record(out, args.out)


if __name__ == "__main__":
    main()
