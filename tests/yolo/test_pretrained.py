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
