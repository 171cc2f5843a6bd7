import pandas as pd
import pytest
import torch
from torch import nn

from ppml_lessons.models import MLP
from ppml_lessons.training import as_dataset, evaluate, fit, predict_logits, predict_proba


def _blobs(n=400, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=generator)
    inputs = torch.randn(n, 2, generator=generator) + 3.0 * labels[:, None].float()
    return inputs, labels


def test_fit_learns_separable_data_and_reports_history():
    data = _blobs()
    history = fit(MLP(2, hidden=[8]), data, epochs=5, lr=0.05, eval_data=_blobs(seed=1), progress=False)
    assert isinstance(history, pd.DataFrame)
    assert list(history.columns) == ["epoch", "train_loss", "train_accuracy", "eval_loss", "eval_accuracy"]
    assert history["eval_accuracy"].iloc[-1] > 0.95  # the blobs are 3 standard deviations apart
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]


def test_same_seed_same_model():
    weights = []
    for _ in range(2):
        torch.manual_seed(0)
        model = MLP(2, hidden=[4])
        fit(model, _blobs(), epochs=2, seed=3, progress=False)
        weights.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_frozen_parameters_stay_frozen():
    model = MLP(2, hidden=[4])
    first = model[0]
    first.requires_grad_(False)
    before = first.weight.clone()
    fit(model, _blobs(), epochs=2, optimizer="sgd", lr=0.1, progress=False)
    assert torch.equal(first.weight, before)


def test_evaluate_and_predict_proba_agree():
    model = MLP(2, hidden=[4])
    inputs, labels = _blobs()
    probabilities = predict_proba(model, inputs, batch_size=64)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(len(inputs)))
    accuracy = (probabilities.argmax(dim=1) == labels).float().mean().item()
    assert evaluate(model, (inputs, labels), batch_size=64)["accuracy"] == pytest.approx(accuracy)
    assert model.training  # evaluation restores the mode


def test_predict_logits_batches_in_eval_mode_and_restores_the_mode():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5))
    inputs, _ = _blobs(n=50)
    logits = predict_logits(model, inputs, batch_size=7)
    with torch.no_grad():
        expected = model[0](inputs)  # dropout is off in evaluation mode
    assert torch.allclose(logits, expected, atol=1e-6)
    assert torch.allclose(predict_proba(model, inputs, batch_size=7), expected.softmax(dim=1), atol=1e-6)
    assert model.training


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"lr": 0.0}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"momentum": 1.0}, "momentum"),
        ({"progress": "no"}, "progress"),
    ],
)
def test_fit_validates(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        fit(MLP(2), _blobs(), **kwargs)


def test_fit_refuses_a_fully_frozen_model_and_bad_data():
    model = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="requires_grad"):
        fit(model, _blobs(), progress=False)
    with pytest.raises(ValueError, match="train_data"):
        fit(MLP(2), (torch.zeros(3, 2), torch.zeros(4, dtype=torch.long)))
    with pytest.raises(TypeError, match="data"):
        as_dataset([1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        evaluate(MLP(2), (torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)))
