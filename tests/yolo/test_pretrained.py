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


@pytest.mark.parametrize(
    "yaml_name, weights",
    [("srtod-fuse-yolov8n-p2.yaml", "srtod-fuse-yolov8n-p2-swarm.pt"), ("yolov8n-p2.yaml", "yolov8n-p2-swarm.pt")],
)
def test_the_released_swarm_checkpoints_start_their_yaml_by_bare_name(yaml_name, weights, sandbox, env, tiny_synth):
    """Swarm pretraining as users get it (`model=srtod-fuse-yolov8n-p2.yaml pretrained=srtod-fuse-yolov8n-p2-swarm.pt`,
    or the stock pair), resolved by bare name from a folder without them; every tensor transfers, the cue's included."""
    from srtod_yolo.weights import released_weights

    released = torch.load(released_weights()[weights], weights_only=False)["model"].float().state_dict()
    extra = (f"pretrained={weights}", "val=False")
    run, out = train_tiny(sandbox, env, tiny_synth, yaml_name, f"pretrained-{weights}", *extra)
    transferred, total = map(int, re.search(r"Transferred (\d+)/(\d+) items", out.stdout + out.stderr).groups())
    assert transferred == total == len(released)  # the SR-TOD layer and its cue included
    trained = torch.load(run / "weights" / "last.pt", weights_only=False)["model"].float().state_dict()
    moved = [k for k in released if k.startswith("model.28.") and k.endswith("weight") and "bn" not in k]
    assert moved and any(released[k].abs().max() > 0.05 for k in moved)  # trained values, far from any initialisation
    for k in moved:  # one short epoch moves them little: they start from the released values
        assert torch.allclose(trained[k], released[k], atol=0.02), k
