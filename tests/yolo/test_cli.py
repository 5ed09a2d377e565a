"""The stock `yolo` command with SR-TOD models, as a user runs it: subprocesses in a fresh directory."""

import csv
import json

import cv2
import pytest
from conftest import run

pytestmark = pytest.mark.slow

SETTINGS_PROBE = """
import json, sys
from ultralytics import YOLO
model = YOLO(sys.argv[1])
print(json.dumps({"class": type(model.model).__name__, "settings": model.model.srtod_settings}))
"""


def test_yolo_train_writes_rec_loss_columns(trained):
    with open(trained / "results.csv") as f:
        header = next(csv.reader(f))
    assert "train/rec_loss" in [h.strip() for h in header]
    assert "val/rec_loss" in [h.strip() for h in header]
    assert (trained / "weights" / "best.pt").is_file()


def test_checkpoint_reloads_in_a_new_process_with_its_settings(trained, sandbox, env):
    probe = sandbox / "probe.py"
    probe.write_text(SETTINGS_PROBE)
    out = run(["python", str(probe), str(trained / "weights" / "best.pt")], cwd=sandbox, env=env).stdout
    info = json.loads(out.strip().splitlines()[-1])
    assert info["class"] == "SRTODDetectionModel"
    s = info["settings"]
    assert (s["head"], s["threshold_mode"], s["resize"], s["difference"], s["dgfe"]) == (
        "convt",
        "ste",
        "nearest",
        "pixel",
        True,
    )
    assert s["threshold"] == pytest.approx(40 / 255, abs=0.02)  # t learns a little in one epoch
    assert s["widths"] == [16, 8] and s["rec_weight"] == 1.0


def test_checkpoint_loads_under_ultralytics_safe_load(trained, sandbox, env):
    probe = sandbox / "probe.py"
    probe.write_text(SETTINGS_PROBE)
    out = run(
        ["python", str(probe), str(trained / "weights" / "best.pt")],
        cwd=sandbox,
        env={**env, "ULTRALYTICS_SAFE_LOAD": "1"},
    ).stdout
    assert json.loads(out.strip().splitlines()[-1])["class"] == "SRTODDetectionModel"


def test_yolo_val_runs_on_the_checkpoint(trained, sandbox, env, tiny_synth):
    out = run(
        [
            "yolo",
            "val",
            f"model={trained / 'weights' / 'best.pt'}",
            f"data={tiny_synth / 'data.yaml'}",
            "imgsz=160",
            "batch=4",
            "workers=0",
            "plots=False",
            f"project={sandbox / 'runs'}",
            "name=val",
            "exist_ok=True",
        ],
        cwd=sandbox,
        env=env,
    )
    assert "all" in out.stdout + out.stderr


@pytest.mark.parametrize("mode", ["predict", "track"])
def test_yolo_predict_and_track_a_video_with_the_difference_map_beside(trained, sandbox, env, tiny_synth, mode):
    video = tiny_synth / "videos" / "swarm.mp4"
    run(
        [
            "yolo",
            mode,
            f"model={trained / 'weights' / 'best.pt'}",
            f"source={video}",
            "imgsz=160",
            "conf=0.01",
            "save=True",
            "save_diff=True",
            f"project={sandbox / 'runs'}",
            f"name={mode}",
            "exist_ok=True",
        ],
        cwd=sandbox,
        env=env,
    )
    (saved,) = list((sandbox / "runs" / mode).glob("swarm.*"))
    cap = cv2.VideoCapture(str(saved))
    frames, width = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    cap.release()
    assert frames == 20
    assert width == 2 * 160 + 2  # prediction | bar | difference-map overlay


def test_hooks_switch_off(sandbox, env):
    out = run(
        ["yolo", "train", "model=srtod-yolov8n-p2.yaml", "data=nowhere.yaml"],
        cwd=sandbox,
        env={**env, "SRTOD_YOLO_HOOKS": "0"},
        check=False,
    )
    assert out.returncode != 0
    assert "'srtod-yolov8-p2.yaml' does not exist" in out.stderr  # stock ultralytics does not know the model


def test_ddp_worker_script_rebuilds_the_srtod_trainer_and_model(sandbox, env, tiny_synth):
    """ultralytics starts DDP workers from a generated script; run that script (on CPU) in a new process."""
    script = sandbox / "ddp_probe.py"
    script.write_text(
        f"""
from ultralytics.utils.dist import generate_ddp_file
from srtod_yolo.yolo import SRTODTrainer
trainer = SRTODTrainer(overrides=dict(model="srtod-yolov8n-p2.yaml", data=r"{tiny_synth / "data.yaml"}", epochs=1,
    imgsz=160, batch=8, workers=0, device="cpu", plots=False, project=r"{sandbox / "runs"}", name="ddp", exist_ok=True))
trainer.model = trainer.get_model(cfg="srtod-yolov8n-p2.yaml")
print(generate_ddp_file(trainer))
"""
    )
    generated = run(["python", str(script)], cwd=sandbox, env=env).stdout.strip().splitlines()[-1]
    # python -S skips site-packages' .pth files, so the hooks come from unpickling the SR-TOD trainer alone;
    # the generated script restores sys.path itself.
    run(["python", "-S", generated], cwd=sandbox, env=env)
    with open(sandbox / "runs" / "ddp" / "results.csv") as f:
        assert "train/rec_loss" in [h.strip() for h in next(csv.reader(f))]


def test_hooks_refuse_an_ultralytics_version_they_were_not_written_for(monkeypatch):
    from srtod_yolo.yolo import hooks

    monkeypatch.setattr(hooks.metadata, "version", lambda name: "9.0.0")
    with pytest.raises(
        RuntimeError, match=r"written for ultralytics<8.5,>=8.4.190, but ultralytics==9.0.0.*SRTOD_YOLO_HOOKS=0"
    ):
        hooks.check_ultralytics_version()
