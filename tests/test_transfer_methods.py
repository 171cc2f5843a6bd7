import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from ppml_lessons.models import SmallCNN, freeze
from ppml_lessons.transfer import extract_features
from ppml_lessons.transfer_methods import (
    PROBE_CS,
    fine_tune,
    train_early_stopped,
    train_linear_probe,
    train_scratch,
)


def _blobs(n, seed, *, scale=3.0):
    """Five overlapping Gaussian classes in 6 dimensions, on very different feature scales."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 5
    centres = torch.randn(5, 6, generator=torch.Generator().manual_seed(99))
    x = centres[labels] + torch.randn(n, 6, generator=generator)
    return x * torch.tensor([1.0, 10.0, 100.0, 0.1, 1.0, 1000.0]) * scale / 3, labels


def test_probe_is_the_converged_logistic_regression_with_the_best_validation_c():
    x, y = _blobs(200, 0)
    vx, vy = _blobs(100, 1)
    head, record = train_linear_probe(x, y, validation=(vx, vy), Cs=(0.001, 0.1, 10.0))
    # the same fits done directly with scikit-learn on standardized features
    mean, std = x.double().mean(0), x.double().std(0, unbiased=False)
    z, zv = ((x.double() - mean) / std).numpy(), ((vx.double() - mean) / std).numpy()
    scores = {}
    for c in (0.001, 0.1, 10.0):
        model = LogisticRegression(C=c, max_iter=5000, tol=1e-8).fit(z, y.numpy())
        proba = model.predict_proba(zv)
        scores[c] = (np.mean(proba.argmax(1) == vy.numpy()), -np.mean(np.log(proba[np.arange(100), vy.numpy()])), model)
    best = max(scores, key=lambda c: (scores[c][0], -scores[c][1]))
    assert record["C"] == best
    assert record["val_accuracy"] == pytest.approx(scores[best][0])
    assert record["val_loss"] == pytest.approx(scores[best][1], rel=1e-3)
    # the head takes raw features: the standardization is folded into its weights
    expected = scores[best][2].predict_proba(zv)
    assert np.allclose(torch.softmax(head(vx), dim=1).detach().numpy(), expected, atol=1e-3)
    assert record["iterations"] < 5000


def test_probe_reports_non_convergence_and_bad_input():
    x, y = _blobs(100, 0)
    with pytest.raises(RuntimeError, match="did not converge"):
        train_linear_probe(x, y, validation=(x, y), Cs=(100.0,), max_iter=2)
    with pytest.raises(ValueError, match="features must be a 2-D tensor"):
        train_linear_probe(x[:, 0], y, validation=(x, y))
    with pytest.raises(TypeError, match="validation"):
        train_linear_probe(x, y, validation=x)
    with pytest.raises(ValueError, match="Cs"):
        train_linear_probe(x, y, validation=(x, y), Cs=())
    with pytest.raises(ValueError, match=r"labels must contain every class"):
        train_linear_probe(x, y % 3, validation=(x, y % 3))
    assert PROBE_CS == (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)


def test_early_stopping_stops_after_patience_and_keeps_the_best_weights():
    x, y = _blobs(60, 0, scale=0.3)
    # lr so small that validation accuracy cannot rise: stop after exactly `patience` checks
    model = nn.Linear(6, 5)
    _, record = train_early_stopped(model, (x, y), (x, y), max_steps=1000, eval_every=3, patience=4, lr=1e-12)
    assert record["steps"] == 12 and record["best_step"] in (0, 3, 6, 9, 12)
    # a real run: the returned weights are those the record describes
    model = nn.Linear(6, 5)
    _, record = train_early_stopped(model, (x, y), (x, y), max_steps=200, eval_every=5, patience=3, lr=0.05,
                                    batch_size=16)
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert record["val_accuracy"] == pytest.approx(accuracy)
    assert record["best_step"] > 0 and record["best_step"] % 5 == 0 and record["steps"] <= 200
    with pytest.raises(ValueError, match="fully frozen"):
        train_early_stopped(freeze(nn.Linear(6, 5)), (x, y), (x, y), max_steps=1, eval_every=1, patience=1, lr=0.1)
    with pytest.raises(ValueError, match="patience"):
        train_early_stopped(nn.Linear(6, 5), (x, y), (x, y), max_steps=1, eval_every=1, patience=0, lr=0.1)


def test_same_seed_same_model():
    x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    a, record_a = train_scratch((x, y), (x, y), max_steps=3, eval_every=1, seed=2)
    b, record_b = train_scratch((x, y), (x, y), max_steps=3, eval_every=1, seed=2)
    assert record_a == record_b
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_fine_tuning_trains_a_copy_and_leaves_encoder_and_head_alone():
    encoder = freeze(SmallCNN(5).features)
    x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    head, _ = train_linear_probe(extract_features(encoder, x), y, validation=(extract_features(encoder, x), y))
    before = [p.clone() for p in [*encoder.parameters(), *head.parameters()]]
    model, record = fine_tune(encoder, head, (x, y), (x, y), max_steps=4, eval_every=1, patience=10, lr=1e-2)
    assert model(x).shape == (20, 5) and record["steps"] == 4
    assert all(p.requires_grad for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, [*encoder.parameters(), *head.parameters()], strict=True))
    assert not any(p.requires_grad for p in encoder.parameters())
    augmented, _ = fine_tune(encoder, head, (x, y), (x, y), max_steps=2, eval_every=1, augment=True)
    assert augmented(x).shape == (20, 5)
