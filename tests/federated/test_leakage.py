"""Tests of ppml_lessons.federated.leakage: the input, the label and a batch's label counts are exact."""

import numpy as np
import pytest
import torch
from torch import nn

from ppml_lessons.federated.leakage import label_counts_from_bias_gradient, recover_input, recover_label


def test_input_is_recovered_exactly_from_the_first_layer_of_a_network():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 4))
    x = torch.rand(1, 20)
    nn.functional.cross_entropy(model(x), torch.tensor([2])).backward()
    first = model[0]
    torch.testing.assert_close(recover_input(first.weight.grad, first.bias.grad).float(), x[0])
    # numpy arrays work too
    recovered = recover_input(first.weight.grad.numpy(), first.bias.grad.numpy())
    torch.testing.assert_close(recovered.float(), x[0])


@pytest.mark.parametrize("label", range(5))
def test_label_is_recovered_from_the_last_layer(label):
    torch.manual_seed(label)
    model = nn.Linear(12, 5)
    nn.functional.cross_entropy(model(torch.randn(1, 12)), torch.tensor([label])).backward()
    assert recover_label(model.bias.grad) == label


def test_label_counts_of_a_batch_at_a_uniform_model():
    model = nn.Linear(30, 10)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    labels = torch.tensor([3, 3, 3, 0, 9, 9, 5, 1, 1, 1, 1, 7])
    nn.functional.cross_entropy(model(torch.rand(12, 30)), labels).backward()
    counts = label_counts_from_bias_gradient(model.bias.grad, batch_size=12)
    assert counts.tolist() == np.bincount(labels.numpy(), minlength=10).tolist()


def test_bad_input():
    with pytest.raises(ValueError, match="bias_grad"):
        recover_input(torch.zeros(3, 4), torch.zeros(2))
    with pytest.raises(ValueError, match="bias_grad"):
        recover_input(torch.ones(3, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="weight_grad"):
        recover_input(torch.zeros(4), torch.zeros(4))
    with pytest.raises(TypeError, match="bias_grad"):
        recover_label([0.1, -0.1])
    with pytest.raises(ValueError, match="batch_size"):
        label_counts_from_bias_gradient(torch.zeros(3), batch_size=0)
