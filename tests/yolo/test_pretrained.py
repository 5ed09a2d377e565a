"""A user's stock checkpoint (e.g. a COCO yolov8n.pt downloaded by ultralytics) starts an SR-TOD training."""

import re

import pytest
import torch
from conftest import run
from ultralytics.nn.tasks import DetectionModel

pytestmark = pytest.mark.slow


def test_yolo_train_pretrained_stock_checkpoint_transfers_every_shared_tensor(sandbox, env, tiny_synth):
    stock = DetectionModel("yolov8n-p2.yaml", nc=1, verbose=False)
    weights = sandbox / "stock-yolov8n-p2.pt"
    torch.save({"model": stock}, weights)
    out = run(
        [
            "yolo",
            "train",
            "model=srtod-yolov8n-p2.yaml",
            f"pretrained={weights}",
            f"data={tiny_synth / 'data.yaml'}",
            "epochs=1",
            "imgsz=160",
            "batch=8",
            "workers=0",
            "plots=False",
            "val=False",
            f"project={sandbox / 'runs'}",
            "name=pretrained",
            "exist_ok=True",
        ],
        cwd=sandbox,
        env=env,
    )
    transferred, total = map(int, re.search(r"Transferred (\d+)/(\d+) items", out.stdout + out.stderr).groups())
    assert transferred == len(stock.state_dict())  # every tensor of the stock model, Detect head included
    assert total > transferred  # the SR-TOD layer's own tensors start from their initialisation
