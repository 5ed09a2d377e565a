"""Which SR-TOD operations must stay in floating point under INT8? Measure the gate against FP32 on real frames.

A released SR-TOD checkpoint is exported in FP32 with its difference map as a second output, then quantized to
INT8 several ways, each calibrated on the same real training frames:

- `ultralytics`: what ultralytics' recipe alone keeps in floating point (OpenVINO: every sigmoid and the Detect
  head's decode; ONNX Runtime: every node that is not a Conv, Gemm or MatMul);
- `gate`: that plus the SR-TOD gate (`srtod_yolo.export.gate_ops`: the reconstruction head's output convolution,
  sigmoid, difference map, threshold and DGFE's gate multiply), what `yolo export quantize=8` does;
- `layer` (OpenVINO): the whole SR-TOD layer (reconstruction head and DGFE) in floating point.

On the real validation frames it reports, against the FP32 model: the share of the FP32 gate's kept pixels that
flip (`flip_%`, pixels where [D > t] differs, over the pixels FP32 keeps), the largest difference-map error, and
the largest class-score error. Writes benchmarks/results/int8_gate.json.

    python -m benchmarks.int8_gate                 # srtod-yolov8n-p2-halmstad.pt at 640, 40 calibration frames
    python -m benchmarks.int8_gate --imgsz 320 --frames 16
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import REPO, command_line, machine_info

OUT = REPO / "benchmarks" / "results" / "int8_gate.json"
DATA = REPO.parent / "shared" / "data" / "real-halmstad-drone"


def frames(split: str, n: int, imgsz: int, step: int = 7, sensor: str | None = None) -> np.ndarray:
    """n frames of a split (every `step`-th, sorted by name; of one sensor, 'IR' or 'V', if given, by the split's
    manifest.csv), letterboxed to imgsz, RGB, (n, 3, imgsz, imgsz)."""
    from ultralytics.data.augment import LetterBox

    files = sorted((DATA / split / "images").glob("*.png"))
    if sensor is not None:
        with open(DATA / split / "manifest.csv", newline="") as f:
            kept = {row["image"] for row in csv.DictReader(f) if row["sensor"] == sensor}
        files = [f for f in files if f.stem in kept]
    files = files[::step][:n]
    if not files:
        raise FileNotFoundError(f"no frames under {DATA / split / 'images'}")
    boxed = [LetterBox((imgsz, imgsz), auto=False)(image=cv2.imread(str(f))) for f in files]
    return np.stack(boxed)[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 255


def local_copy(weights: str, folder: Path) -> str:
    """A copy of a checkpoint in folder, so that exports land there and not beside the released weights."""
    from srtod_yolo.weights import resolve_weights

    folder.mkdir(parents=True, exist_ok=True)
    source = Path(resolve_weights(weights) or weights)
    return str(shutil.copy(source, folder / source.name))


def compare(outputs: list[tuple[np.ndarray, np.ndarray]], reference, t: float) -> dict:
    flips = kept = 0
    d_err = s_err = 0.0
    for (o0, o1), (r0, r1) in zip(outputs, reference):
        flips += int(((o1 > t) != (r1 > t)).sum())
        kept += int((r1 > t).sum())
        d_err = max(d_err, float(np.abs(o1 - r1).max()))
        s_err = max(s_err, float(np.abs(o0[:, 4:] - r0[:, 4:]).max()))
    return {"flip_%": 100 * flips / max(kept, 1), "max_difference_error": d_err, "max_score_error": s_err}


def openvino_rows(weights: str, imgsz: int, calib: np.ndarray, val: np.ndarray, work: Path) -> dict:
    import nncf
    import openvino as ov
    from ultralytics import YOLO

    from srtod_yolo.export.gate_ops import openvino_gate_ops
    from srtod_yolo.yolo.export_int8 import openvino_ignored_names

    folder = YOLO(local_copy(weights, work)).export(format="openvino", imgsz=imgsz, srtod_output="difference")
    core = ov.Core()
    fp32 = core.read_model(str(next(Path(folder).glob("*.xml"))))
    scope = next(op.get_friendly_name() for op in fp32.get_ordered_ops() if ".threshold/" in op.get_friendly_name())
    scopes = [scope.removeprefix("__module.").split(".threshold/")[0]]
    gate = openvino_gate_ops(fp32, scopes)
    everything = openvino_ignored_names(fp32, scopes, True)
    layer = [
        op.get_friendly_name() for op in fp32.get_ordered_ops() if f"__module.{scopes[0]}" in op.get_friendly_name()
    ]
    ignored = {
        "ultralytics": [n for n in everything if n not in gate],
        "gate": everything,
        "layer": list(dict.fromkeys(everything + layer)),
    }
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}

    def run(model):
        compiled = core.compile_model(model, "CPU", config)
        return [tuple(compiled(x[None]).values()) for x in val]

    reference = run(fp32)
    rows = {}
    for name, names in ignored.items():
        int8 = nncf.quantize(
            core.read_model(str(next(Path(folder).glob("*.xml")))),
            nncf.Dataset(list(calib[:, None])),
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(calib),
            ignored_scope=nncf.IgnoredScope(names=names, validate=False),
        )
        rows[f"openvino-int8-{name}"] = {"fp_ops": len(names), **compare(run(int8), reference, THRESHOLD[0])}
    return rows


def onnxruntime_rows(weights: str, imgsz: int, calib: np.ndarray, val: np.ndarray, work: Path) -> dict:
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, quantize_static
    from ultralytics import YOLO

    from srtod_yolo.export.gate_ops import onnx_gate_nodes, onnx_srtod_scopes, read_float_inputs

    f = YOLO(local_copy(weights, work)).export(format="onnx", imgsz=imgsz, srtod_output="difference", simplify=True)
    graph = onnx.load(f).graph
    stock = [n.name for n in graph.node if n.op_type not in {"Conv", "Gemm", "MatMul"}]
    gate = onnx_gate_nodes(graph, onnx_srtod_scopes(graph))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(calib)

        def get_next(self):
            x = next(self.items, None)
            return None if x is None else {"images": x[None]}

    def run(path):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return [tuple(session.run(None, {"images": x[None]})) for x in val]

    reference = run(f)
    rows = {}
    for name, exclude in {"ultralytics": stock, "gate": list(dict.fromkeys(stock + gate))}.items():
        out = work / f"int8-{name}.onnx"
        quantize_static(f, str(out), Reader(), nodes_to_exclude=exclude)
        if name == "gate":  # as `yolo export quantize=8` does: the gate reads the float image
            quantized = onnx.load(str(out))
            read_float_inputs(quantized, gate)
            onnx.save(quantized, str(out))
        rows[f"ort-int8-{name}"] = {"fp_ops": len(exclude), **compare(run(out), reference, THRESHOLD[0])}
    return rows


THRESHOLD = [40 / 255]  # replaced by the checkpoint's learnt threshold in main()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="srtod-yolov8n-p2-halmstad.pt")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--calibration", type=int, default=40, help="training frames to calibrate on")
    parser.add_argument("--frames", type=int, default=24, help="validation frames to compare on")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from ultralytics import YOLO

    from srtod_yolo.nn import SRTOD

    layer = next(m for m in YOLO(args.weights).model.modules() if isinstance(m, SRTOD))
    THRESHOLD[0] = float(layer.threshold.value)
    calib, val = frames("train", args.calibration, args.imgsz), frames("val", args.frames, args.imgsz)
    with tempfile.TemporaryDirectory() as tmp:
        rows = {
            **openvino_rows(args.weights, args.imgsz, calib, val, Path(tmp) / "ov"),
            **onnxruntime_rows(args.weights, args.imgsz, calib, val, Path(tmp) / "ort"),
        }
    print(f"{'INT8 recipe':<28}{'FP ops':>8}{'flip %':>9}{'max dD':>10}{'max dscore':>12}")
    for name, row in rows.items():
        print(
            f"{name:<28}{row['fp_ops']:>8}{row['flip_%']:>9.2f}{row['max_difference_error']:>10.4f}"
            f"{row['max_score_error']:>12.4f}"
        )
    result = {
        "command": command_line(),
        "weights": args.weights,
        "imgsz": args.imgsz,
        "threshold": THRESHOLD[0],
        "calibration_frames": len(calib),
        "val_frames": len(val),
        "machine": machine_info(threads=0),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
