"""Tables of `benchmarks.latency_deploy`: printed, and written into README.md between the deploy-table markers."""

from __future__ import annotations

import math

from benchmarks.common import REPO

README = REPO / "README.md"
START, END = "<!-- deploy-table:start -->", "<!-- deploy-table:end -->"
BACKEND_NAMES = {
    "pt": "PyTorch FP32",
    "ort-fp32": "ONNX Runtime FP32",
    "ort-int8": "ONNX Runtime INT8 (QDQ)",
    "openvino-fp32": "OpenVINO FP32",
    "openvino-int8": "OpenVINO INT8 (NNCF)",
}


def _num(value, fmt: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def format_tables(result: dict) -> str:
    """Markdown: the latency/AP table, then the end-to-end FPS table."""
    m = result["machine"]
    load = ", ".join(f"{x:.1f}" for x in result["load_average_before"])
    # a 1-minute load of a core's worth or more, before the benchmark started: other jobs were running
    busy = "loaded by other jobs" if result["load_average_before"][0] >= 1.0 else "no other job running"
    lines = [
        f"Batch 1, {result['imgsz']}x{result['imgsz']}, {m['cpu']} ({m['threads']} threads), onnxruntime "
        f"{m['onnxruntime']}, openvino {m['openvino']}, nncf {m['nncf']}, ultralytics {m['ultralytics']}; median of "
        f"{result['runs']} interleaved rounds; x stock = median per-round ratio to {result['baseline']}. Shared "
        f"machine, {busy} at the start (load average {load}): read the ratios, not the milliseconds. "
        f"INT8 calibrated on {result['calibration_frames']} training frames. "
        + (
            f"AP: AI-TOD AP x100 on the 231 real val frames at imgsz {result['imgsz']} (the SR-TOD checkpoints were "
            "trained at 320, the stock one at native scale, visible frames at 640). "
            if any(_num(row.get("AP"), ".1f") != "-" for row in result["rows"].values())
            else "AP not measured (--no-ap). "
        )
        + "Made by:",
        "",
        "```bash",
        result["command"],
        "```",
        "",
        "| model | backend | ms | x stock FP32 ORT | AP | INT8 - FP32 AP [95 % interval] |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in result["rows"].values():
        delta = row.get("AP_vs_fp32")
        low, high = delta["interval"] if delta else (0, 0)
        change = f"{delta['difference']:+.1f} [{low:+.1f}, {high:+.1f}]" if delta else ""
        lines.append(
            f"| {row['model']} | {BACKEND_NAMES[row['backend']]} | {_num(row.get('median_ms'), '.0f')} | "
            f"{_num(row.get('ratio'), '.2f')} | {_num(row.get('AP'), '.1f')} | {change} |"
        )
    if any(row.get("AP_vs_fp32") for row in result["rows"].values()):
        lines += [
            "",
            "INT8 - FP32 AP: the INT8 model's AP minus its FP32 self's on the same backend, same weights and frames; "
            f"the interval resamples the 231 frames ({result.get('resamples', 200)} bootstrap resamples, the same for "
            "both), the only chance in this comparison.",
        ]
    fps = result["end_to_end"]["fps"]
    if fps:
        modes = list(next(iter(fps.values())))
        lines += [
            "",
            f"End to end, frames per second of the stock `yolo predict` / `yolo track` on the first "
            f"{result['end_to_end']['frames']} frames of {result['end_to_end']['clip']} (320x256 thermal, decode, "
            "pre-processing, inference, NMS, tracking, with and without `save`), one pass each:",
            "",
            "| model | backend | " + " | ".join(modes) + " |",
            "|---|---|" + "---:|" * len(modes),
        ]
        for key, values in fps.items():
            model, backend = key.split("/")
            cells = " | ".join(_num(values[mode], ".1f") for mode in modes)
            lines.append(f"| {model} | {BACKEND_NAMES[backend]} | {cells} |")
    return "\n".join(lines)


def write_readme_table(result: dict, readme=README) -> None:
    """Replace the text between the deploy-table markers of README.md with the tables of this result."""
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} ... {END} markers to write the deployment table between")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{format_tables(result)}\n{END}{tail}")
