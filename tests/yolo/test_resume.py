"""An interrupted SR-TOD training resumes with the stock `yolo train resume` and keeps its rec_loss column."""

import csv
import json

import pytest
from conftest import run

pytestmark = pytest.mark.slow

INTERRUPTED = """
import os, sys
from ultralytics import YOLO

model = YOLO("srtod-yolov8n-p2.yaml")
model.add_callback("on_model_save", lambda trainer: os._exit(0) if trainer.epoch == 0 else None)  # power cut
model.train(data=sys.argv[1], epochs=2, imgsz=160, batch=8, workers=0, plots=False, project=sys.argv[2],
            name="resume", exist_ok=True, seed=0)
"""

PROBE = """
import json, sys
from ultralytics import YOLO
model = YOLO(sys.argv[1])
print(json.dumps({"class": type(model.model).__name__, "epochs": model.ckpt["train_args"]["epochs"]}))
"""


def test_interrupted_training_resumes_to_the_end(sandbox, env, tiny_synth):
    script, probe = sandbox / "interrupted.py", sandbox / "probe_resume.py"
    script.write_text(INTERRUPTED)
    probe.write_text(PROBE)
    run(["python", str(script), str(tiny_synth / "data.yaml"), str(sandbox / "runs")], cwd=sandbox, env=env)
    folder = sandbox / "runs" / "resume"
    with open(folder / "results.csv") as f:
        assert len(list(csv.DictReader(f))) == 1  # stopped after the first of two epochs
    out = run(["yolo", "train", "resume", f"model={folder / 'weights' / 'last.pt'}"], cwd=sandbox, env=env)
    assert "Resuming training" in out.stdout + out.stderr
    with open(folder / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(float(r["train/rec_loss"]) > 0 for r in rows)
    info = json.loads(
        run(["python", str(probe), str(folder / "weights" / "last.pt")], cwd=sandbox, env=env)
        .stdout.strip()
        .splitlines()[-1]
    )
    assert info == {"class": "SRTODDetectionModel", "epochs": 2}
