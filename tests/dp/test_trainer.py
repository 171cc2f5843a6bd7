"""Tests of ppml_lessons.dp.trainer: Opacus's sampling conventions, accounting, reproducibility, checks."""

import math

import pytest
import torch
from torch import nn

from ppml_lessons.dp.accounting import epsilon
from ppml_lessons.dp.trainer import sampling_plan, train_dp_sgd


def toy_data(n=400, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=generator)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).long()


def test_sampling_plan_is_opacus_dp_data_loader():
    data_loader = pytest.importorskip("opacus.data_loader")
    dataset = torch.utils.data.TensorDataset(torch.zeros(1000, 1))
    for batch_size in [1, 64, 333, 1000]:
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size)
        dp_loader = data_loader.DPDataLoader.from_data_loader(loader)
        plan = sampling_plan(1000, batch_size=batch_size, epochs=3)
        assert plan["sample_rate"] == dp_loader.sample_rate
        assert plan["steps_per_epoch"] == len(loader)
        assert plan["steps"] == 3 * len(loader)
        assert plan["expected_batch_size"] == pytest.approx(1000 * dp_loader.sample_rate)


def test_history_epsilon_is_the_accountants():
    torch.manual_seed(0)
    history = train_dp_sgd(nn.Linear(5, 2), toy_data(), epochs=3, batch_size=40, max_grad_norm=1.0,
                           noise_multiplier=1.3, delta=1e-4, progress=False)
    assert history["steps"].tolist() == [10, 20, 30]
    for steps, eps in zip(history["steps"], history["epsilon"]):
        assert eps == epsilon(noise_multiplier=1.3, sample_rate=0.1, steps=int(steps), delta=1e-4)
    assert history.attrs["noise_multiplier"] == 1.3 and history.attrs["expected_batch_size"] == pytest.approx(40)


def test_target_epsilon_chooses_the_smallest_sufficient_sigma():
    torch.manual_seed(0)
    history = train_dp_sgd(nn.Linear(5, 2), toy_data(), epochs=2, batch_size=40, max_grad_norm=1.0,
                           target_epsilon=2.0, delta=1e-4, progress=False)
    final = history["epsilon"].iloc[-1]
    assert final <= 2.0
    # the bisection's relative precision is 1e-4 on σ, which moves ε by much less than 1%
    assert final == pytest.approx(2.0, rel=1e-2)


def test_same_seeds_same_model_and_it_learns():
    def run(seed, noise_seed):
        torch.manual_seed(0)
        model = nn.Linear(5, 2)
        history = train_dp_sgd(model, toy_data(), epochs=5, batch_size=50, max_grad_norm=1.0, noise_multiplier=0.5,
                               delta=1e-4, lr=0.5, eval_data=toy_data(seed=1), seed=seed, noise_seed=noise_seed,
                               progress=False)
        return model.weight.detach().clone(), history

    (w1, h1), (w2, _), (w3, _), (w4, _) = run(0, 7), run(0, 7), run(1, 7), run(0, 8)
    assert torch.equal(w1, w2) and not torch.equal(w1, w3) and not torch.equal(w1, w4)
    # a linearly separable task: a working trainer ends far above the 50% of guessing
    assert h1["eval_accuracy"].iloc[-1] > 0.8


def _final_weights(**kwargs):
    torch.manual_seed(0)
    model = nn.Linear(5, 2)
    train_dp_sgd(model, toy_data(), epochs=2, batch_size=50, max_grad_norm=1.0, noise_multiplier=1.0, delta=1e-4,
                 progress=False, **kwargs)
    return model.weight.detach().clone()


def test_noise_comes_from_os_entropy_unless_a_noise_seed_is_given():
    """A public ``seed`` must not fix the noise: two runs with the same seed (and the same batches) differ."""
    assert not torch.equal(_final_weights(seed=0), _final_weights(seed=0))
    assert not torch.equal(_final_weights(), _final_weights())  # the defaults too
    # without noise the runs agree: the difference above is the noise, not the batches
    torch.manual_seed(0)
    a, b = nn.Linear(5, 2), nn.Linear(5, 2)
    b.load_state_dict(a.state_dict())
    for model in (a, b):
        train_dp_sgd(model, toy_data(), epochs=2, batch_size=50, max_grad_norm=1.0, noise_multiplier=0.0,
                     delta=1e-4, seed=3, progress=False)
    assert torch.equal(a.weight, b.weight)


def test_noise_seed_does_not_change_the_batches():
    """The noise has its own generator: the batch sampling depends on ``seed`` alone."""
    from ppml_lessons.dp import trainer

    batches = []
    original = trainer.poisson_sample

    def recording(*args, **kwargs):
        batch = original(*args, **kwargs)
        batches[-1].append(batch.clone())
        return batch

    trainer.poisson_sample = recording
    try:
        for noise_seed in (1, 2):
            batches.append([])
            _final_weights(seed=0, noise_seed=noise_seed)
    finally:
        trainer.poisson_sample = original
    assert len(batches[0]) == 16 and all(torch.equal(a, b) for a, b in zip(*batches))


def test_ema_ends_with_the_averaged_weights():
    def run(ema_decay):
        torch.manual_seed(0)
        model = nn.Linear(5, 2)
        train_dp_sgd(model, toy_data(), epochs=2, batch_size=50, max_grad_norm=1.0, noise_multiplier=1.0,
                     delta=1e-4, ema_decay=ema_decay, progress=False)
        return model.weight.detach().clone()

    assert not torch.equal(run(None), run(0.9))


def test_on_epoch_is_called_with_each_row():
    rows = []
    train_dp_sgd(nn.Linear(5, 2), toy_data(), epochs=2, batch_size=100, max_grad_norm=1.0, noise_multiplier=1.0,
                 delta=1e-4, progress=False, on_epoch=rows.append)
    assert [row["epoch"] for row in rows] == [1, 2] and all(row["seconds"] >= 0 for row in rows)


def test_bad_input():
    data = toy_data()
    settings = {"epochs": 1, "batch_size": 40, "max_grad_norm": 1.0, "noise_multiplier": 1.0, "delta": 1e-4,
                "progress": False}
    model = nn.Linear(5, 2)
    with pytest.warns(UserWarning, match="delta should be below 1/n"):
        train_dp_sgd(model, data, **{**settings, "delta": 0.01})
    with pytest.raises(ValueError, match="exactly one of noise_multiplier and target_epsilon"):
        train_dp_sgd(model, data, **{**settings, "target_epsilon": 1.0})
    with pytest.raises(ValueError, match="noise_multiplier"):
        train_dp_sgd(model, data, **{**settings, "noise_multiplier": -1.0})
    with pytest.raises(ValueError, match="max_grad_norm"):
        train_dp_sgd(model, data, **{**settings, "max_grad_norm": 0.0})
    with pytest.raises(ValueError, match="batch_size"):
        train_dp_sgd(model, data, **{**settings, "batch_size": 401})
    with pytest.raises(ValueError, match="ema_decay"):
        train_dp_sgd(model, data, **{**settings, "ema_decay": 1.0})
    with pytest.raises(TypeError, match="train_data"):
        train_dp_sgd(model, list(data), **settings)
    with pytest.raises(ValueError, match="train_data"):
        train_dp_sgd(model, (data[0], data[1][:10]), **settings)
    with pytest.raises(TypeError, match="on_epoch"):
        train_dp_sgd(model, data, **settings, on_epoch="print")
    with pytest.raises(ValueError, match=r"noise_seed must be an integer in \[0, inf\)"):
        train_dp_sgd(model, data, **settings, noise_seed=-1)
    with pytest.raises(TypeError, match="noise_seed"):
        train_dp_sgd(model, data, **settings, noise_seed=1.5)
    with pytest.raises(ValueError, match="BatchNorm"):
        train_dp_sgd(nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)), data, **settings)
    assert math.isfinite(sampling_plan(10, batch_size=3, epochs=1)["sample_rate"])
