"""The real-time SR-TOD models by name: `srtod-rt-yolov8{n,s,m,l,x}-p2.yaml` and `srtod-rt-yolo26{n,...}-p2.yaml`."""

import pytest
import torch
from conftest import train_tiny
from ultralytics import YOLO
from ultralytics.nn.tasks import yaml_model_load

from srtod_yolo.nn import SRTOD

SCALES = "nsmlx"


def srtod_layer(model) -> SRTOD:
    return next(m for m in model.modules() if isinstance(m, SRTOD))


@pytest.mark.parametrize("family", ["yolov8", "yolo26"])
def test_rt_yamls_resolve_by_name_from_any_directory_at_every_scale(family, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nowhere near the repository's cfg/
    for scale in SCALES:
        rt = yaml_model_load(f"srtod-rt-{family}{scale}-p2.yaml")
        paper = yaml_model_load(f"srtod-{family}{scale}-p2.yaml")
        assert rt["scale"] == scale and rt["srtod"]["head"] == "half" and paper["srtod"]["head"] == "convt"
        # The same network but the reconstruction head.
        assert (rt["backbone"], rt["head"], rt["scales"]) == (paper["backbone"], paper["head"], paper["scales"])
        assert {k: v for k, v in rt["srtod"].items() if k != "head"} == {
            k: v for k, v in paper["srtod"].items() if k != "head"
        }
    model = YOLO(f"srtod-rt-{family}n-p2.yaml").model  # built by the stock entry point
    assert srtod_layer(model).head_kind == "half"


def test_rt_model_eval_forward_matches_its_own_full_computation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = YOLO("srtod-rt-yolov8n-p2.yaml").model.eval()
    x = torch.rand(1, 3, 160, 160)
    with torch.no_grad():
        sparse = model(x)[0]
        srtod_layer(model).sparse_inference = False
        full = model(x)[0]
    assert torch.allclose(sparse, full, atol=1e-4)


@pytest.mark.slow
def test_yolo_train_takes_the_rt_model_by_name(sandbox, env, tiny_synth):
    folder, _ = train_tiny(sandbox, env, tiny_synth, "srtod-rt-yolov8n-p2.yaml", "train-rt")
    best = folder / "weights" / "best.pt"
    layer = srtod_layer(YOLO(best).model)
    assert layer.head_kind == "half" and layer.settings["head"] == "half"
