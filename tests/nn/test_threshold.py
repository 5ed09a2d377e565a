import pytest
import torch

from srtod_yolo.nn import DGFE, ThresholdGate


def test_fixed_threshold_masks_by_hand():
    gate = ThresholdGate(0.1, "fixed")
    d = torch.tensor([[[[0.0, 0.05, 0.1, 0.11, 0.9]]]])
    assert gate(d).flatten().tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert not list(gate.parameters())


def test_sign_threshold_is_the_official_formula():
    gate = ThresholdGate(0.1, "sign")
    d = torch.tensor([[[[0.05, 0.1, 0.2]]]])
    assert gate(d).flatten().tolist() == [0.0, 0.5, 1.0]  # (sign(D - t) + 1) / 2


def _loss_through_dgfe(gate: ThresholdGate) -> torch.Tensor:
    torch.manual_seed(0)
    dgfe = DGFE(16)
    p2 = torch.randn(2, 16, 8, 8)
    difference = torch.rand(2, 1, 32, 32) * 0.3
    return (dgfe(p2, gate(difference)) ** 2).sum()


def test_sign_threshold_never_learns_its_gradient_is_zero():
    gate = ThresholdGate(0.1, "sign")
    _loss_through_dgfe(gate).backward()
    assert gate.t.grad is not None
    assert gate.t.grad.item() == 0.0


def test_ste_threshold_learns_with_a_nonzero_gradient():
    gate = ThresholdGate(0.1, "ste")
    loss = _loss_through_dgfe(gate)
    loss.backward()
    assert gate.t_logit.grad is not None and gate.t_logit.grad.abs().item() > 1e-6
    # the forward pass is still the hard mask
    d = torch.tensor([[[[0.05, 0.2]]]])
    assert gate(d).flatten().tolist() == [0.0, 1.0]


def test_ste_threshold_moves_under_an_optimiser_and_stays_in_range():
    gate = ThresholdGate(0.1, "ste")
    optimizer = torch.optim.SGD(gate.parameters(), lr=50.0)
    start = gate.value.item()
    for _ in range(200):
        optimizer.zero_grad()
        _loss_through_dgfe(gate).backward()  # the squared output grows where the gate opens: t rises
        optimizer.step()
    assert gate.value.item() > start + 0.1
    assert gate.low <= gate.value.item() <= gate.high  # pushed hard, it saturates at the bound, never beyond


@pytest.mark.parametrize("threshold", [-0.1, 0.0, 0.5, 1.5, float("nan")])
def test_threshold_out_of_range_is_rejected(threshold):
    with pytest.raises(ValueError, match="out of range"):
        ThresholdGate(threshold, "ste")


def test_unknown_threshold_mode_is_rejected():
    with pytest.raises(ValueError, match="unknown threshold mode 'learn'"):
        ThresholdGate(0.1, "learn")
