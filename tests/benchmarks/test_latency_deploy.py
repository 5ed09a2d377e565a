"""The deployment benchmark's report: its tables, and the README block it rewrites."""

import pytest

from benchmarks.latency_deploy_report import END, START, format_tables, write_readme_table

RESULT = {
    "command": "python -m benchmarks.latency_deploy --readme",
    "imgsz": 640,
    "runs": 25,
    "calibration_frames": 48,
    "baseline": "yolov8n-p2/ort-fp32",
    "machine": {"cpu": "CPU", "threads": 2, "onnxruntime": "1", "openvino": "2", "nncf": "3", "ultralytics": "8"},
    "load_average_before": [6.0, 5.0, 4.0],
    "rows": {
        "yolov8n-p2/ort-fp32": {"model": "yolov8n-p2", "backend": "ort-fp32", "median_ms": 88.0, "ratio": 1.0},
        "srtod/openvino-int8": {"model": "srtod", "backend": "openvino-int8", "median_ms": 47.2, "ratio": 0.534},
        "srtod/pt": {"model": "srtod", "backend": "pt", "AP": 7.31},
    },
    "end_to_end": {
        "clip": "c.mp4",
        "frames": 30,
        "fps": {"srtod/openvino-int8": {"predict": 9.5, "track": float("nan")}},
    },
}


def test_tables_carry_every_row_ratio_ap_and_fps():
    text = format_tables(RESULT)
    assert "| srtod | OpenVINO INT8 (NNCF) | 47 | 0.53 | - |" in text
    assert "| srtod | PyTorch FP32 | - | - | 7.3 |" in text  # AP only: a row that was not timed
    assert "| srtod | OpenVINO INT8 (NNCF) | 9.5 | - |" in text  # a failed end-to-end run shows as '-'
    assert "load average 6.0, 5.0, 4.0" in text and RESULT["command"] in text


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{START}\nold table\n{END}\nafter\n")
    write_readme_table(RESULT, readme)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith(f"{END}\nafter\n")
    assert "old table" not in text and "OpenVINO INT8 (NNCF)" in text


def test_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="deploy-table"):
        write_readme_table(RESULT, readme)
