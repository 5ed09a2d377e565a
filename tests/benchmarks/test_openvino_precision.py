"""benchmarks.openvino_precision: the record behind docs/openvino.md's precision table."""

import json

import pytest
from conftest import needs_halmstad

pytest.importorskip("openvino", reason="the [openvino] extra is not installed")
pytestmark = [pytest.mark.slow, needs_halmstad]


def test_fp32_inference_matches_pytorch_and_keeps_every_gate_pixel(tmp_path):
    from benchmarks import openvino_precision

    out = tmp_path / "precision.json"
    result = openvino_precision.main(["--frames", "1", "--precisions", "f32", "--out", str(out)])
    assert [(r["frames"], r["precision"]) for r in result["rows"]] == [
        ("thermal 320x256", "f32"),
        ("visible 640x512", "f32"),
    ]
    for row in result["rows"]:
        assert row["gate_kept_by_pytorch"] > 0 and row["gate_flipped"] == 0
        assert row["max_score_error"] < 1e-4 and row["max_box_error_px"] < 0.01
    saved = json.loads(out.read_text())
    assert "FP32" in saved["cpu_capabilities"] and saved["threshold"] > 0
