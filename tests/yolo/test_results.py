"""What srtod-yolo attaches to a result survives indexing, device moves and the tracker's re-indexing."""

import numpy as np
import pytest
import torch
from ultralytics import YOLO
from ultralytics.engine.results import Results

from srtod_yolo.yolo.results import FRAME_EXTRAS, SRTODResults


def test_the_difference_map_survives_indexing_and_conversions():
    frame = np.zeros((40, 60, 3), np.uint8)
    boxes = torch.tensor([[1.0, 2, 5, 6, 0.9, 0], [10, 10, 14, 15, 0.5, 0], [30, 3, 33, 6, 0.3, 0]])
    result = SRTODResults(frame, "clip.mp4", {0: "drone"}, boxes=boxes)
    result.difference = np.random.default_rng(0).random((40, 60)).astype(np.float32)
    derived = [result[[2, 0]], result[:0], result[1], result.cpu(), result.numpy(), result.to("cpu"), result[:2][:1]]
    for r in derived:
        assert isinstance(r, SRTODResults)
        assert r.difference is result.difference  # the frame's map, shared, not re-indexed with the boxes
    assert result[[2, 0]].boxes.conf.tolist() == pytest.approx([0.3, 0.9])
    assert len(result[:0]) == 0


def test_adopting_a_stock_result_keeps_everything_it_had():
    stock = Results(np.zeros((8, 8, 3), np.uint8), "a.jpg", {0: "drone"}, boxes=torch.tensor([[1.0, 1, 3, 3, 0.8, 0]]))
    stock.save_dir = "runs/x"
    adopted = SRTODResults.adopt(stock)
    assert vars(adopted) == vars(stock) and isinstance(adopted, Results)
    assert SRTODResults.adopt(adopted) is adopted


@pytest.mark.parametrize("sliced", [False, True])
def test_every_attribute_the_predictor_attaches_is_a_frame_extra_that_survives(sliced):
    if sliced:
        pytest.importorskip("sahi")
    model = YOLO("srtod-yolov8n-p2.yaml")
    frame = np.random.default_rng(1).integers(0, 255, (96, 160, 3), np.uint8)
    args = dict(slice=True, slice_size=64) if sliced else {}
    (result,) = model.predict(frame, imgsz=64, conf=0.0, save_diff=True, verbose=False, **args)
    stock = Results(result.orig_img, result.path, result.names)
    attached = set(vars(result)) - set(vars(stock))
    assert "difference" in attached and attached <= set(FRAME_EXTRAS)
    for r in (result[:0], result[:1].cpu()):
        assert {k: id(getattr(r, k)) for k in attached} == {k: id(getattr(result, k)) for k in attached}
