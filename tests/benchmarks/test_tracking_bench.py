import json

import numpy as np
import pytest
from conftest import logged, needs_halmstad

from benchmarks import tracking
from srtod_yolo.metrics.tracking import link_identities


def test_unidentified_boxes_get_one_identity_per_class_and_a_new_one_for_a_second_object():
    rows = [(0, "DRONE", 10, 10, 8, 8), (1, "DRONE", 12, 10, 8, 8), (1, "BIRD", 100, 50, 8, 8)]
    rows += [(2, "DRONE", 200, 200, 8, 8), (2, "DRONE", 14, 10, 8, 8)]  # a second drone appears far away
    gt = link_identities(rows)
    drone = gt[(gt[:, 2] < 50)]
    assert len(set(drone[:, 1])) == 1 and len(drone) == 3  # the first drone keeps its identity
    ids = {tuple(r[[0, 2]]): r[1] for r in gt}
    assert len({ids[(1, 100)], ids[(2, 200)], drone[0, 1]}) == 3  # bird and second drone: identities of their own


def test_benchmark_runs_every_tracker_on_a_short_synthetic_clip(tmp_path):
    out = tmp_path / "tracking.json"
    result = tracking.main(
        [
            "--no-real",
            "--sources",
            "noisy-gt",
            "--synthetic-seeds",
            "5",
            "--synthetic-frames",
            "30",
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(out),
        ]
    )
    table = {r["tracker"]: r for r in result["table"]}
    assert set(table) == set(tracking.TRACKERS)
    for row in table.values():
        assert 0 <= row["HOTA"] <= 1 and 0 <= row["IDF1"] <= 1 and row["frames"] == 30 and row["fps"] > 0
    saved = json.loads(out.read_text())
    assert saved["synthetic_seeds"] == [5] and len(saved["per_clip"]) == 3
    assert np.isfinite([r["MOTA"] for r in saved["table"]]).all()


@needs_halmstad
def test_real_clips_are_detected_at_their_native_size_by_default(tmp_path):
    """Thermal clips (320x256) at imgsz 320, visible ones (640x512) at 640: the released weights' validation sizes."""
    result = {}
    args = ["--real", "IR_DRONE_025", "V_DRONE_011", "--frames", "2", "--synthetic-seeds", "--sources", "baseline"]
    args += ["--trackers", "bytetrack", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "t.json")]
    text = logged(lambda: result.update(tracking.main(args)))
    assert "enlarged" not in text and "shrinks" not in text  # neither the clips nor the warm-up frame are rescaled
    sizes = {r["clip"]: r["imgsz"] for r in result["per_clip"]}
    assert sizes == {"IR_DRONE_025": 320, "V_DRONE_011": 640}
    cached = sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "cache" / "detections").iterdir())
    assert cached == ["IR_DRONE_025-f2-baseline-320", "V_DRONE_011-f2-baseline-640"]
    fixed = tracking.main(
        ["--real", "V_DRONE_011", "--frames", "2", "--synthetic-seeds", "--sources", "baseline", "--imgsz", "320"]
        + ["--trackers", "bytetrack", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "t.json")]
    )
    assert [r["imgsz"] for r in fixed["per_clip"]] == [320]


def test_a_bad_inference_size_names_the_argument(capsys):
    with pytest.raises(SystemExit):
        tracking.main(["--imgsz", "big"])
    assert "--imgsz" in capsys.readouterr().err


@needs_halmstad
def test_cached_detections_belong_to_the_weights_that_made_them(tmp_path, monkeypatch):
    """Other weights under a source's name (a new release) are detected afresh, not read from the old cache."""
    from benchmarks import tracking_data
    from srtod_yolo.weights import released_weights

    (clip,) = tracking_data.real_clips(["IR_DRONE_025"], 2)
    first, _ = tracking_data.model_detections(clip, "baseline", 320, cache=tmp_path)
    monkeypatch.setitem(tracking_data.MODELS, "baseline", str(released_weights()["yolov8n-p2-swarm.pt"]))
    other, _ = tracking_data.model_detections(clip, "baseline", 320, cache=tmp_path)
    assert len(list((tmp_path / "detections").iterdir())) == 2
    assert first.shape != other.shape or not np.array_equal(first, other)


def test_native_size_of_a_video_that_cannot_be_opened_names_it(tmp_path):
    from srtod_yolo.data.images import native_imgsz

    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"no frames here")
    with pytest.raises(OSError, match="not-a-video.mp4"):
        native_imgsz(bad)


def test_the_tuning_sweep_varies_one_setting_at_a_time_around_the_shipped_defaults(tmp_path):
    from benchmarks import tracking_sweep

    out = tmp_path / "sweep.json"
    args = ["--seeds", "5", "--frames", "30", "--cache", str(tmp_path / "cache"), "--out", str(out)]
    result = tracking_sweep.main([*args, "--settings", "match_thresh", "duplicate_iou"])
    shipped = result["defaults"]
    rows = [(r["setting"], r["value"]) for r in result["rows"]]
    assert rows[0] == (None, None)  # all defaults first; each other row changes one setting away from its default
    expected = [(k, v) for k in ("match_thresh", "duplicate_iou") for v in tracking_sweep.GRID[k] if v != shipped[k]]
    assert rows[1:] == expected
    assert all(0 <= r["HOTA"] <= 1 for r in result["rows"]) and json.loads(out.read_text())["frames"] == 30
    assert "| all defaults |" in result["markdown"]
