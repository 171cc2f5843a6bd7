import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from torch import nn

from ppml_lessons.transfer_bias import (
    bias_experiment,
    encoder_differences,
    mixed_style_split,
    subgroup_accuracy,
    t_interval,
)


def test_mixed_style_split_inverts_exactly_the_marked_share():
    images, labels = torch.rand(40, 1, 28, 28), torch.arange(40) % 5
    x, y, marked = mixed_style_split(images, labels, n_per_class=4, fraction=0.5, seed=1)
    assert y.bincount().tolist() == [4] * 5 and int(marked.sum()) == 10
    # every returned image is either an original or its inversion, as marked
    matches_plain = torch.stack([(x[i] == images).flatten(1).all(dim=1).any() for i in range(len(x))])
    matches_inverted = torch.stack([((1 - x[i]) == images).flatten(1).all(dim=1).any() for i in range(len(x))])
    assert torch.equal(matches_inverted, marked) and torch.equal(matches_plain, ~marked)
    assert int(mixed_style_split(images, labels, n_per_class=4, fraction=0.05, seed=1)[2].sum()) == 1


class _BrightnessOnly(nn.Module):
    """An 'encoder' that only sees the mean brightness: inverting flips that feature."""

    def forward(self, x):
        return x.mean(dim=(1, 2, 3)).unsqueeze(1)


def _brightness_task():
    # Labels are fully determined by brightness for plain images; inverted images reverse it.
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (200,), generator=generator)
    images = (0.2 + 0.5 * labels.float()).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()
    return images + 0.01 * torch.rand(images.shape, generator=generator), labels


def test_subgroup_accuracy_measures_a_style_gap():
    images, labels = _brightness_task()
    scores = subgroup_accuracy(_BrightnessOnly(), (images, labels), (images, labels), methods=["linear probe"])
    row = scores.iloc[0]
    assert row["plain"] > 0.95 and row["inverted"] < 0.05
    assert row["gap"] == pytest.approx(row["plain"] - row["inverted"])
    with pytest.raises(ValueError, match="methods"):
        subgroup_accuracy(_BrightnessOnly(), (images, labels), (images, labels), methods=["retrain"])


def test_bias_experiment_gives_encoders_of_one_seed_the_same_data():
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 8))
    x, y = torch.rand(60, 1, 28, 28), torch.arange(60) % 5
    runs = bias_experiment({("balanced", 0): encoder, ("skewed", 0): encoder, ("balanced", 1): encoder,
                            ("skewed", 1): encoder}, x, y, (x[:20], y[:20]),
                           target_fractions={"even": 0.5, "rare": 0.1}, n_per_class=6, methods=["linear probe"],
                           progress=False)
    assert len(runs) == 4 * 2
    differences = encoder_differences(runs)
    # one encoder under two names, on the same data: every paired difference is exactly zero
    assert (differences[[0, 1]] == 0).all().all()
    assert set(differences.index) == {("even", "linear probe"), ("rare", "linear probe")}


def test_t_interval_matches_scipy():
    values = [0.02, -0.01, 0.05, 0.03]
    mean, low, high = t_interval(values, level=0.9)
    expected = stats.t.interval(0.9, 3, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values))
    assert (low, high) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least 2"):
        t_interval([0.1])


def test_encoder_differences_are_paired_by_seed():
    runs = pd.DataFrame({"encoder": ["balanced", "skewed"] * 3, "seed": [0, 0, 1, 1, 2, 2],
                         "target data": ["t"] * 6, "method": ["p"] * 6,
                         "inverted": [0.90, 0.80, 0.70, 0.65, 0.95, 0.80]})
    row = encoder_differences(runs).loc[("t", "p")]
    assert [round(row[s], 2) for s in (0, 1, 2)] == [0.10, 0.05, 0.15]
    assert row["mean"] == pytest.approx(0.10)
    assert (row["low"], row["high"]) == pytest.approx(t_interval([0.10, 0.05, 0.15])[1:])
