import math

import pytest
import torch

from srtod_yolo.nn.nwd import normalized_wasserstein, wasserstein_distance


def test_wasserstein_distance_matches_the_papers_formula_on_hand_computed_boxes():
    # Same 4-px size, centres 4 px apart: W2^2 = 4^2 + 0 = 16.
    assert float(wasserstein_distance(torch.tensor([0.0, 0, 4, 4]), torch.tensor([4.0, 0, 8, 4]))) == pytest.approx(4)
    # (0,0,2,2) vs (0,0,4,6): centres (1,1) vs (2,3) -> 1 + 4; half sizes (1,1) vs (2,3) -> 1 + 4; W2 = sqrt(10).
    w2 = wasserstein_distance(torch.tensor([0.0, 0, 2, 2]), torch.tensor([0.0, 0, 4, 6]))
    assert float(w2) == pytest.approx(math.sqrt(10), rel=1e-6)


def test_nwd_is_exp_of_minus_w2_over_c():
    a, b = torch.tensor([0.0, 0, 2, 2]), torch.tensor([0.0, 0, 4, 6])
    assert float(normalized_wasserstein(a, b, constant=2.0)) == pytest.approx(math.exp(-math.sqrt(10) / 2), rel=1e-6)
    assert float(normalized_wasserstein(a, b)) == pytest.approx(math.exp(-math.sqrt(10) / 12.8), rel=1e-6)
    assert float(normalized_wasserstein(a, a)) == pytest.approx(1.0, abs=1e-5)


def test_nwd_ranks_non_overlapping_tiny_boxes_by_distance_where_iou_cannot():
    gt = torch.tensor([[10.0, 10, 13, 13]])  # a 3-px drone
    near, far = torch.tensor([[14.0, 10, 17, 13]]), torch.tensor([[30.0, 10, 33, 13]])  # IoU 0 with gt, both
    assert normalized_wasserstein(gt, near) > normalized_wasserstein(gt, far) > 0


def test_nwd_is_symmetric_broadcasts_and_has_a_gradient_at_identical_boxes():
    boxes = torch.tensor([[0.0, 0, 4, 4], [1.0, 2, 9, 5]], requires_grad=True)
    other = torch.tensor([[2.0, 1, 5, 3]])
    assert torch.allclose(normalized_wasserstein(boxes, other), normalized_wasserstein(other, boxes))
    assert normalized_wasserstein(boxes, other).shape == (2,)
    normalized_wasserstein(boxes, boxes.detach().clone()).sum().backward()
    assert torch.isfinite(boxes.grad).all()


def test_a_constant_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="constant C must be > 0"):
        normalized_wasserstein(torch.zeros(4), torch.ones(4), constant=0)
