import json
import sys
from types import SimpleNamespace

import pytest
from conftest import REPO

from benchmarks.latency import VARIANTS, parse_args, plan, time_interleaved
from benchmarks.latency_report import END, START, check_readme

README_MARKED = f"# Title\n\nintro\n\n## Models\n\n{START}\nold table\n{END}\n\n## After\n\ntext stays\n"


@pytest.mark.slow
def test_benchmark_command_times_both_backends_writes_json_and_rewrites_a_readme_copy(tmp_path, env):
    import subprocess

    readme = tmp_path / "README.md"
    readme.write_text(README_MARKED)
    out = tmp_path / "latency.json"
    models = ["yolov8n-p2", "srtod-yolov8n-p2-convt"]
    cmd = [sys.executable, "-m", "benchmarks.latency", "--imgsz", "64", "128", "--runs", "3", "--warmup", "1"]
    cmd += ["--models", *models, "--backends", "torch-cpu", "ort-cpu", "--out", str(out), "--readme", str(readme)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    result = json.loads(out.read_text())
    assert result["command"].startswith("python -m benchmarks.latency --imgsz 64 128")
    for key in ("cpu", "logical_cpus", "threads", "torch", "onnxruntime", "ultralytics", "load_average"):
        assert key in result["machine"]
    assert result["settings"]["imgsz"] == [64, 128] and result["settings"]["backends"] == ["torch-cpu", "ort-cpu"]
    assert set(result["models"]) == set(models)
    srtod = result["models"]["srtod-yolov8n-p2-convt"]
    assert srtod["srtod"]["head"] == "convt" and srtod["baseline"] == "yolov8n-p2"
    assert srtod["params"] > result["models"]["yolov8n-p2"]["params"] > 1e6
    assert srtod["gflops_640"] > result["models"]["yolov8n-p2"]["gflops_640"] > 1

    rows = {(r["model"], r["backend"], r["imgsz"]): r for r in result["results"]}
    assert len(rows) == 2 * 2 * 2  # models x backends x sizes
    for (model, _, _), row in rows.items():
        assert row["runs"] == 3 and 0 < row["min_ms"] <= row["q1_ms"] <= row["median_ms"] <= row["q3_ms"]
        assert row["iqr_ms"] == pytest.approx(row["q3_ms"] - row["q1_ms"], abs=2e-3)
        if model == "yolov8n-p2":
            assert "ratio" not in row
        else:
            assert row["baseline"] == "yolov8n-p2" and row["ratio_q1"] <= row["ratio"] <= row["ratio_q3"]
    # The exported graphs compute what PyTorch computes.
    for check in result["checks"]:
        assert check["ort-cpu_vs_torch_cpu_max_abs"] < 1e-2
    skipped = {s["backend"] for s in result["skipped"]}
    assert skipped.isdisjoint(result["settings"]["backends"])

    text = readme.read_text()
    assert text.startswith("# Title\n\nintro\n") and text.endswith(f"{END}\n\n## After\n\ntext stays\n")
    table = text[text.index(START) : text.index(END)]
    assert "old table" not in table
    assert result["command"] in table
    assert "| srtod-yolov8n-p2-convt |" in table and "| yolov8n-p2 |" in table
    ratio = rows[("srtod-yolov8n-p2-convt", "ort-cpu", 128)]["ratio"]
    assert f"{ratio:.2f}x" in table  # the README reports the largest size run here (128)
    assert "Latency at 128x128" in table


def test_round_robin_rotates_who_goes_first():
    calls = []
    functions = {name: (lambda n=name: calls.append(n)) for name in "abc"}
    times = time_interleaved(functions, runs=3, warmup=1)
    assert calls == list("abc") + list("abc") + list("bca") + list("cab")
    assert all(len(t) == 3 and min(t) >= 0 for t in times.values())


def test_default_plan_keeps_models_to_their_sizes_and_named_models_bring_their_baseline():
    default = plan(SimpleNamespace(imgsz=[320, 640, 1280], models=None))
    assert "srtod-yolov8n-p2-convt128" in default[320] and "srtod-yolov8n-p2-convt128" not in default[640]
    assert {"yolo26n-p2", "srtod-yolo26n-p2-convt"} <= set(default[640])
    assert "yolo26n-p2" not in default[320] and "yolo26n-p2" not in default[1280]
    assert all(VARIANTS[n].baseline in names for names in default.values() for n in names if VARIANTS[n].baseline)
    named = plan(SimpleNamespace(imgsz=[64], models=["srtod-yolo26n-p2-shuffle"]))
    assert named == {64: ["yolo26n-p2", "srtod-yolo26n-p2-shuffle"]}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--imgsz", "100"], "multiples of 32"),
        (["--runs", "0"], "--runs must be >= 1"),
        (["--models", "yolov9"], "invalid choice"),
    ],
)
def test_bad_arguments_are_rejected_before_any_timing(argv, message, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err


def test_a_readme_without_markers_is_rejected_up_front(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# no table markers here\n")
    with pytest.raises(SystemExit):
        parse_args(["--readme", str(readme)])
    assert "model-table:start" in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="missing.md"):
        check_readme(tmp_path / "missing.md")


def test_profile_nodes_are_assigned_to_their_part_of_the_network():
    from benchmarks.latency_profile import part_of

    assert part_of("/model.28/reconstruction_head/up2/up2.0/ConvTranspose", 28, 29) == "SR-TOD layer"
    assert part_of("fused /model.28/dgfe/mlp/mlp.0/Gemm", 28, 29) == "SR-TOD layer"
    assert part_of("/model.29/dfl/Softmax", 28, 29) == "Detect head"
    assert part_of("/model.2/m.0/cv1/conv/Conv", 28, 29) == "backbone + neck"
    assert part_of("/model.28/dfl/Softmax", None, 28) == "Detect head"  # a stock model: no SR-TOD layer
    assert part_of("ReorderOutput_token_305", 28, 29) == "layout reorders"


@pytest.mark.slow
def test_profile_command_splits_the_srtod_layer_from_the_detector(tmp_path, env):
    import subprocess

    out = tmp_path / "profile.json"
    cmd = [sys.executable, "-m", "benchmarks.latency_profile", "--imgsz", "64", "--runs", "2", "--out", str(out)]
    cmd += ["--models", "yolov8n-p2", "srtod-yolov8n-p2-convt"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())["models"]
    assert report["yolov8n-p2"]["parts_ms"].get("SR-TOD layer", 0) == 0
    srtod = report["srtod-yolov8n-p2-convt"]
    assert srtod["parts_ms"]["SR-TOD layer"] > 0 and srtod["parts_ms"]["Detect head"] > 0
    ops = {n["op"] for n in srtod["srtod_nodes"]}
    assert "DepthToSpace" in ops and "ConvTranspose" not in ops  # the exact path's sub-pixel rewrite was exported
    assert "| srtod-yolov8n-p2-convt |" in proc.stdout
