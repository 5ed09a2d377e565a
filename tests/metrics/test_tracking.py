import numpy as np
import pytest

from srtod_yolo.metrics.tracking import evaluate_sequence, read_mot, state_accuracy, summary, write_mot

# One drone over 4 frames; the tracker follows it as id 7 in frames 0-1, misses frame 2, and calls it id 9 in frame 3.
GT = np.array([[t, 1, 10 + 2 * t, 20, 4, 4] for t in range(4)], float)
TRACKS = np.array([[0, 7, 10, 20, 4, 4], [1, 7, 12, 20, 4, 4], [3, 9, 16, 20, 4, 4]], float)


def test_metrics_of_one_identity_switch_and_one_missed_frame_match_the_definitions():
    m = summary(evaluate_sequence(GT, TRACKS, frames=4))
    tp, fn, fp, idsw, n_gt = 3, 1, 0, 1, 4
    assert (m["CLR_FN"], m["CLR_FP"], m["IDSW"]) == (fn, fp, idsw)
    assert m["MOTA"] == pytest.approx(1 - (fn + fp + idsw) / n_gt)  # 0.5
    # IDF1: the best one-to-one identity map pairs the drone with id 7 (2 frames): IDTP 2, IDFN 2, IDFP 1.
    assert m["IDF1"] == pytest.approx(2 * 2 / (2 * 2 + 2 + 1))  # 0.571
    # HOTA (every match has IoU 1, so every alpha gives the same): DetA = TP / (TP + FN + FP); AssA averages over
    # the TPs the association score TPA / (TPA + FNA + FPA) of their (gt, track) pair: (7: 2/4) twice, (9: 1/4) once.
    det_a = tp / (tp + fn + fp)
    ass_a = (2 * (2 / 4) + 1 * (1 / 4)) / 3
    assert m["DetA"] == pytest.approx(det_a) and m["AssA"] == pytest.approx(ass_a)
    assert m["HOTA"] == pytest.approx(np.sqrt(det_a * ass_a))  # 0.559


def test_perfect_tracks_score_one_and_a_repeated_identity_is_an_error():
    m = summary(evaluate_sequence(GT, GT, frames=4))
    assert m["HOTA"] == pytest.approx(1) and m["MOTA"] == 1 and m["IDF1"] == 1 and m["IDSW"] == 0
    with pytest.raises(ValueError, match="identity twice"):
        evaluate_sequence(GT, np.vstack([TRACKS, TRACKS[:1]]), frames=4)
    with pytest.raises(ValueError, match="outside"):
        evaluate_sequence(GT, TRACKS, frames=3)


def test_state_accuracy_follows_the_anti_uav_definition():
    gt = GT[GT[:, 0] != 3]  # the drone leaves after frame 2
    pred = np.array([[0, 1, 10, 20, 4, 4], [1, 1, 14, 20, 4, 4], [3, 1, 0, 0, 4, 4], [4, 1, 0, 0, 4, 4]], float)
    # frame 0: IoU 1; frame 1: boxes 2 px apart -> IoU 2*4 / (2*16 - 8) = 1/3; frame 2: present, missed -> 0;
    # frame 3: absent but predicted -> 0; frame 4: absent but predicted -> 0; frame 5: absent, nothing -> 1.
    assert state_accuracy(gt, pred, frames=6) == pytest.approx((1 + 1 / 3 + 0 + 0 + 0 + 1) / 6)


def test_mot_files_round_trip_and_bad_lines_name_the_file(tmp_path):
    path = write_mot(tmp_path / "t.txt", TRACKS, scores=np.array([0.9, 0.8, 0.7]))
    back = read_mot(path)
    np.testing.assert_allclose(back[:, :6], TRACKS)
    np.testing.assert_allclose(back[:, 6], [0.9, 0.8, 0.7])
    path.write_text("1,2,3\n")
    with pytest.raises(ValueError, match="t.txt:1"):
        read_mot(path)
