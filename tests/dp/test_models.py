"""Tests of ppml_lessons.dp.models."""

import pytest
import torch
from torch import nn

from ppml_lessons.dp.dpsgd import check_dp_model
from ppml_lessons.dp.models import FASHION_MNIST_MEAN, FASHION_MNIST_STD, DPCNN


def test_architecture_is_papernot_et_al_s_cnn():
    model = DPCNN()
    assert sum(p.numel() for p in model.parameters()) == 26_010  # 1,040 + 8,224 + 16,416 + 330
    assert model.features(torch.zeros(3, 1, 28, 28)).shape == (3, 512)
    assert [type(m) for m in model.modules()].count(nn.Tanh) == 3
    assert check_dp_model(model) is model


def test_relu_variant_and_class_count():
    model = DPCNN(5, activation="relu")
    assert [type(m) for m in model.modules()].count(nn.ReLU) == 3
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 5)


def test_normalisation_uses_the_dataset_constants():
    torch.manual_seed(0)
    model = DPCNN()
    raw = DPCNN(normalize=False)
    raw.load_state_dict(model.state_dict())
    x = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(model(x), raw((x - FASHION_MNIST_MEAN) / FASHION_MNIST_STD))


def test_dataset_constants_match_the_training_images():
    from ppml_lessons.data import load_fashion_mnist

    images, _ = load_fashion_mnist(train=True).tensors()
    assert float(images.mean()) == pytest.approx(FASHION_MNIST_MEAN, abs=5e-4)
    assert float(images.std()) == pytest.approx(FASHION_MNIST_STD, abs=5e-4)


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"num_classes": 0}, ValueError, "num_classes"),
    ({"activation": "sigmoid"}, ValueError, "activation"),
    ({"normalize": 1}, TypeError, "normalize"),
])
def test_validation(kwargs, error, name):
    with pytest.raises(error, match=name):
        DPCNN(**kwargs)
