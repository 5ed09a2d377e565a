import csv
import hashlib
import json

import numpy as np
import pytest
from conftest import run

from srtod_yolo.data.synth import build_dataset, render_image, render_video
from srtod_yolo.sizes import size_stats


def _digest(root) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".jpg", ".txt", ".csv", ".json"}):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_whatever_the_worker_count(tmp_path):
    a = build_dataset(tmp_path / "a", train=20, val=6, seed=7, width=128, height=96, workers=0, video_frames=5)
    build_dataset(tmp_path / "b", train=20, val=6, seed=7, width=128, height=96, workers=2, video_frames=5)
    build_dataset(tmp_path / "c", train=20, val=6, seed=8, width=128, height=96, workers=0, video_frames=5)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert json.loads((tmp_path / "a" / "stats.json").read_text())["train"]["boxes"] == a["train"]["boxes"] > 0
    assert (tmp_path / "a" / "size_histogram.png").stat().st_size > 1000


def test_yolo_labels_are_valid_and_match_the_images(tmp_path):
    build_dataset(tmp_path, train=10, val=2, seed=1, width=160, height=128, workers=0, video_frames=0)
    for label in (tmp_path / "labels" / "train").glob("*.txt"):
        assert (tmp_path / "images" / "train" / f"{label.stem}.jpg").is_file()
        for line in label.read_text().splitlines():
            c, *xywh = line.split()
            assert c == "0" and all(0 <= float(v) <= 1 for v in xywh) and float(xywh[2]) > 0


def test_size_profile_follows_droneswarms():
    wh = []
    for i in range(150):
        _, boxes, _, _ = render_image(np.random.default_rng([11, 0, i]), 640, 512)
        wh += [(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes]
    s = size_stats(np.array(wh))
    assert s["boxes"] > 1000
    assert 7.0 <= s["mean_size"] <= 9.0  # DroneSwarms: mean object size about 7.9 px
    assert s["fraction_under_16"] >= 0.85  # most under 16 px
    assert s["fraction_under_8"] >= 0.45  # many under 8 px
    assert s["bins"]["very_tiny"] > s["bins"]["small"] > s["bins"]["medium"]


def test_scenes_cover_every_kind():
    kinds = {render_image(np.random.default_rng([2, 0, i]), 96, 96)[2] for i in range(60)}
    assert kinds == {"day", "overcast", "dusk", "thermal"}


def test_video_has_moving_tracks_with_per_frame_labels(tmp_path):
    import cv2

    path = render_video(tmp_path / "clip.mp4", seed=4, frames=12, width=160, height=128)
    cap = cv2.VideoCapture(str(path))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 12
    cap.release()
    with open(tmp_path / "clip_labels.csv") as f:
        rows = list(csv.DictReader(f))
    assert {int(r["frame"]) for r in rows} == set(range(12))
    track = [r for r in rows if r["id"] == rows[0]["id"]]
    assert len(track) >= 10 and track[0]["x"] != track[-1]["x"] or track[0]["y"] != track[-1]["y"]


def test_bad_sizes_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="at least 32x32"):
        build_dataset(tmp_path, train=1, val=1, width=16, height=16)


@pytest.mark.slow
def test_yolo_train_on_the_builtin_set_builds_it_on_a_clean_machine(tmp_path, env):
    env = {**env, "YOLO_CONFIG_DIR": str(tmp_path / "config")}  # fresh ultralytics settings, no data anywhere
    run(["yolo", "settings", f"datasets_dir={tmp_path / 'datasets'}"], cwd=tmp_path, env=env)
    out = run(
        [
            "yolo",
            "train",
            "model=srtod-yolov8n-p2.yaml",
            "data=droneswarms-synth.yaml",
            "epochs=1",
            "imgsz=128",
            "batch=16",
            "fraction=0.02",
            "workers=0",
            "plots=False",
            f"project={tmp_path / 'runs'}",
            "name=t",
            "val=False",
        ],
        cwd=tmp_path,
        env=env,
        timeout=900,
    )
    root = tmp_path / "datasets" / "droneswarms-synth"
    assert len(list((root / "images" / "train").glob("*.jpg"))) == 1000
    assert len(list((root / "images" / "val").glob("*.jpg"))) == 200
    assert json.loads((root / "stats.json").read_text())["images"] == {"train": 1000, "val": 200}
    assert (tmp_path / "runs" / "t" / "weights" / "last.pt").is_file(), out.stdout[-2000:]
