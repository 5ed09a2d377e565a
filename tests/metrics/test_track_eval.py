"""`srtod track-eval`: a tracker's MOTChallenge file scored against MOTChallenge or Halmstad ground truth."""

import json

import numpy as np
import pytest
from conftest import REPO, SHARED_DATA, needs_halmstad, run

from srtod_yolo.cli import main
from srtod_yolo.metrics.tracking import read_ground_truth, score_tracks, write_mot


def two_drones(frames: int = 10) -> np.ndarray:
    """Rows frame, id, x, y, w, h (1-based frames): two 6-px drones flying apart."""
    return np.array(
        [(f, i, 20 + 4 * f * (1 if i == 1 else -1) + 60 * i, 30, 6, 6) for f in range(1, frames + 1) for i in (1, 2)],
        float,
    )


def write_gt(path, rows, consider=None):
    consider = np.ones(len(rows)) if consider is None else consider
    path.write_text(
        "".join(f"{int(r[0])},{int(r[1])},{r[2]},{r[3]},{r[4]},{r[5]},{int(c)},1,1\n" for r, c in zip(rows, consider))
    )
    return path


def test_perfect_tracks_score_one_and_an_identity_swap_is_counted(tmp_path):
    gt = write_gt(tmp_path / "gt.txt", two_drones())
    perfect = score_tracks(write_mot(tmp_path / "perfect_mot.txt", two_drones()), gt)
    assert perfect["HOTA"] == pytest.approx(1) and perfect["IDF1"] == 1 and perfect["IDSW"] == 0
    assert perfect["state_accuracy"] == 1 and perfect["frames"] == 10
    swapped = two_drones()
    swapped[(swapped[:, 0] > 5), 1] = 3 - swapped[(swapped[:, 0] > 5), 1]  # ids swap from frame 6
    scored = score_tracks(write_mot(tmp_path / "swapped_mot.txt", swapped), gt)
    assert scored["IDSW"] == 2 and scored["IDF1"] < 1 and scored["HOTA"] < perfect["HOTA"]
    assert scored["MOTA"] == pytest.approx(1 - 2 / 20)  # no miss, no false positive, two switches in 20 boxes


def test_rows_not_to_consider_are_left_out(tmp_path):
    rows = two_drones()
    consider = (rows[:, 1] == 1).astype(int)  # drone 2 flagged 0: not a target
    gt = read_ground_truth(write_gt(tmp_path / "gt.txt", rows, consider))
    assert set(gt[:, 1]) == {1} and len(gt) == 10


def test_halmstad_labels_are_zero_based_and_line_up_with_yolo_tracks(tmp_path):
    rows = two_drones()
    labels = tmp_path / "IR_DRONE_001_LABELS.csv"
    labels.write_text(
        "frame,label,x,y,width,height\n"
        + "".join(f"{int(r[0]) - 1},{'DRONE' if r[1] == 1 else 'BIRD'},{r[2]},{r[3]},{r[4]},{r[5]}\n" for r in rows)
    )
    gt = read_ground_truth(labels)
    assert gt[:, 0].min() == 1 and len(set(gt[:, 1])) == 2  # 1-based, one identity per class
    scored = score_tracks(write_mot(tmp_path / "clip_mot.txt", rows), labels)
    assert scored["HOTA"] == pytest.approx(1)  # off by one frame, the moving boxes would not overlap fully
    part = score_tracks(write_mot(tmp_path / "part_mot.txt", rows[rows[:, 0] <= 4]), labels, frames=4)
    assert part["HOTA"] == pytest.approx(1) and part["frames"] == 4  # ground truth cut to the frames tracked
    whole = score_tracks(write_mot(tmp_path / "whole_mot.txt", rows), labels, frames=4)
    assert whole == part  # and tracks past them left out


def test_tracks_made_with_vid_stride_are_scored_on_the_frames_the_tracker_saw(tmp_path, capsys):
    truth = two_drones(20)
    gt = write_gt(tmp_path / "gt.txt", truth)
    strided = write_mot(tmp_path / "clip_mot.txt", truth[truth[:, 0] % 2 == 0])  # frames 2, 4, ..., 20
    every_frame = score_tracks(strided, gt)  # the odd frames count as missed
    assert every_frame["CLR_FN"] == 20 and every_frame["HOTA"] < 0.8 and every_frame["stride_hint"] == 2
    r = score_tracks(strided, gt, vid_stride=2)
    assert r["HOTA"] == pytest.approx(1) and r["CLR_FN"] == 0 and r["frames_scored"] == 10 and "stride_hint" not in r
    assert score_tracks(strided, gt, frames=10, vid_stride=2)["frames_scored"] == 5
    with pytest.raises(ValueError, match=r"names frame 2, which vid_stride=4 skips"):
        score_tracks(strided, gt, vid_stride=4)
    with pytest.raises(ValueError, match=r"vid_stride=0: give the stride"):
        score_tracks(strided, gt, vid_stride=0)
    assert main(["track-eval", f"tracks={strided}", f"gt={gt}"]) == 0
    assert "WARNING: the tracks name one frame in 2" in capsys.readouterr().out
    assert main(["track-eval", f"tracks={strided}", f"gt={gt}", "vid_stride=2"]) == 0
    out = capsys.readouterr().out
    assert "one in 2 of frames 1-20 (10 frames, vid_stride)" in out and "WARNING" not in out
    assert "stride_hint" not in score_tracks(write_mot(tmp_path / "all_mot.txt", truth), gt)  # every frame: no hint


def test_the_command_prints_the_scores_and_names_bad_input(tmp_path, capsys):
    gt = write_gt(tmp_path / "gt.txt", two_drones())
    tracks = write_mot(tmp_path / "clip_mot.txt", two_drones())
    assert main(["track-eval", f"tracks={tracks}", f"gt={gt}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDSW", "FP", "FN", "state", "acc"]
    assert out[2].split()[:5] == ["100.0"] * 5 and out[2].split()[5:8] == ["0", "0", "0"]
    with pytest.raises(SystemExit, match="srtod track-eval: gt missing"):
        main(["track-eval", f"tracks={tracks}"])
    with pytest.raises(SystemExit, match="ground truth '.*nothing.txt' not found"):
        main(["track-eval", f"tracks={tracks}", f"gt={tmp_path / 'nothing.txt'}"])
    with pytest.raises(SystemExit, match=r"frames=0: give the sequence's length"):
        main(["track-eval", f"tracks={tracks}", f"gt={gt}", "frames=0"])
    assert main(["track-eval", f"tracks={tracks}", f"gt={gt}", "frames=5"]) == 0  # the first 5 frames of both
    assert "frames 1-5" in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"frames=abc: expected a whole number"):
        main(["track-eval", f"tracks={tracks}", f"gt={gt}", "frames=abc"])
    video = tmp_path / "clip.mp4"  # a video given for the ground truth, or for the tracks
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\xa7\xff\xfe" * 20)
    with pytest.raises(SystemExit, match=r"clip.mp4: not a text file .*expected a MOTChallenge gt.txt .* or a Halm"):
        main(["track-eval", f"tracks={tracks}", f"gt={video}"])
    with pytest.raises(SystemExit, match=r"clip.mp4: not a text file .*expected a MOTChallenge file"):
        main(["track-eval", f"tracks={video}", f"gt={gt}"])


@needs_halmstad
def test_yolo_track_output_scores_as_the_tracking_benchmark_recorded(tmp_path, env):
    """`yolo track ... save_tracks=True` then `srtod track-eval`, on a held-out clip: the benchmark's own numbers."""
    clip = SHARED_DATA / "clips" / "val" / "IR_DRONE_081.mp4"
    record = json.loads((REPO / "benchmarks" / "results" / "tracking_heldout.json").read_text())
    (row,) = [r for r in record["per_clip"] if r["clip"] == clip.stem and r["tracker"] == "srtod-bytetrack"]
    track = ["yolo", "track", "model=yolov8n-p2-halmstad.pt", f"source={clip}", "tracker=srtod-bytetrack.yaml"]
    run([*track, "imgsz=320", "save_tracks=True", f"project={tmp_path}", "name=t", "save=False"], tmp_path, env)
    labels = clip.with_name(f"{clip.stem}_LABELS.csv")
    out = run(
        ["srtod", "track-eval", f"tracks={tmp_path / 't' / 'IR_DRONE_081_mot.txt'}", f"gt={labels}", "frames=150"],
        tmp_path,
        env,
    ).stdout
    hota, _, _, _, idf1 = (float(v) for v in out.splitlines()[-1].split()[:5])
    assert hota == pytest.approx(100 * row["HOTA"], abs=0.1) and idf1 == pytest.approx(100 * row["IDF1"], abs=0.1)
