import numpy as np
import pytest
import torch
from torch import nn

from ppml_lessons.fairness.metrics import demographic_parity_difference, equalized_odds_difference
from ppml_lessons.fairness.penalty import fairness_penalty, fit_with_fairness_penalty


def test_penalty_on_hard_decisions_equals_the_lesson_07_metrics():
    rng = np.random.default_rng(0)
    y, pred, group = rng.integers(0, 2, 300), rng.integers(0, 2, 300), rng.integers(0, 3, 300)
    p, g, t = torch.tensor(pred, dtype=torch.float32), torch.tensor(group), torch.tensor(y)
    dpd = demographic_parity_difference(y, pred, sensitive_features=group)
    eod = equalized_odds_difference(y, pred, sensitive_features=group)
    assert float(fairness_penalty(p, g)) == pytest.approx(dpd, abs=1e-6)
    assert float(fairness_penalty(p, g, t, kind="equalized_odds")) == pytest.approx(eod, abs=1e-6)


def _data(n=3000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    group = (torch.rand(n, generator=gen) < 0.4).long()
    x = torch.randn(n, 4, generator=gen)
    x[:, 3] = group.float()  # the group is a feature, and the label depends on it
    y = (x[:, 0] + 1.5 * group + 0.5 * torch.randn(n, generator=gen) > 0.8).long()
    return x, y, group


@pytest.mark.parametrize("kind", ["demographic_parity", "equalized_odds"])
def test_larger_lambda_gives_a_smaller_gap(kind):
    x, y, group = _data()
    gaps = []
    for lam in (0.0, 5.0):
        torch.manual_seed(0)
        model = nn.Linear(4, 2)
        fit_with_fairness_penalty(model, x, y, groups=group, lam=lam, kind=kind, epochs=15, lr=0.05, seed=0)
        with torch.no_grad():
            p = model(x).softmax(1)[:, 1]
        gaps.append(float(fairness_penalty(p, group, y, kind=kind)))
    # the unpenalized model is far from parity on this data (the group shifts the label by 1.5 sd);
    # with λ=5 the gap must at least halve (a loose, qualitative check: the optimum is not known in closed form)
    assert gaps[0] > 0.2
    assert gaps[1] < gaps[0] / 2


def test_same_seed_same_model():
    x, y, group = _data(500)
    weights = []
    for _ in range(2):
        torch.manual_seed(0)
        model = nn.Linear(4, 2)
        fit_with_fairness_penalty(model, x, y, groups=group, lam=1.0, epochs=2, seed=3)
        weights.append(model.weight.detach().clone())
    torch.testing.assert_close(weights[0], weights[1])


def test_rejects_bad_arguments():
    x, y, group = _data(100)
    model = nn.Linear(4, 2)
    with pytest.raises(ValueError, match="lam"):
        fit_with_fairness_penalty(model, x, y, groups=group, lam=-1.0)
    with pytest.raises(ValueError, match="kind"):
        fit_with_fairness_penalty(model, x, y, groups=group, lam=1.0, kind="parity")
    with pytest.raises(ValueError, match="groups must have one value per row"):
        fit_with_fairness_penalty(model, x, y, groups=group[:5], lam=1.0)
    with pytest.raises(ValueError, match="y must hold binary"):
        fit_with_fairness_penalty(model, x, y + 2, groups=group, lam=1.0)
    with pytest.raises(ValueError, match="y must be given"):
        fairness_penalty(torch.rand(5), torch.zeros(5, dtype=torch.long), kind="equalized_odds")
    with pytest.raises(TypeError, match="p_positive"):
        fairness_penalty([0.1, 0.2], torch.zeros(2, dtype=torch.long))
