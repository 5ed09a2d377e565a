import numpy as np
import pytest
import torch

from benchmarks.gate import gate_statistics


def test_gate_statistics_by_hand_nearest_misses_an_off_grid_object_maxpool_keeps_it():
    d = torch.full((1, 1, 16, 16), 0.01)
    d[0, 0, 5:7, 9:11] = 0.5  # a 2x2 object at rows 5-6, cols 9-10: not on a 4x4 block's top-left pixel
    boxes = np.array([[9, 5, 11, 7]], np.float64)
    s = gate_statistics(d, boxes, threshold=0.1, valid=(16, 16))
    assert s["contrast"] == pytest.approx(0.5 / 0.01)
    assert s["hit_nearest"] == [False] and s["hit_maxpool"] == [True]
    assert s["open_nearest"] == 0.0 and s["open_maxpool"] == pytest.approx(1 / 16)
    assert s["on_objects_nearest"] is None and s["on_objects_maxpool"] == 1.0


def test_gate_statistics_ignore_the_padding():
    d = torch.zeros(1, 1, 16, 16)
    d[0, 0, 12:, :] = 1.0  # padding rows below the frame light up: they must not count
    s = gate_statistics(d, np.zeros((0, 4)), threshold=0.5, valid=(12, 16))
    assert s["open_nearest"] == 0.0 and s["open_maxpool"] == 0.0 and s["contrast"] is None
