import numpy as np
import pytest
import torch
from ultralytics.engine.results import Boxes
from ultralytics.trackers.byte_tracker import BYTETracker
from ultralytics.utils import YAML, IterableSimpleNamespace
from ultralytics.utils.checks import check_yaml

from srtod_yolo.nn.nwd import normalized_wasserstein
from srtod_yolo.yolo.tracker import SRTODByteTracker


def _args(name: str) -> IterableSimpleNamespace:
    return IterableSimpleNamespace(**YAML.load(check_yaml(name)))


def _boxes(*xyxy_conf) -> Boxes:
    rows = np.array([[*b, c, 0] for *b, c in xyxy_conf], np.float32).reshape(-1, 6)
    return Boxes(rows, (480, 640)).cpu().numpy()


def _ids_of_two_fast_tiny_drones(tracker) -> list[dict[int, float]]:
    """Two 3-px drones 40 px apart, moving 5 px a frame (their boxes never overlap between frames)."""
    out = []
    frame = np.zeros((480, 640, 3), np.uint8)
    for t in range(8):
        x = 100 + 5 * t
        boxes = _boxes((x, 200, x + 3, 203, 0.9), (x, 240, x + 3, 243, 0.9))
        tracks = tracker.update(boxes, frame)
        out.append({int(r[4]): float(r[1]) for r in tracks})  # track id -> its y0, telling the two drones apart
    return out


def test_nwd_scores_non_overlapping_tiny_boxes_by_distance_pairwise_with_a_constant_per_track():
    a = torch.tensor([[0, 0, 3, 3], [0, 10, 3, 13]], dtype=torch.float64)
    b = torch.tensor([[5, 0, 8, 3], [20, 0, 23, 3]], dtype=torch.float64)
    s = normalized_wasserstein(a[:, None], b[None], torch.tensor([[12.8], [25.6]])).numpy()
    np.testing.assert_allclose(s[0], np.exp(-np.array([5.0, 20.0]) / 12.8), rtol=1e-5)
    np.testing.assert_allclose(s[1, 0], np.exp(-np.hypot(5.0, 10.0) / 25.6), rtol=1e-5)  # a lost track's wider C
    with pytest.raises(ValueError, match="must be > 0"):
        normalized_wasserstein(a[:, None], b[None], torch.tensor([[1.0], [0.0]]))


def test_tiny_target_tracker_keeps_identity_where_stock_bytetrack_loses_it():
    ours = _ids_of_two_fast_tiny_drones(SRTODByteTracker(_args("srtod-bytetrack.yaml")))
    stock = _ids_of_two_fast_tiny_drones(BYTETracker(_args("bytetrack.yaml")))
    # Ours: the same two ids in every frame, each on its own drone.
    assert all(f == {1: 200.0, 2: 240.0} for f in ours), ours
    # Stock ByteTrack: IoU 0 between a 3-px box and its next detection, so both tracks are lost after frame 1 and
    # every new one is dropped before it is confirmed.
    assert stock[0] == {1: 200.0, 2: 240.0} and not any(stock[1:]), stock


def test_tracker_yaml_sets_every_parameter_and_rejects_a_bad_constant():
    args = _args("srtod-bytetrack.yaml")
    assert args.tracker_type == "srtod_bytetrack"
    for key in ("track_buffer", "nwd_constant", "lost_growth", "second_match_thresh", "track_low_thresh"):
        assert hasattr(args, key), key
    assert args.track_buffer >= 30  # a drone that blinks out for a second at 30 fps keeps its track
    args.nwd_constant = 0
    with pytest.raises(ValueError, match="nwd_constant"):
        SRTODByteTracker(args)
    args.nwd_constant, args.duplicate_iou = 8.0, 0
    with pytest.raises(ValueError, match="duplicate_iou"):
        SRTODByteTracker(args)


def test_targets_larger_than_nwd_max_size_are_tracked_exactly_as_stock_bytetrack():
    rng = np.random.default_rng(0)
    args = _args("srtod-bytetrack.yaml")
    args.duplicate_iou = 1.0  # duplicate suppression off: association alone is compared
    ours, stock = SRTODByteTracker(args), BYTETracker(_args("bytetrack.yaml"))
    frame = np.zeros((480, 640, 3), np.uint8)
    shown = {}
    starts = np.array([[100.0, 100], [300, 120], [200, 300]])
    for t in range(25):  # shorter than either track buffer
        rows = []
        for x, y in starts + t * np.array([3.0, 1.0]):
            if rng.random() < 0.15:
                continue  # missed
            rows.append((x, y, x + 40, y + 25, rng.uniform(0.1, 0.9)))
            if rng.random() < 0.3:  # a looser duplicate of the same object, as NMS leaves them
                rows.append((x - 4, y - 3, x + 46, y + 29, rng.uniform(0.1, 0.4)))
        boxes = _boxes(*rows)
        expected = stock.update(boxes, frame)
        for row in expected:  # ours numbers the ids shown 1, 2, 3, ... by first appearance (the next test)
            row[4] = shown.setdefault(int(row[4]), len(shown) + 1)
        np.testing.assert_array_equal(ours.update(boxes, frame), expected, err_msg=f"frame {t}")


def test_track_ids_are_numbered_by_first_appearance_without_the_gaps_of_unconfirmed_tracks():
    frame = np.zeros((480, 640, 3), np.uint8)
    drone = lambda t: (100 + 2 * t, 200, 110 + 2 * t, 210, 0.9)  # noqa: E731
    ids = {}
    for kind in (SRTODByteTracker, BYTETracker):
        tracker = kind(_args("srtod-bytetrack.yaml" if kind is SRTODByteTracker else "bytetrack.yaml"))
        seen = []
        for t in range(12):
            rows = [drone(t)]
            if t in (2, 4, 6):  # single-frame false alarms far away: tentative tracks, never confirmed
                rows.append((500, 50 + 40 * t, 520, 70 + 40 * t, 0.9))
            if t >= 8:  # a second drone appears and stays
                rows.append((300 + 2 * t, 400, 310 + 2 * t, 410, 0.9))
            seen.append(sorted(int(r[4]) for r in tracker.update(_boxes(*rows), frame)))
        ids[kind] = seen
    assert ids[BYTETracker][-1] == [1, 5]  # stock: three ids spent on the false alarms
    assert ids[SRTODByteTracker][-1] == [1, 2] and all(f[0] == 1 for f in ids[SRTODByteTracker])
    tracker = SRTODByteTracker(_args("srtod-bytetrack.yaml"))
    tracker.update(_boxes(drone(0)), frame)
    tracker.reset()
    assert [int(r[4]) for r in tracker.update(_boxes((300, 300, 310, 310, 0.9)), frame)] == [1]  # a new video


def test_duplicate_detections_are_dropped_and_output_indexes_the_detections_as_given():
    args = _args("srtod-bytetrack.yaml")
    args.duplicate_iou = 0.5
    tracker = SRTODByteTracker(args)
    frame = np.zeros((480, 640, 3), np.uint8)
    for _ in range(3):
        # detection 1 (score 0.9) and detection 2 (0.6) are one object (IoU 0.64); detection 0 is another one
        tracks = tracker.update(
            _boxes((10, 10, 30, 30, 0.8), (100, 100, 120, 120, 0.9), (100, 100, 125, 120, 0.6)), frame
        )
    assert sorted(tracks[:, -1].astype(int).tolist()) == [0, 1]  # indices into the three detections given
    np.testing.assert_allclose(tracks[tracks[:, -1] == 1, :4], [[100, 100, 120, 120]], atol=0.5)


def _ids_through_a_camera_jump(tracker, jump: int = 24) -> list[set[int]]:
    """A 4-px drone still in the world while the camera holds, then jumps `jump` px (the whole picture shifts)."""
    rng = np.random.default_rng(0)
    import cv2

    world = cv2.GaussianBlur(rng.integers(0, 255, (600, 800), np.uint8), (0, 0), 2)  # textured ground and sky
    world = np.dstack([world] * 3)
    out = []
    for t in range(16):
        shift = 0 if t < 8 else jump  # camera offset into the world, px
        frame = np.ascontiguousarray(world[60 : 60 + 480, 80 + shift : 80 + shift + 640])
        x = 300 - shift  # the drone, fixed in the world, seen where the camera puts it
        tracks = tracker.update(_boxes((x, 200, x + 4, 204, 0.9)), frame)
        out.append({int(r[4]) for r in tracks})
    return out


def test_camera_motion_compensation_keeps_a_tiny_drone_through_a_camera_jump():
    args = _args("srtod-bytetrack.yaml")
    without = _ids_through_a_camera_jump(SRTODByteTracker(args))
    args.gmc_method = "sparseOptFlow"
    with_gmc = _ids_through_a_camera_jump(SRTODByteTracker(args))
    assert all(ids == {1} for ids in with_gmc[1:]), with_gmc  # one identity before and after the jump
    assert set().union(*without[9:]) != {1}, without  # without it the drone is taken for a new target


def test_gmc_method_is_checked_and_reset_with_the_tracker():
    args = _args("srtod-bytetrack.yaml")
    assert args.gmc_method == "none" and SRTODByteTracker(args).gmc.method is None  # the shipped default: off
    args.gmc_method = "optical-flow"
    with pytest.raises(ValueError, match="gmc_method must be one of none, sparseOptFlow"):
        SRTODByteTracker(args)
    args.gmc_method = "sparseOptFlow"
    tracker = SRTODByteTracker(args)
    frame = np.zeros((480, 640, 3), np.uint8)
    tracker.update(_boxes((10, 10, 14, 14, 0.9)), frame)
    assert tracker.gmc.prevFrame is not None
    tracker.reset()  # a new video: no motion is estimated against the last one's frame
    assert tracker.gmc.prevFrame is None and tracker.frame_id == 0
