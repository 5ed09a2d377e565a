"""`yolo track save_tracks=True`: per-track CSV/JSON summaries and the MOTChallenge file, per source."""

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SHARED_DATA, needs_halmstad, run
from test_track_video import WEIGHTS, cut_clip
from ultralytics import YOLO

from srtod_yolo.yolo.tracks import SUMMARY_FIELDS, TrackLog


def test_track_log_summary_and_mot_rows_of_a_hand_made_track(tmp_path):
    log = TrackLog("cam.mp4", fps=10.0, names={0: "drone", 1: "bird"})
    # Track 7: centres (2, 2) -> (5, 6) -> (8, 10), 5 px each step; seen in frames 1, 2 and 4, as bird twice.
    log.add(1, np.array([[1.0, 1, 3, 3, 7, 0.9, 0], [50, 50, 54, 52, 9, 0.4, 0]]))
    log.add(2, np.array([[4.0, 5, 6, 7, 7, 0.6, 1]]))
    log.add(3, np.zeros((0, 7)))
    log.add(4, np.array([[7.0, 9, 9, 11, 7, 0.3, 1]]))
    tracks = {t["id"]: t for t in log.summary()}
    assert tracks[7] == {
        "id": 7,
        "class_id": 1,
        "class_name": "bird",
        "first_frame": 1,
        "last_frame": 4,
        "first_time_s": 0.0,
        "last_time_s": 0.3,
        "frames_seen": 3,
        "mean_conf": 0.6,
        "path_length_px": 10.0,
    }
    assert tracks[9]["frames_seen"] == 1 and tracks[9]["path_length_px"] == 0
    paths = log.write(tmp_path, "cam")
    assert paths["mot"].read_text().splitlines() == [
        "1,7,1.00,1.00,2.00,2.00,0.9000,-1,-1,-1",
        "1,9,50.00,50.00,4.00,2.00,0.4000,-1,-1,-1",
        "2,7,4.00,5.00,2.00,2.00,0.6000,-1,-1,-1",
        "4,7,7.00,9.00,2.00,2.00,0.3000,-1,-1,-1",
    ]
    report = json.loads(paths["json"].read_text())
    assert report["frames"] == 4 and report["fps"] == 10.0 and report["source"] == "cam.mp4"


def test_track_log_refuses_frame_zero_and_untracked_boxes():
    log = TrackLog("cam.mp4", 30.0, {0: "drone"})
    with pytest.raises(ValueError, match="start at 1"):
        log.add(0, np.zeros((0, 7)))
    with pytest.raises(ValueError, match=r"\(N, 7\)"):
        log.add(1, np.ones((2, 6)))  # detections without track ids


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two (x1, y1, x2, y2) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


STRIDE = 2  # 12 frames of the first 24 are tracked: the source's frames 2, 4, ... 24


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> tuple[list, Path]:
    """`yolo track save_tracks=True vid_stride=2` on the first 24 frames of a real thermal drone clip."""
    folder = tmp_path_factory.mktemp("tracked")
    clip = cut_clip(SHARED_DATA / "videos" / "IR_DRONE_025.mp4", folder / "ir.avi", 24)
    model = YOLO(WEIGHTS)
    args = dict(imgsz=320, conf=0.1, tracker="bytetrack.yaml", project=str(folder), name="track", verbose=False)
    results = list(model.track(str(clip), vid_stride=STRIDE, save_tracks=True, stream=True, **args))
    return results, folder / "track"


def ground_truth() -> dict[int, np.ndarray]:
    """The labelled drone box (x1, y1, x2, y2) of IR_DRONE_025 by 1-based frame (the CSV counts from 0)."""
    truth = np.genfromtxt(SHARED_DATA / "videos" / "IR_DRONE_025_LABELS.csv", delimiter=",", skip_header=1)
    return {int(f) + 1: np.array([x, y, x + w, y + h]) for f, _, x, y, w, h in truth}


@needs_halmstad
def test_save_tracks_on_a_real_drone_clip_matches_the_per_frame_results(tracked):
    results, folder = tracked
    stride = STRIDE
    assert len(results) == 12
    mot = np.loadtxt(folder / "ir_mot.txt", delimiter=",", ndmin=2)
    with open(folder / "ir_tracks.csv") as f:
        rows = list(csv.DictReader(f))
    report = json.loads((folder / "ir_tracks.json").read_text())

    # The MOT file holds exactly the tracked boxes of the results, at the source's frame numbers.
    want = [
        [stride * k, i, x1, y1, x2 - x1, y2 - y1, conf]
        for k, r in enumerate(results, 1)
        if r.boxes.is_track
        for (x1, y1, x2, y2), i, conf in zip(r.boxes.xyxy.tolist(), r.boxes.id.tolist(), r.boxes.conf.tolist())
    ]
    want = np.array(sorted(want, key=lambda row: (row[0], row[1])))
    assert len(want) >= 8, "the drone should be tracked in most frames"
    np.testing.assert_allclose(mot[:, :7], want, atol=0.006)
    assert (mot[:, 7:] == -1).all()

    # One summary row per id, agreeing with the MOT rows; CSV and JSON say the same.
    assert report["frames"] == 12 and report["fps"] == pytest.approx(30.0)
    assert list(rows[0]) == list(SUMMARY_FIELDS)
    assert [int(r["id"]) for r in rows] == [t["id"] for t in report["tracks"]] == sorted(set(mot[:, 1].astype(int)))
    for row, track in zip(rows, report["tracks"]):
        assert {k: str(v) for k, v in track.items()} == row
        mine = mot[mot[:, 1] == track["id"]]
        assert track["frames_seen"] == len(mine)
        assert (track["first_frame"], track["last_frame"]) == (mine[0, 0], mine[-1, 0])
        assert track["first_time_s"] == pytest.approx((mine[0, 0] - 1) / 30, abs=1e-3)
        assert track["last_time_s"] == pytest.approx((mine[-1, 0] - 1) / 30, abs=1e-3)
        assert track["mean_conf"] == pytest.approx(mine[:, 6].mean(), abs=1e-3)
        centres = mine[:, 2:4] + mine[:, 4:6] / 2
        assert track["path_length_px"] == pytest.approx(np.linalg.norm(np.diff(centres, axis=0), axis=1).sum(), abs=0.1)

    # The longest track is the labelled drone: its boxes cover the ground truth (CSV frames count from 0).
    drone = max(report["tracks"], key=lambda t: t["frames_seen"])
    assert drone["class_name"] == "drone"
    truth = ground_truth()
    mine = mot[mot[:, 1] == drone["id"]]
    overlaps = [iou(truth[int(f)], np.array([x, y, x + w, y + h])) for f, _, x, y, w, h, *_ in mine]
    assert np.mean(np.array(overlaps) > 0.3) >= 0.8


@needs_halmstad
def test_trackeval_reads_the_mot_file(tracked, tmp_path):
    trackeval = pytest.importorskip("trackeval")
    _, folder = tracked
    sequence, frames = "ir", 24
    gt = tmp_path / "gt" / "MOT17-train" / sequence
    (gt / "gt").mkdir(parents=True)
    # Ground truth of the frames that were tracked (vid_stride=2), in MOTChallenge gt.txt rows.
    rows = [f"{f},1,{x1},{y1},{x2 - x1},{y2 - y1},1,1,1" for f, (x1, y1, x2, y2) in ground_truth().items()]
    (gt / "gt" / "gt.txt").write_text("\n".join(rows[STRIDE - 1 : frames : STRIDE]) + "\n")
    data = tmp_path / "trackers" / "MOT17-train" / "srtod" / "data"
    data.mkdir(parents=True)
    shutil.copy(folder / "ir_mot.txt", data / f"{sequence}.txt")

    quiet = dict(PRINT_CONFIG=False, PRINT_RESULTS=False, OUTPUT_SUMMARY=False, OUTPUT_DETAILED=False)
    evaluator = trackeval.Evaluator({**trackeval.Evaluator.get_default_eval_config(), **quiet, "PLOT_CURVES": False})
    dataset = trackeval.datasets.MotChallenge2DBox(
        {
            **trackeval.datasets.MotChallenge2DBox.get_default_dataset_config(),
            "GT_FOLDER": str(tmp_path / "gt"),
            "TRACKERS_FOLDER": str(tmp_path / "trackers"),
            "SEQ_INFO": {sequence: frames},
            "DO_PREPROC": False,
            "PRINT_CONFIG": False,
        }
    )
    metrics = [trackeval.metrics.HOTA(), trackeval.metrics.Identity({"PRINT_CONFIG": False})]  # + Count, always
    scores = evaluator.evaluate([dataset], metrics)[0]["MotChallenge2DBox"]["srtod"][sequence]["pedestrian"]
    mot = np.loadtxt(folder / "ir_mot.txt", delimiter=",", ndmin=2)
    assert scores["Count"]["Dets"] == len(mot) and scores["Count"]["GT_Dets"] == frames // STRIDE
    assert scores["Identity"]["IDF1"] > 0.5 and scores["HOTA"]["HOTA"].mean() > 0.3


def test_save_tracks_is_refused_where_there_are_no_tracks(tmp_path):
    model = YOLO("srtod-yolov8n-p2.yaml")
    frame = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="save_tracks=True writes the tracks of `yolo track`.*mode=predict"):
        model.predict(frame, save_tracks=True, imgsz=64, verbose=False)
    cv2.imwrite(str(tmp_path / "a.png"), frame)
    with pytest.raises(ValueError, match=r"needs a video file or a stream.*a\.png"):
        model.track(str(tmp_path / "a.png"), save_tracks=True, imgsz=64, verbose=False)


@pytest.mark.slow
@needs_halmstad
def test_yolo_track_save_tracks_from_the_command_line(tmp_path, env):
    clip = cut_clip(SHARED_DATA / "videos" / "IR_DRONE_025.mp4", tmp_path / "IR_DRONE_025.avi", 6)
    common = [
        f"model={WEIGHTS}",
        f"source={clip}",
        "imgsz=320",
        "tracker=bytetrack.yaml",
        "save_tracks=True",
        f"project={tmp_path}",
    ]
    out = run(["yolo", "track", *common, "save=True", "name=track"], cwd=tmp_path, env=env)
    assert "save_tracks:" in out.stdout + out.stderr
    names = sorted(p.name for p in (tmp_path / "track").iterdir())
    assert names == [f"IR_DRONE_025{s}" for s in (".avi", "_mot.txt", "_tracks.csv", "_tracks.json")]
    refused = run(["yolo", "predict", *common, "name=predict"], cwd=tmp_path, env=env, check=False)
    assert refused.returncode != 0 and "mode=predict" in refused.stdout + refused.stderr


def test_track_summary_of_a_synthetic_swarm_clip_lists_its_drones(tmp_path):
    """Ground-truth detections of a rendered swarm clip through srtod-bytetrack: the summary has a track per drone."""
    from ultralytics.engine.results import Boxes
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    from srtod_yolo.data.synth import render_swarm_clip
    from srtod_yolo.yolo.tracker import SRTODByteTracker

    clip = render_swarm_clip(tmp_path / "clip", seed=5, frames=60, width=320, height=256, drones=(4, 6), birds=(1, 2))
    gt = np.loadtxt(clip.gt, delimiter=",", ndmin=2)  # frame, id, x, y, w, h, ...
    tracker = SRTODByteTracker(IterableSimpleNamespace(**YAML.load(check_yaml("srtod-bytetrack.yaml"))))
    log = TrackLog(clip.video.name, fps=30.0, names={0: "drone"})
    frame = np.zeros((256, 320, 3), np.uint8)
    owner: dict[int, dict[int, int]] = {}  # track id -> gt id -> frames it sat on that drone
    for f in range(1, clip.frames + 1):
        rows = gt[gt[:, 0] == f]
        xyxy = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]]
        tracks = tracker.update(Boxes(np.c_[xyxy, np.full(len(rows), 0.9), np.zeros(len(rows))], (256, 320)), frame)
        log.add(f, tracks[:, :7])
        for t in tracks:
            hit = int(np.argmin(np.abs(xyxy - t[:4]).sum(1)))
            if np.abs(xyxy[hit] - t[:4]).max() < 2:
                owner.setdefault(int(t[4]), {}).setdefault(int(rows[hit, 1]), 0)
                owner[int(t[4])][int(rows[hit, 1])] += 1
    paths = log.write(tmp_path / "out", "swarm")
    with open(paths["csv"]) as f:
        summary = {int(r["id"]): r for r in csv.DictReader(f)}
    assert set(summary) == set(owner)  # every listed track sat on a drone
    assert len(summary) <= 2 * len(np.unique(gt[:, 1]))
    for drone in np.unique(gt[:, 1]).astype(int):
        seen = int((gt[:, 1] == drone).sum())
        if seen < 10:
            continue  # a drone crossing a corner for a few frames may not start a track
        best = max((counts.get(drone, 0), tid) for tid, counts in owner.items())
        # a drone that blinks out or crosses another may be split over two tracks: the longer one holds most of it
        assert best[0] >= 0.5 * seen, f"drone {drone} ({seen} frames) is covered {best[0]} frames by track {best[1]}"
        assert int(summary[best[1]]["frames_seen"]) >= best[0]
        assert summary[best[1]]["class_name"] == "drone"
