"""`make demo` / `srtod demo`, end to end on tiny settings: brief training, synthetic and real clips, pictures."""

import cv2
import pytest
from conftest import run

pytestmark = pytest.mark.slow


def _width(video) -> int:
    cap = cv2.VideoCapture(str(video))
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    cap.release()
    return width


def test_srtod_demo_trains_then_predicts_real_clips_with_the_released_weights(sandbox, env):
    out = sandbox / "demo"
    proc = run(
        ["srtod", "demo", f"out={out}", "epochs=1", "imgsz=160", "train=16", "val=4", "vid_stride=10"],
        cwd=sandbox,
        env=env,
        timeout=900,
    )
    assert (out / "train" / "weights" / "best.pt").is_file()
    assert (out / "predict_synthetic" / "swarm.avi").is_file() or list((out / "predict_synthetic").glob("swarm.*"))
    for clip, width in (("IR_DRONE_025", 320), ("V_DRONE_011", 640)):
        (video,) = list((out / f"predict_{clip}").glob(f"{clip}.*"))
        assert _width(video) == 2 * width + 2  # prediction | bar | difference-map overlay, at the clip's size
        picture = cv2.imread(str(out / f"predict_{clip}_difference_map.png"))
        assert picture is not None and picture.shape[1] >= 2 * width
    assert "srtod demo wrote:" in proc.stdout
    # What it will do and where, before it starts; fine-tuned from the released swarm-trained starting point.
    plan = proc.stdout.index(f"srtod demo: everything goes into {out}\n")
    assert "from the released swarm-trained yolov8n-p2-swarm.pt" in proc.stdout
    assert plan < proc.stdout.index("Transferred")  # ultralytics' line for the pretrained layers, after the plan
    assert "srtod demo: the fine-tuned SR-TOD model on the 4 synthetic val frames: AP " in proc.stdout
    # Each real clip runs at its own frame size: the visible 640x512 clip at 320 would warn that drones shrink.
    assert "shrinks" not in proc.stdout + proc.stderr
