import pytest
import torch
from torch import nn

from ppml_lessons.models import MLP, SmallCNN, count_parameters


def test_mlp_shapes_and_layers():
    model = MLP(5, hidden=[8, 4], out_features=3, activation="tanh")
    assert model(torch.zeros(2, 5)).shape == (2, 3)
    assert count_parameters(model) == (5 * 8 + 8) + (8 * 4 + 4) + (4 * 3 + 3)
    assert any(isinstance(m, nn.Tanh) for m in model)
    assert len(MLP(5, hidden=[])) == 1  # logistic regression


def test_small_cnn_has_no_batchnorm_and_splits_encoder_and_head():
    model = SmallCNN(num_classes=5)
    assert model.features(torch.zeros(3, 1, 28, 28)).shape == (3, model.feature_dim)
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 5)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def test_count_trainable_parameters_after_freezing():
    model = SmallCNN()
    for p in model.features.parameters():
        p.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == model.feature_dim * 10 + 10
    assert count_parameters(model) > count_parameters(model, trainable_only=True)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: MLP(0), "in_features"),
        (lambda: MLP(3, hidden=8), "hidden"),
        (lambda: MLP(3, hidden=[0]), r"hidden\[i\]"),
        (lambda: MLP(3, activation="gelu"), "activation"),
        (lambda: SmallCNN(channels=(8,)), "channels"),
        (lambda: SmallCNN(num_classes=0), "num_classes"),
        (lambda: count_parameters("model"), "model"),
    ],
)
def test_bad_arguments(factory, match):
    with pytest.raises((TypeError, ValueError), match=match):
        factory()
