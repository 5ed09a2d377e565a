"""The issue-16 settings (NWD assignment, the fused difference cue) train through the stock `yolo train`."""

import json
from pathlib import Path

import pytest
import yaml

from srtod_yolo.yolo.hooks import resolve_config
from tests.conftest import run

pytestmark = pytest.mark.slow


def _train(model: str, data, sandbox, env, name: str):
    run(
        [
            "yolo",
            "train",
            f"model={model}",
            f"data={data}",
            "epochs=1",
            "imgsz=160",
            "batch=8",
            "workers=0",
            "plots=False",
            "val=False",
            f"project={sandbox / 'runs'}",
            f"name={name}",
            "exist_ok=True",
            "seed=0",
        ],
        cwd=sandbox,
        env=env,
    )
    return sandbox / "runs" / name / "weights" / "last.pt"


READ = """
import json, sys
from ultralytics import YOLO
model = YOLO(sys.argv[1]).model
model.args = __import__("ultralytics.cfg", fromlist=["get_cfg"]).get_cfg()
criterion = model.init_criterion()
criterion = getattr(criterion, "one2many", criterion)
layers = getattr(model, "srtod_layers", [])
print(json.dumps({
    "class": type(model).__name__,
    "assign": model.yaml.get("assign"),
    "assigner": type(criterion.assigner).__name__,
    "nwd_loss": getattr(criterion.bbox_loss, "nwd_weight", None),
    "enhance": layers[0].settings["enhance"] if layers else None,
}))
"""


def test_stock_model_with_nwd_trains_and_its_settings_travel_in_the_checkpoint(sandbox, env, tiny_synth):
    weights = _train("nwd-yolov8n-p2.yaml", tiny_synth / "data.yaml", sandbox, env, "nwd")
    out = run(["python", "-c", READ, str(weights)], cwd=sandbox, env=env).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["class"] == "TinyDetectionModel" and got["assigner"] == "NWDTaskAlignedAssigner"
    assert got["assign"]["nwd_assign"] == 0.5 and got["nwd_loss"] == 0.5


def test_srtod_with_the_fused_cue_and_nwd_trains_and_round_trips(sandbox, env, tiny_synth, tmp_path):
    d = yaml.safe_load(Path(resolve_config("srtod-yolov8-p2.yaml")).read_text())
    d["srtod"]["enhance"] = "fuse"
    d["assign"] = {"nwd_assign": 0.5, "nwd_loss": 0.5}
    model = tmp_path / "srtod-yolov8n-p2-fuse-nwd.yaml"
    model.write_text(yaml.safe_dump(d, sort_keys=False))
    weights = _train(str(model), tiny_synth / "data.yaml", sandbox, env, "fuse-nwd")
    got = json.loads(run(["python", "-c", READ, str(weights)], cwd=sandbox, env=env).stdout.strip().splitlines()[-1])
    assert got == {
        "class": "SRTODDetectionModel",
        "assign": {"nwd_assign": 0.5, "nwd_loss": 0.5},
        "assigner": "NWDTaskAlignedAssigner",
        "nwd_loss": 0.5,
        "enhance": "fuse",
    }
