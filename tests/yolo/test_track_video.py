"""`yolo track` on real drone clips keeps SR-TOD's difference map and writes every frame, like `yolo predict`."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import ultralytics
from conftest import SHARED_DATA, needs_halmstad
from ultralytics import YOLO

from srtod_yolo.viz import side_by_side

pytestmark = needs_halmstad

WEIGHTS = "srtod-yolov8n-p2-halmstad.pt"  # released weights, resolved by bare name
SITE_TRACKERS = Path(ultralytics.__file__).parent / "cfg" / "trackers"
FRAMES = 12
IMGSZ = 320


def cut_clip(video: Path, out: Path, frames: int) -> Path:
    """The first `frames` frames of a real clip, as an MJPG AVI in out."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    for _ in range(frames):
        ok, frame = cap.read()
        assert ok, f"{video} has fewer than {frames} frames"
        if writer is None:
            size = frame.shape[1], frame.shape[0]
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
        writer.write(frame)
    writer.release()
    cap.release()
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Short thermal (320x256) and visible (640x512) clips with a drone in every frame, by name."""
    folder = tmp_path_factory.mktemp("clips")
    names = "IR_DRONE_025", "V_DRONE_011"
    return {n: cut_clip(SHARED_DATA / "videos" / f"{n}.mp4", folder / f"{n}.avi", FRAMES) for n in names}


def decoded_frames(video: Path) -> list[tuple[int, ...]]:
    """The shape of every frame a video decodes to, in order."""
    cap = cv2.VideoCapture(str(video))
    shapes = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        shapes.append(frame.shape)
    cap.release()
    return shapes


def run(mode: str, clip: Path, out: Path, **kwargs) -> tuple[list, Path]:
    """`yolo predict|track ... save=True save_diff=True` through the Python API; results and the saved video."""
    model = YOLO(WEIGHTS)
    call = model.track if mode == "track" else model.predict
    common = dict(imgsz=IMGSZ, conf=0.1, save=True, save_diff=True, project=str(out), name=mode, verbose=False)
    results = list(call(str(clip), stream=True, **{**common, **kwargs}))
    (saved,) = (out / mode).glob(f"{clip.stem}.*")
    return results, saved


@pytest.fixture(scope="module")
def predicted(clips, tmp_path_factory) -> dict[str, tuple[list, Path]]:
    """`yolo predict save=True save_diff=True` of each clip: its results and saved video."""
    return {name: run("predict", clip, tmp_path_factory.mktemp("predict")) for name, clip in clips.items()}


def pane_shape(clip: Path) -> tuple[int, ...]:
    """The saved picture of one frame with save_diff: the prediction beside the difference-map overlay."""
    h, w = decoded_frames(clip)[0][:2]
    return side_by_side(np.zeros((h, w, 3), np.uint8), np.zeros((h, w, 3), np.uint8)).shape


def tuned_tracker(stock: str, folder: Path) -> Path:
    """A copy of a stock tracker YAML with thresholds for weak, small detections: it confirms tracks early."""
    text = (SITE_TRACKERS / stock).read_text()
    tuned = {"track_high_thresh": 0.2, "track_low_thresh": 0.1, "new_track_thresh": 0.2, "track_buffer": 60}
    lines = [
        next((f"{k}: {v}" for k, v in tuned.items() if line.startswith(f"{k}:")), line) for line in text.splitlines()
    ]
    path = folder / f"tuned-{stock}"
    path.write_text("\n".join(lines) + "\n")
    return path


# The released n-scale weights give the visible clip's drone confidences of 0.1-0.3, under the stock trackers'
# thresholds for a new track (0.25, TrackTrack's 0.7): that clip is tracked with tuned copies only. TrackTrack, the
# default tracker, also wraps the predictor's postprocess for a second, looser NMS.
@pytest.mark.parametrize(
    "name, tracker",
    [
        ("IR_DRONE_025", "bytetrack.yaml"),
        ("IR_DRONE_025", "botsort.yaml"),
        ("IR_DRONE_025", "tuned-bytetrack.yaml"),
        ("V_DRONE_011", "tuned-tracktrack.yaml"),
    ],
)
def test_track_saves_every_frame_with_the_difference_pane_like_predict(clips, predicted, name, tracker, tmp_path):
    clip = clips[name]
    if tracker.startswith("tuned-"):
        tracker = tuned_tracker(tracker.removeprefix("tuned-"), tmp_path)
    results, saved = run("track", clip, tmp_path, tracker=str(tracker))
    predicted_results, predicted_video = predicted[name]

    want = decoded_frames(predicted_video)
    assert want == [pane_shape(clip)] * FRAMES  # predict: every frame, each beside its difference map
    assert decoded_frames(saved) == want
    assert len(results) == len(predicted_results) == FRAMES
    assert any(r.boxes.is_track for r in results), "the tracker should have re-indexed some results"
    assert all(getattr(r, "difference", np.empty(0)).shape == r.orig_shape for r in results)


def test_sliced_tracking_keeps_the_stitched_difference_map(tmp_path):
    pytest.importorskip("sahi")
    clip = cut_clip(SHARED_DATA / "videos" / "IR_DRONE_025.mp4", tmp_path / "ir.avi", 4)
    # 320x256 frames in 160-px slices: 6 slices and the whole frame per frame, each letterboxed to 160.
    sliced = dict(slice=True, slice_size=160, imgsz=160)
    results, saved = run("track", clip, tmp_path, tracker="bytetrack.yaml", **sliced)
    assert any(r.boxes.is_track for r in results)
    for r in results:
        assert r.difference.shape == (256, 320) and r.difference.max() > 0
    assert decoded_frames(saved) == [pane_shape(clip)] * 4


def test_a_frame_the_video_writer_would_drop_is_an_error_naming_it(tmp_path):
    clip = cut_clip(SHARED_DATA / "videos" / "IR_DRONE_025.mp4", tmp_path / "ir.avi", 4)
    model = YOLO(WEIGHTS)

    def halve_third_frame(predictor):
        # A source whose resolution changes mid-video (a camera reconfigured while streaming) looks like this.
        if predictor.seen == 2:
            result = predictor.results[0]
            result.orig_img = cv2.resize(result.orig_img, (160, 128))

    model.add_callback("on_predict_postprocess_end", halve_third_frame)
    with pytest.raises(RuntimeError, match=r"frame 3 of .*ir\.avi.*160x128.*silently drop"):
        list(model.predict(str(clip), imgsz=IMGSZ, save=True, project=str(tmp_path), name="p", stream=True))
