import json

import pytest

from benchmarks.border_ap import main


@pytest.mark.slow
def test_border_margins_are_validated_and_compared_on_the_same_weights(trained, tiny_synth, tmp_path):
    weights = str(trained / "weights" / "last.pt")
    out = tmp_path / "border.json"
    argv = [weights, "--data", f"tiny={tiny_synth / 'data.yaml'}", "--imgsz", "160", "--border", "0", "0", "64"]
    assert main([*argv, "--resamples", "20", "--work", str(tmp_path / "work"), "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())["rows"]
    assert set(row["metrics"]) == {"0", "64"} and row["reference"] == 0
    same = row["differences"]["0"]["AP"]  # the reference again: exactly no difference, on every resample
    assert same["difference"] == 0.0 and same["interval"] == [0.0, 0.0]
    wide = row["differences"]["64"]["AP"]  # a margin that blanks most of a 160-px frame changes the detections
    assert wide["interval"][0] <= wide["difference"] <= wide["interval"][1]


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(SystemExit, match="--data tiny=nope.yaml"):
        main(["w.pt", "--data", "tiny=nope.yaml", "--work", str(tmp_path)])


def test_a_size_bin_without_boxes_reads_n_a_not_nan():
    from benchmarks.border_ap import markdown

    nan = float("nan")
    metrics = {"AP": 0.1, "AP_vt": nan, "AP_t": 0.12, "AP_s": 0.09}
    delta = {"difference": 0.001, "interval": [-0.001, 0.002]}
    row = {
        "weights": "w.pt",
        "data": "thermal",
        "metrics": {"0": metrics, "4": metrics},
        "differences": {"4": {"AP": delta, "AP_vt": {"difference": nan, "interval": [nan, nan]}, "AP_t": delta}},
    }
    text = markdown([row])
    assert "nan" not in text and "| n/a |" in text and "n/a (no box of this size)" in text
    assert "+0.10 [-0.10, +0.20]" in text
