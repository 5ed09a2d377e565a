"""A user's stock checkpoint (e.g. a COCO yolov8n.pt downloaded by ultralytics) starts an SR-TOD training."""

import re

import pytest
import torch
from conftest import train_tiny
from ultralytics.nn.tasks import DetectionModel

pytestmark = pytest.mark.slow


def test_yolo_train_pretrained_stock_checkpoint_transfers_every_shared_tensor(sandbox, env, tiny_synth):
    stock = DetectionModel("yolov8n-p2.yaml", nc=1, verbose=False)
    weights = sandbox / "stock-yolov8n-p2.pt"
    torch.save({"model": stock}, weights)
    _, out = train_tiny(
        sandbox, env, tiny_synth, "srtod-yolov8n-p2.yaml", "pretrained", f"pretrained={weights}", "val=False"
    )
    transferred, total = map(int, re.search(r"Transferred (\d+)/(\d+) items", out.stdout + out.stderr).groups())
    assert transferred == len(stock.state_dict())  # every tensor of the stock model, Detect head included
    assert total > transferred  # the SR-TOD layer's own tensors start from their initialisation


def test_an_sr_tod_checkpoint_starts_the_same_design_with_its_sr_tod_layer(sandbox, env, tiny_synth):
    """Swarm pretraining: a trained SR-TOD (learned cue) checkpoint as `pretrained=` for the same YAML."""
    import yaml
    from ultralytics.nn.tasks import yaml_model_load

    from srtod_yolo.yolo.model import SRTODDetectionModel

    d = yaml_model_load("srtod-yolov8n-p2.yaml")
    d["srtod"] = {**d["srtod"], "enhance": "fuse"}
    config = sandbox / "fuse-srtod-yolov8n-p2.yaml"
    config.write_text(yaml.safe_dump({k: v for k, v in d.items() if k not in {"yaml_file", "scale"}}))
    source = SRTODDetectionModel(str(config), nc=1, verbose=False)
    fuse = [k for k in source.state_dict() if "fuse" in k]
    assert fuse, "the learned-cue layer has tensors of its own"
    with torch.no_grad():  # as after swarm training: the cue's convolution is no longer at its zero start
        for name, tensor in source.named_parameters():
            if "fuse" in name:
                tensor.fill_(0.01)
    weights = sandbox / "swarm-fuse.pt"
    torch.save({"model": source}, weights)
    extra = (f"pretrained={weights}", "val=False")
    run, out = train_tiny(sandbox, env, tiny_synth, str(config), "pretrained-fuse", *extra)
    transferred, total = map(int, re.search(r"Transferred (\d+)/(\d+) items", out.stdout + out.stderr).groups())
    assert transferred == total == len(source.state_dict())  # the SR-TOD layer and its cue included
    trained = torch.load(run / "weights" / "last.pt", weights_only=False)["model"].float().state_dict()
    for k in fuse:  # one short epoch moves them little: they started from 0.01, not from the zero initialisation
        assert abs(trained[k].mean().item() - 0.01) < 0.005, k
