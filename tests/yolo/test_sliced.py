"""Sliced (SAHI) prediction and tracking of high-resolution frames: slicing, merging, coordinates, CLI, no-SAHI."""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
import ultralytics
from conftest import run

from srtod_yolo.yolo.sliced import SliceArgs, merge_detections, plan_slices, stitch_maps

pytest.importorskip("sahi")

SITE_TRACKERS = Path(ultralytics.__file__).parent / "cfg" / "trackers"
SIZE = 320  # slices and network input of the model tests: small enough for a shared 2-core CPU


def sky_with_drones(width: int, height: int, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """A smooth bright sky (BGR uint8) with a dark 3-5 px dot in each 160-px cell: what the detector learnt."""
    rng = np.random.default_rng(seed)
    ys = np.linspace(170, 220, height)[:, None, None]
    frame = np.clip(ys + rng.normal(0, 3, (height, width, 3)), 0, 255).astype(np.uint8)
    centres = []
    for y0 in range(0, height, 160):
        for x0 in range(0, width, 160):
            x, y = int(x0 + rng.integers(20, 140)), int(y0 + rng.integers(20, 140))
            cv2.circle(frame, (x, y), int(rng.integers(1, 3)), (40, 40, 45), -1)
            centres.append((x, y))
    return frame, centres


@pytest.mark.parametrize("height, width", [(720, 1280), (1080, 1920), (2160, 3840), (500, 700)])
def test_slices_cover_the_frame_at_the_requested_size_and_overlap(height, width):
    plan = plan_slices([(height, width)], 640, 0.2, full=True)
    covered = np.zeros((height, width), bool)
    slices = plan.window[~plan.whole]
    for x1, y1, x2, y2 in slices:
        assert (x2 - x1, y2 - y1) == (min(640, width), min(640, height))  # a short frame gives short slices
        assert x1 >= 0 and y1 >= 0 and x2 <= width and y2 <= height
        covered[y1:y2, x1:x2] = True
    assert covered.all()
    xs, ys = sorted({int(x) for x in slices[:, 0]}), sorted({int(y) for y in slices[:, 1]})
    assert all(b - a <= 640 - 128 for a, b in zip(xs, xs[1:]))  # neighbours share at least 0.2 * 640 px
    assert all(b - a <= 640 - 128 for a, b in zip(ys, ys[1:]))
    assert plan.whole.sum() == 1 and plan.window[plan.whole].tolist() == [[0, 0, width, height]]


def test_slice_counts_of_1080p_and_4k():
    assert len(plan_slices([(1080, 1920)], 640, 0.2, full=False).frame) == 8
    assert len(plan_slices([(2160, 3840)], 640, 0.2, full=False).frame) == 32


def test_a_frame_within_one_slice_is_one_input_without_a_whole_frame_pass():
    plan = plan_slices([(300, 500), (720, 1280)], 640, 0.2, full=True)
    assert plan.inputs_of(0).tolist() == [0]
    assert plan.window[0].tolist() == [0, 0, 500, 300] and not plan.whole[0]
    assert len(plan.inputs_of(1)) == 7  # 6 slices + the whole frame


def test_greedy_merge_joins_a_drone_cut_at_a_seam_and_nms_keeps_the_best_half():
    halves = torch.tensor([[100.0, 10, 104, 14, 0.9, 0], [102.0, 10, 106, 14, 0.8, 0], [300.0, 10, 304, 14, 0.7, 0]])
    merged = merge_detections(halves, "GREEDYNMM", "IOS", 0.5)
    assert merged[:, :4].tolist() == [[100, 10, 106, 14], [300, 10, 304, 14]]
    assert merged[:, 4].tolist() == pytest.approx([0.9, 0.7])
    kept = merge_detections(halves, "NMS", "IOS", 0.5)
    assert kept[:, :4].tolist() == [[100, 10, 104, 14], [300, 10, 304, 14]]


def test_merge_keeps_classes_apart_unless_agnostic():
    two_classes = torch.tensor([[100.0, 10, 104, 14, 0.9, 0], [101.0, 10, 105, 14, 0.8, 1]])
    assert len(merge_detections(two_classes, "NMS", "IOU", 0.5)) == 2
    assert merge_detections(two_classes, "NMS", "IOU", 0.5, agnostic=True)[:, 5].tolist() == [0]


def test_stitched_map_takes_each_pixel_from_the_slice_it_lies_deepest_in():
    maps = torch.stack([torch.full((1, 8, 8), 0.2), torch.full((1, 8, 8), 0.5)])
    windows = np.array([[0, 0, 8, 8], [4, 0, 12, 8]])
    full = stitch_maps(maps, windows, (8, 16)).numpy()
    # overlap x 4..7: slice 0's inner edge is x=7, slice 1's is x=4; the seam falls halfway
    assert np.allclose(full[:, :6], 0.2) and np.allclose(full[:, 6:12], 0.5) and np.allclose(full[:, 12:], 0)


def test_stitched_map_draws_no_slice_edges_inside_the_frame():
    # a 2x2 grid of 8x8 slices over a 12x12 frame, each map lit along its whole border (where a reconstruction
    # fails); the stitched map keeps the frame's own border and nothing inside it
    ring = torch.zeros(1, 8, 8)
    ring[:, 0, :] = ring[:, -1, :] = ring[:, :, 0] = ring[:, :, -1] = 1.0
    windows = np.array([[0, 0, 8, 8], [4, 0, 12, 8], [0, 4, 8, 12], [4, 4, 12, 12]])
    full = stitch_maps(ring.expand(4, 1, 8, 8), windows, (12, 12)).numpy()
    assert full[0].all() and full[-1].all() and full[:, 0].all() and full[:, -1].all()
    assert not full[1:-1, 1:-1].any(), full


@pytest.mark.parametrize(
    "key, value",
    [("slice_size", 0), ("slice_overlap", 1.0), ("slice_merge", "mean"), ("slice_match_metric", "giou")]
    + [("slice_match_threshold", 0), ("slice_batch", -1)],
)
def test_bad_slice_arguments_are_refused_by_name(key, value):
    with pytest.raises(ValueError, match=key):
        SliceArgs.from_args(SimpleNamespace(**{key: value}))


def _boxes(result) -> np.ndarray:
    return result.boxes.data.cpu().numpy()


def _same_boxes(got: np.ndarray, want: np.ndarray) -> None:
    """Equal sets of (x1, y1, x2, y2, conf, cls) rows, up to order and float noise of a different batch size."""
    assert len(got) == len(want)
    order = lambda b: b[np.lexsort((b[:, 1], b[:, 0], -b[:, 4].round(4)))]  # noqa: E731
    np.testing.assert_allclose(order(got), order(want), atol=0.05)


@pytest.fixture(scope="module", params=["srtod", "stock"])
def model_path(request, trained):
    """The 1-epoch SR-TOD checkpoint, and a stock yolov8n-p2 (no SR-TOD layer) with random weights."""
    return str(trained / "weights" / "best.pt") if request.param == "srtod" else "yolov8n-p2.yaml"


def _each_window_alone(model, frame, windows, whole, common) -> np.ndarray:
    """What slicing should give: each window predicted on its own (whole frame: square letterbox), boxes shifted."""
    boxes = []
    for x1, y1, x2, y2 in windows:
        crop = np.ascontiguousarray(frame[y1:y2, x1:x2])
        b = _boxes(model.predict(crop, slice=False, rect=False, **common)[0])
        if not whole or (x2 - x1, y2 - y1) != frame.shape[1::-1]:
            b[:, [0, 2]] += x1
            b[:, [1, 3]] += y1
        boxes.append(b)
    return boxes


def test_sliced_boxes_are_each_slices_own_boxes_shifted_into_the_frame(model_path):
    from ultralytics import YOLO

    model = YOLO(model_path)
    frame, _ = sky_with_drones(1280, 640)
    common = dict(imgsz=SIZE, conf=0.01 if model_path.endswith(".pt") else 1e-4, max_det=300, verbose=False)
    # Overlap 0 and no whole-frame pass: 4 x 2 slices that share no pixel. SAHI's merge still runs over all boxes
    # of the frame (within a slice too), so the expected boxes go through it as well.
    merge = dict(slice_merge="NMS", slice_match_metric="IOU", slice_match_threshold=0.5)
    sliced = model.predict(frame, slice=True, slice_size=SIZE, slice_overlap=0.0, slice_full=False, **merge, **common)[
        0
    ]
    assert sliced.orig_shape == (640, 1280)
    windows = [(x, y, x + SIZE, y + SIZE) for y in (0, SIZE) for x in (0, SIZE, 2 * SIZE, 3 * SIZE)]
    want = _each_window_alone(model, frame, windows, False, common)
    bottom_right = want[-1]
    assert len(bottom_right), "the bottom-right slice should have some detection at this low conf"
    assert (bottom_right[:, 0] >= 3 * SIZE).all() and (bottom_right[:, 1] >= SIZE).all()
    want = merge_detections(torch.from_numpy(np.concatenate(want)), "NMS", "IOU", 0.5).numpy()
    assert len(want) < 300  # below max_det, so the frame keeps every merged box
    _same_boxes(_boxes(sliced), want)


def test_overlapping_slices_and_the_whole_frame_merge_into_one_set(model_path):
    from ultralytics import YOLO

    model = YOLO(model_path)
    frame, _ = sky_with_drones(1280, 640, seed=1)
    common = dict(imgsz=SIZE, conf=0.01 if model_path.endswith(".pt") else 1e-4, max_det=300, verbose=False)
    sliced = model.predict(frame, slice=True, slice_size=SIZE, slice_merge="NMS", slice_full=True, **common)[0]
    plan = plan_slices([(640, 1280)], SIZE, 0.2, full=True)
    assert plan.whole.sum() == 1 and len(plan.frame) == 16
    want = _each_window_alone(model, frame, plan.window.tolist(), True, common)
    assert len(want[-1]), "the whole-frame pass should add detections at this low conf"
    want = merge_detections(torch.from_numpy(np.concatenate(want)), "NMS", "IOS", 0.5).numpy()
    assert len(want) < 300
    _same_boxes(_boxes(sliced), want)


def test_a_batch_of_frames_of_different_sizes_is_sliced_frame_by_frame(trained):
    from ultralytics import YOLO

    model = YOLO(trained / "weights" / "best.pt")
    big, _ = sky_with_drones(1280, 640)
    small, _ = sky_with_drones(480, 320, seed=2)
    args = dict(slice=True, slice_size=SIZE, imgsz=SIZE, conf=0.01, verbose=False)
    together = model.predict([big, small], **args)  # a list of arrays is one batch
    assert model.predictor.slice_plan.frame.max() == 1  # both frames were cut within one batch
    assert [r.orig_shape for r in together] == [(640, 1280), (320, 480)]
    for frame, result in zip([big, small], together):
        _same_boxes(_boxes(result), _boxes(model.predict(frame, **args)[0]))


def test_sliced_difference_map_is_stitched_from_the_slices_maps(trained):
    from ultralytics import YOLO

    model = YOLO(trained / "weights" / "best.pt")
    frame, _ = sky_with_drones(1280, 640)
    args = dict(imgsz=SIZE, conf=0.5, save_diff=True, verbose=False)
    sliced = model.predict(frame, slice=True, slice_size=SIZE, slice_overlap=0.0, slice_full=False, **args)[0]
    assert sliced.difference.shape == (640, 1280)
    crop = np.ascontiguousarray(frame[SIZE:, 3 * SIZE :])
    alone = model.predict(crop, slice=False, **args)[0]
    np.testing.assert_allclose(sliced.difference[SIZE:, 3 * SIZE :], alone.difference, atol=1e-4)
    assert sliced.difference.max() > 0


def test_tracker_reid_on_head_features_is_refused_with_slicing(tmp_path):
    from ultralytics import YOLO

    tracker = tmp_path / "botsort-reid.yaml"
    tracker.write_text((SITE_TRACKERS / "botsort.yaml").read_text().replace("with_reid: False", "with_reid: True"))
    frame, _ = sky_with_drones(640, 320)
    with pytest.raises(ValueError, match="ReID"):
        YOLO("srtod-yolov8n-p2.yaml").track(frame, slice=True, slice_size=SIZE, imgsz=SIZE, tracker=str(tracker))


@pytest.fixture(scope="module")
def hd_clip(sandbox):
    """A 4-frame 1280x720 clip of a synthetic swarm."""
    from srtod_yolo.data.synth import render_video

    return render_video(sandbox / "hd" / "clip.mp4", seed=5, frames=4, width=1280, height=720)


@pytest.mark.slow
@pytest.mark.parametrize("mode, save_diff, width", [("predict", True, 2 * 1280 + 2), ("track", False, 1280)])
def test_yolo_predict_and_track_slice_a_high_resolution_video(trained, sandbox, env, hd_clip, mode, save_diff, width):
    out = run(
        [
            "yolo",
            mode,
            f"model={trained / 'weights' / 'best.pt'}",
            f"source={hd_clip}",
            "slice=True",
            f"slice_size={SIZE}",
            "slice_overlap=0.2",
            f"imgsz={SIZE}",
            "conf=0.05",
            "save=True",
            "save_txt=True",
            f"save_diff={save_diff}",
            f"project={sandbox / 'runs'}",
            f"name=sliced-{mode}",
            "exist_ok=True",
        ],
        cwd=sandbox,
        env=env,
    )
    assert "slice=True: each 1280x720 frame is 15 slice(s) of 320 px" in out.stdout + out.stderr
    folder = sandbox / "runs" / f"sliced-{mode}"
    (saved,) = list(folder.glob("clip.*"))
    cap = cv2.VideoCapture(str(saved))
    size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert frames == 4 and size == (width, 720)  # full resolution (beside its difference map with save_diff)
    for labels in (folder / "labels").glob("*.txt"):
        rows = np.loadtxt(labels, ndmin=2)
        assert ((rows[:, 1:5] >= 0) & (rows[:, 1:5] <= 1)).all()  # normalised to the full frame


NO_SAHI = """
import json, sys
sys.modules["sahi"] = None  # as if SAHI were not installed: `import sahi` raises ImportError
import numpy as np
from ultralytics import YOLO
model = YOLO("srtod-yolov8n-p2.yaml")
frame = np.full((320, 640, 3), 200, np.uint8)
report = {"unsliced": len(model.predict(frame, imgsz=160, verbose=False))}
try:
    model.predict(frame, imgsz=160, slice=True, verbose=False)
except Exception as e:
    report["error"] = f"{type(e).__name__}: {e}"
    report["module_not_found"] = isinstance(e, ModuleNotFoundError)
print(json.dumps(report))
"""


@pytest.mark.slow
def test_slicing_without_sahi_says_how_to_install_it(sandbox, env):
    driver = sandbox / "no_sahi.py"
    driver.write_text(NO_SAHI)
    report = json.loads(run([sys.executable, str(driver)], cwd=sandbox, env=env).stdout.strip().splitlines()[-1])
    assert report["unsliced"] == 1  # everything else works without SAHI
    assert report["error"].startswith("MissingPackageError") and report["module_not_found"]  # except ImportError works
    assert "pip install 'sahi>=0.11'" in report["error"]
