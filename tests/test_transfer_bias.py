import pandas as pd
import pytest
import torch
from torch import nn

from ppml_lessons.transfer_bias import mixed_style_split, subgroup_accuracy, summarize_gaps


def test_mixed_style_split_inverts_exactly_the_marked_half():
    images, labels = torch.rand(40, 1, 28, 28), torch.arange(40) % 5
    x, y, marked = mixed_style_split(images, labels, n_per_class=4, fraction=0.5, seed=1)
    assert y.bincount().tolist() == [4] * 5 and int(marked.sum()) == 10
    # every returned image is either an original or its inversion, as marked
    matches_plain = torch.stack([(x[i] == images).flatten(1).all(dim=1).any() for i in range(len(x))])
    matches_inverted = torch.stack([((1 - x[i]) == images).flatten(1).all(dim=1).any() for i in range(len(x))])
    assert torch.equal(matches_inverted, marked) and torch.equal(matches_plain, ~marked)


class _PlainOnly(nn.Module):
    """An 'encoder' that only sees the mean brightness: inverting flips that feature."""

    def forward(self, x):
        return x.mean(dim=(1, 2, 3)).unsqueeze(1)


def test_subgroup_accuracy_measures_a_style_gap():
    # Labels are fully determined by brightness for plain images; inverted images reverse it.
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (200,), generator=generator)
    images = (0.2 + 0.5 * labels.float()).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()
    images += 0.01 * torch.rand(images.shape, generator=generator)
    scores = subgroup_accuracy(_PlainOnly(), (images, labels), (images, labels), steps=300)
    assert scores["plain"] > 0.95 and scores["inverted"] < 0.05
    assert scores["gap"] == pytest.approx(scores["plain"] - scores["inverted"])
    with pytest.raises(ValueError, match="method"):
        subgroup_accuracy(_PlainOnly(), (images, labels), (images, labels), method="retrain")


def test_summarize_gaps():
    runs = pd.DataFrame({"encoder": ["a"] * 3, "method": ["p"] * 3, "seed": [0, 1, 2],
                         "plain": [0.9, 0.8, 0.7], "inverted": [0.5, 0.5, 0.5], "gap": [0.4, 0.3, 0.2]})
    summary = summarize_gaps(runs)
    assert summary.loc[("a", "p"), ("gap", "mean")] == pytest.approx(0.3)
    assert summary.loc[("a", "p"), ("gap", "std")] == pytest.approx(0.1)
