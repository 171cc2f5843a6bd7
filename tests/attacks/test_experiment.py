import math

import numpy as np
import pytest
import torch

from ppml_lessons.attacks.experiment import (
    FPR_GRID,
    RECIPES,
    SETUP,
    attack_summary,
    confidences_and_losses,
    membership_split,
    train_target,
)
from ppml_lessons.dp.models import DPCNN

CPU = torch.device("cpu")


def test_membership_split_is_a_seeded_partition():
    split = membership_split(100, n_members=20, rng=3)
    again = membership_split(100, n_members=20, rng=3)
    assert all(np.array_equal(split[k], again[k]) for k in split)
    everything = np.concatenate([split["members"], split["non_members"], split["pool"]])
    assert sorted(everything.tolist()) == list(range(100))
    assert len(split["members"]) == len(split["non_members"]) == 20


def test_train_target_is_seeded_and_leaves_the_global_state_alone():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(40, 1, 28, 28, generator=g), torch.arange(40) % 10
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = train_target(x, y, epochs=1, seed=5, device=CPU)
    assert torch.equal(torch.rand(1), before)  # the global generator was not used
    b = train_target(x, y, epochs=1, seed=5, device=CPU)
    assert isinstance(a, DPCNN) and not a.training
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_train_target_with_infinite_epsilon_is_dp_sgd_without_noise():
    """ε = inf runs the DP-SGD recipe with σ = 0: no noise, so the noise seed does not matter."""
    x, y = torch.rand(600, 1, 28, 28, generator=torch.Generator().manual_seed(0)), torch.arange(600) % 10
    a = train_target(x, y, epsilon=math.inf, epochs=1, seed=0, noise_seed=1, device=CPU)
    b = train_target(x, y, epsilon=math.inf, epochs=1, seed=0, noise_seed=2, device=CPU)
    c = train_target(x, y, epsilon=4.0, epochs=1, seed=0, noise_seed=1, device=CPU)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


def test_train_target_with_dp_reaches_the_requested_epsilon_settings():
    x, y = torch.rand(600, 1, 28, 28, generator=torch.Generator().manual_seed(0)), torch.arange(600) % 10
    model = train_target(x, y, epsilon=4.0, epochs=1, seed=0, device=CPU)
    phi, loss = confidences_and_losses(model, x, y, device=CPU)
    assert phi.shape == loss.shape == (600,) and np.isfinite(phi).all()
    assert RECIPES["dp"]["delta"] < 1 / SETUP["n_members"]


def test_attack_summary_columns():
    rng = np.random.default_rng(0)
    summary = attack_summary(rng.normal(size=3000), np.arange(3000) < 1500)
    assert list(summary) == ["auc"] + [k for f in FPR_GRID for k in (f"tpr_at_{f:g}", f"fpr_at_{f:g}")]
    assert abs(summary["auc"] - 0.5) < 4 * math.sqrt(3001 / (12 * 1500 * 1500))


def test_attack_summary_reports_the_realised_fpr():
    # 10 non-members scored 0..9, members 9.5 and 3.5: at FPR <= 0.25 the best point is TPR 0.5 at FPR 0
    scores = np.r_[np.arange(10.0), 9.5, 3.5]
    members = np.r_[np.zeros(10, bool), True, True]
    summary = attack_summary(scores, members)
    assert summary["tpr_at_0.2"] == 0.5 and summary["fpr_at_0.2"] == 0.0
    assert summary["tpr_at_0.5"] == 0.5 and summary["fpr_at_0.5"] == 0.0  # 3.5 needs FPR 0.6
    assert summary["tpr_at_0.001"] == 0.5 and all(summary[f"fpr_at_{f:g}"] <= f for f in FPR_GRID)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: membership_split(10, n_members=6), ValueError, r"n_members must be an integer in \[1, 5\]"),
        (lambda: train_target(torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.long), epsilon=0.0),
         ValueError, r"epsilon must be a float in \(0, inf\]"),
        (lambda: train_target(torch.zeros(2, 1, 28, 28), [0, 1]), TypeError, "labels must be a torch.Tensor"),
        (lambda: confidences_and_losses(torch.nn.Linear(2, 2), torch.zeros(1, 2), [0]), TypeError, "labels"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
