import cv2
import pytest
from conftest import SHARED_DATA, needs_halmstad, run


@pytest.mark.slow
@needs_halmstad
def test_yolo_track_finds_the_tiny_target_tracker_by_name_from_another_directory(sandbox, env, tmp_path):
    source = SHARED_DATA / "videos" / "IR_DRONE_025.mp4"
    cap = cv2.VideoCapture(str(source))
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 30, (320, 256))
    for _ in range(6):
        ok, frame = cap.read()
        assert ok
        writer.write(frame)
    writer.release()
    cap.release()
    assert not (sandbox / "srtod-bytetrack.yaml").exists()
    out = tmp_path / "out"
    proc = run(
        [
            "yolo",
            "track",
            "model=yolov8n-p2-halmstad.pt",
            f"source={clip}",
            "tracker=srtod-bytetrack.yaml",
            "imgsz=320",
            "save_txt=True",
            f"project={out}",
            "name=t",
        ],
        cwd=sandbox,
        env=env,
    )
    assert "6/6" in proc.stdout + proc.stderr
    labels = sorted((out / "t" / "labels").glob("*.txt"))
    assert len(labels) >= 5  # the drone is tracked from the first frames on (a track shows once confirmed)
    rows = [line.split() for p in labels for line in p.read_text().splitlines()]
    assert rows and all(len(r) == 6 for r in rows)  # cls x y w h track-id
    drone_ids = {r[5] for r in rows if r[0] == "0"}
    assert len(drone_ids) == 1  # one drone, one identity over the clip
