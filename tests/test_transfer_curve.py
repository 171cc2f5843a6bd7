import pytest
import torch

from ppml_lessons.models import SmallCNN
from ppml_lessons.transfer_curve import learning_curve


def test_learning_curve_rows():
    x, y = torch.rand(30, 1, 28, 28), torch.arange(30) % 5
    curve = learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[2, 3], seeds=[0, 1], max_steps=2,
                           eval_every=1, progress=False)
    assert len(curve) == 3 * 2 * 2
    assert curve["accuracy"].between(0, 1).all()
    probe = curve[curve["method"] == "linear probe"]
    assert probe["C"].notna().all() and (probe["steps"] == 0).all()
    cnn = curve[curve["method"] != "linear probe"]
    assert cnn["C"].isna().all() and cnn["steps"].between(1, 2).all() and (cnn["best_step"] <= cnn["steps"]).all()
    with pytest.raises(ValueError, match="methods"):
        learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[2], seeds=[0], methods=["knn"])
    with pytest.raises(ValueError, match="sizes"):
        learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[1], seeds=[0])
