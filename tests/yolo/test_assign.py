from pathlib import Path

import pytest
import torch
import yaml
from ultralytics import YOLO
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils.loss import BboxLoss
from ultralytics.utils.tal import TaskAlignedAssigner

from srtod_yolo.nn.nwd import normalized_wasserstein
from srtod_yolo.yolo.assign import NWDBboxLoss, NWDTaskAlignedAssigner, TinyDetectionModel, assign_settings
from srtod_yolo.yolo.hooks import resolve_config
from srtod_yolo.yolo.model import SRTODDetectionModel, build_detection_model


def test_assigner_overlap_blends_ciou_and_nwd():
    gt = torch.tensor([[10.0, 10, 13, 13], [0.0, 0, 20, 20]])
    pd = torch.tensor([[14.0, 10, 17, 13], [2.0, 1, 21, 19]])  # a 3-px drone missed by 4 px: CIoU 0
    stock = TaskAlignedAssigner(stride=[4, 8]).iou_calculation(gt, pd)
    assert stock[0] == 0
    for r in (0.0, 0.5, 1.0):
        blended = NWDTaskAlignedAssigner(r, 12.8, stride=[4, 8]).iou_calculation(gt, pd)
        assert torch.allclose(blended, (1 - r) * stock + r * normalized_wasserstein(gt, pd, 12.8), atol=1e-6)
    assert NWDTaskAlignedAssigner(0.5, 12.8, stride=[4, 8]).iou_calculation(gt, pd)[0] > 0


def _box_loss_inputs():
    torch.manual_seed(0)
    anchors = torch.tensor([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5]])
    stride = torch.tensor([[4.0], [4.0], [8.0]])
    pred = torch.tensor([[[0.0, 0.0, 1.0, 1.0], [1.2, 0.1, 2.0, 0.9], [2.0, 0.0, 3.0, 1.0]]])
    target = torch.tensor([[[0.1, 0.0, 1.0, 1.1], [1.0, 0.0, 2.0, 1.0], [2.0, 0.0, 3.0, 1.0]]])
    scores = torch.tensor([[[0.9], [0.6], [0.0]]])
    fg = torch.tensor([[True, True, False]])
    dist = torch.rand(1, 3, 64)
    return dist, pred, anchors, target, scores, scores.sum(), fg, torch.tensor([16.0, 16.0]), stride


def test_box_loss_is_the_stock_one_at_weight_zero_and_blends_nwd_in_pixels():
    inputs = _box_loss_inputs()
    stock_iou, stock_dfl = BboxLoss(16)(*inputs)
    iou0, dfl0 = NWDBboxLoss(16, 0.0)(*inputs)
    assert torch.equal(iou0, stock_iou) and torch.equal(dfl0, stock_dfl)
    iou1, dfl1 = NWDBboxLoss(16, 1.0, 12.8)(*inputs)
    _, pred, _, target, scores, total, fg, _, stride = inputs
    nwd = normalized_wasserstein(pred[0, :2] * stride[:2], target[0, :2] * stride[:2], 12.8)
    expected = ((1 - nwd) * scores[0, :2, 0]).sum() / total
    assert torch.allclose(iou1, expected) and torch.equal(dfl1, stock_dfl)


def test_nwd_yaml_resolves_by_name_and_builds_a_stock_layer_model_with_the_nwd_criterion(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = YOLO("nwd-yolov8n-p2.yaml").model
    assert type(model) is TinyDetectionModel
    stock = DetectionModel("yolov8n-p2.yaml", verbose=False)
    assert [type(m) for m in model.model] == [type(m) for m in stock.model]  # inference is the stock model's
    model.args = __import__("ultralytics.cfg", fromlist=["get_cfg"]).get_cfg()
    batch = {
        "img": torch.rand(1, 3, 64, 64),
        "batch_idx": torch.zeros(1),
        "cls": torch.zeros(1, 1),
        "bboxes": torch.tensor([[0.5, 0.5, 0.05, 0.05]]),
    }
    loss, _ = model.loss(batch)
    assert isinstance(model.criterion.assigner, NWDTaskAlignedAssigner)
    assert model.criterion.bbox_loss.nwd_weight == 0.5 and torch.isfinite(loss).all()


def test_srtod_model_with_an_assign_section_gets_the_nwd_criterion_and_yolo26_too():
    d = yaml.safe_load(Path(resolve_config("srtod-yolov8-p2.yaml")).read_text())
    d.update(assign={"nwd_assign": 1.0, "nwd_loss": 0.25}, scale="n")
    model = build_detection_model(d, nc=1, verbose=False)
    assert isinstance(model, SRTODDetectionModel)
    model.args = __import__("ultralytics.cfg", fromlist=["get_cfg"]).get_cfg()
    criterion = model.init_criterion()
    assert criterion.assigner.nwd_weight == 1.0 and criterion.bbox_loss.nwd_weight == 0.25
    d26 = yaml.safe_load(Path(resolve_config("srtod-yolo26-p2.yaml")).read_text())
    d26.update(assign={"nwd_assign": 0.5}, scale="n")
    model26 = build_detection_model(d26, nc=1, verbose=False)
    model26.args = model.args
    e2e = model26.init_criterion()
    assert isinstance(e2e.one2one.assigner, NWDTaskAlignedAssigner)
    assert isinstance(e2e.one2many.assigner, NWDTaskAlignedAssigner)


@pytest.mark.parametrize(
    "section, message",
    [({"nwd": 1}, "unknown key"), ({"nwd_assign": 2}, r"in \[0, 1\]"), ({"nwd_constant": 0}, "must be > 0")],
)
def test_bad_assign_sections_get_clear_errors(section, message):
    with pytest.raises(ValueError, match=message):
        assign_settings({"assign": section})
