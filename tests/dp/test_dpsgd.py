"""Tests of ppml_lessons.dp.dpsgd: each stage of the DP-SGD pipeline on its own, then the step.

Per-sample gradients are compared with a batch-of-one loop of ordinary autograd
and with Opacus's GradSampleModule. Statistical tests are seeded and allow
Z = 5 standard errors of the statistic (a two-sided normal tail beyond 5 SE has
probability 5.7e-7), with the standard error derived in each test.
"""

import copy
import math

import pytest
import torch
from torch import nn

from ppml_lessons.dp.dpsgd import (
    add_noise,
    check_delta,
    check_dp_model,
    clip_per_sample,
    clipped_sum,
    dp_sgd_step,
    per_sample_gradients,
    per_sample_norms,
    poisson_batches,
    poisson_sample,
    privatize,
    privatize_sum,
)
from ppml_lessons.dp.models import DPCNN

Z = 5.0


def small_data(n=12, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def loop_gradients(model, inputs, labels):
    """Reference: one ordinary backward pass per example (a batch of one)."""
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    out = {name: [] for name in params}
    for x, y in zip(inputs, labels):
        model.zero_grad()
        nn.functional.cross_entropy(model(x.unsqueeze(0)), y.unsqueeze(0)).backward()
        for name, p in params.items():
            out[name].append(p.grad.detach().clone())
    return {name: torch.stack(grads) for name, grads in out.items()}


# ----- per-sample gradients ------------------------------------------------------------------
@pytest.mark.parametrize("make_model", [lambda: nn.Linear(784, 10), DPCNN,
                                        lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.GroupNorm(2, 4), nn.ReLU(),
                                                              nn.Flatten(), nn.Linear(4 * 26 * 26, 10))])
def test_per_sample_gradients_match_a_batch_of_one_loop(make_model):
    torch.manual_seed(0)
    model = make_model()
    inputs, labels = small_data()
    if isinstance(model, nn.Linear):
        inputs = inputs.flatten(1)
    ours = per_sample_gradients(model, inputs, labels)
    reference = loop_gradients(model, inputs, labels)
    assert ours.keys() == reference.keys()
    for name in ours:
        # float32 arithmetic in a different order: agreement to a few units in the last place
        torch.testing.assert_close(ours[name], reference[name], rtol=1e-4, atol=1e-6)


def test_per_sample_gradients_match_opacus_grad_sample_module():
    grad_sample = pytest.importorskip("opacus.grad_sample")
    torch.manual_seed(1)
    model = DPCNN()
    inputs, labels = small_data(16, seed=1)
    ours = per_sample_gradients(model, inputs, labels)
    wrapped = grad_sample.GradSampleModule(copy.deepcopy(model), loss_reduction="sum")
    inputs.requires_grad_(True)  # lets Opacus's full backward hooks fire on the first layer too
    nn.functional.cross_entropy(wrapped(inputs), labels, reduction="sum").backward()
    for (name, p) in wrapped._module.named_parameters():
        torch.testing.assert_close(ours[name], p.grad_sample, rtol=1e-4, atol=1e-6)


def test_frozen_parameters_are_left_out():
    model = DPCNN()
    for p in model.features.parameters():
        p.requires_grad_(False)
    inputs, labels = small_data(3)
    grads = per_sample_gradients(model, inputs, labels)
    assert set(grads) == {name for name, p in model.named_parameters() if p.requires_grad}
    assert all(name.startswith("classifier") for name in grads)


def test_empty_batch_gives_empty_gradients():
    grads = per_sample_gradients(nn.Linear(3, 2), torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    assert grads["weight"].shape == (0, 2, 3)
    assert clipped_sum(grads, max_grad_norm=1.0)["weight"].abs().sum() == 0


def test_per_sample_norms_are_the_norm_of_all_parameters_together():
    model = DPCNN()
    grads = per_sample_gradients(model, *small_data(4))
    flat = torch.cat([g.flatten(1) for g in grads.values()], dim=1)
    torch.testing.assert_close(per_sample_norms(grads), flat.norm(dim=1))


# ----- clipping ------------------------------------------------------------------------------
def test_clipping_bounds_every_norm_and_keeps_short_gradients_unchanged():
    torch.manual_seed(2)
    grads = per_sample_gradients(DPCNN(), *small_data(32, seed=2))
    norms = per_sample_norms(grads)
    c = float(norms.median())  # half the gradients are longer than C, half shorter
    clipped = clip_per_sample(grads, max_grad_norm=c)
    new_norms = per_sample_norms(clipped)
    assert torch.all(new_norms <= c * (1 + 1e-6))
    long = norms > c
    assert long.any() and (~long).any()
    torch.testing.assert_close(new_norms[long], torch.full_like(new_norms[long], c))
    for name in grads:
        assert torch.equal(clipped[name][~long], grads[name][~long])  # exactly unchanged
        # clipping only rescales: the direction of a long gradient is kept
        ratio = clipped[name][long].flatten(1) / grads[name][long].flatten(1)
        finite = torch.isfinite(ratio)
        assert torch.allclose(ratio[finite], (c / norms[long]).unsqueeze(1).expand_as(ratio)[finite])


def test_clipped_sum_is_the_sum_of_clipped_gradients():
    grads = per_sample_gradients(DPCNN(), *small_data(10))
    c = 0.1
    clipped = clip_per_sample(grads, max_grad_norm=c)
    summed = clipped_sum(grads, max_grad_norm=c)
    for name in grads:
        torch.testing.assert_close(summed[name], clipped[name].sum(dim=0))


def test_sensitivity_of_the_clipped_sum_is_at_most_c():
    """Removing any one example changes the clipped sum by at most C (the property the noise relies on)."""
    grads = per_sample_gradients(DPCNN(), *small_data(8))
    c = 0.05
    full = clipped_sum(grads, max_grad_norm=c)
    for i in range(8):
        without = clipped_sum({k: torch.cat([g[:i], g[i + 1:]]) for k, g in grads.items()}, max_grad_norm=c)
        change = math.sqrt(sum(float((full[k] - without[k]).pow(2).sum()) for k in full))
        assert change <= c * (1 + 1e-5)


# ----- noise ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("sigma", "c"), [(1.0, 1.0), (2.15, 0.1), (0.5, 3.0)])
def test_noise_scale_is_sigma_times_c(sigma, c):
    n = 200_000
    zero = {"a": torch.zeros(n // 2, dtype=torch.float64), "b": torch.zeros(n // 4, 2, dtype=torch.float64)}
    noisy = add_noise(zero, noise_multiplier=sigma, max_grad_norm=c, generator=torch.Generator().manual_seed(7))
    values = torch.cat([v.flatten() for v in noisy.values()])
    std = sigma * c
    # sample mean of n iid N(0, s²): SE s/√n; sample variance: SE s² √(2/(n-1))
    assert abs(float(values.mean())) <= Z * std / math.sqrt(n)
    assert abs(float(values.var()) - std**2) <= Z * std**2 * math.sqrt(2 / (n - 1))


def test_noise_is_reproducible_with_a_seeded_generator_and_zero_sigma_adds_nothing():
    total = {"w": torch.ones(5)}
    a = add_noise(total, noise_multiplier=1.0, max_grad_norm=1.0, generator=torch.Generator().manual_seed(3))
    b = add_noise(total, noise_multiplier=1.0, max_grad_norm=1.0, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a["w"], b["w"]) and not torch.equal(a["w"], total["w"])
    assert torch.equal(add_noise(total, noise_multiplier=0.0, max_grad_norm=1.0)["w"], total["w"])


def test_privatize_divides_by_the_expected_batch_size():
    grads = {"w": torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])}
    out = privatize(grads, max_grad_norm=1.0, noise_multiplier=0.0, expected_batch_size=10)
    torch.testing.assert_close(out["w"], torch.tensor([0.09, 0.12]))
    # noise on the average has standard deviation σ·C / (q n)
    many = privatize_sum({"w": torch.zeros(100_000)}, max_grad_norm=0.5, noise_multiplier=2.0, expected_batch_size=4,
                         generator=torch.Generator().manual_seed(0))
    std = 2.0 * 0.5 / 4
    assert abs(float(many["w"].std()) ** 2 - std**2) <= Z * std**2 * math.sqrt(2 / (100_000 - 1))


# ----- Poisson sampling ----------------------------------------------------------------------
def test_poisson_batch_sizes_are_binomial():
    n, q, steps = 1000, 0.03, 2000
    sizes = torch.tensor([len(b) for b in poisson_batches(n, sample_rate=q, steps=steps,
                                                          generator=torch.Generator().manual_seed(5))],
                         dtype=torch.float64)
    mean, var = n * q, n * q * (1 - q)  # Binomial(n, q)
    assert abs(float(sizes.mean()) - mean) <= Z * math.sqrt(var / steps)
    # Var(s²) = σ⁴ (2/(k-1) + κ/k) with the binomial's excess kurtosis κ = (1 - 6q(1-q)) / (n q (1-q))
    kurtosis = (1 - 6 * q * (1 - q)) / var
    assert abs(float(sizes.var()) - var) <= Z * var * math.sqrt(2 / (steps - 1) + kurtosis / steps)


def test_poisson_sample_is_sorted_unique_and_reproducible():
    a = poisson_sample(500, sample_rate=0.2, generator=torch.Generator().manual_seed(1))
    b = poisson_sample(500, sample_rate=0.2, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and torch.equal(a, torch.unique(a)) and int(a.max()) < 500
    assert len(poisson_sample(50, sample_rate=1.0)) == 50


# ----- the step ------------------------------------------------------------------------------
def test_step_without_noise_or_clipping_is_plain_sgd():
    torch.manual_seed(0)
    model = DPCNN()
    twin = copy.deepcopy(model)
    inputs, labels = small_data(16)
    dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=0.5), inputs, labels, max_grad_norm=1e6,
                noise_multiplier=0.0, expected_batch_size=16)
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.5)
    nn.functional.cross_entropy(twin(inputs), labels).backward()
    optimizer.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


def test_physical_batches_give_the_same_step():
    torch.manual_seed(0)
    model = DPCNN()
    twin = copy.deepcopy(model)
    inputs, labels = small_data(20)
    settings = {"max_grad_norm": 0.1, "noise_multiplier": 1.0, "expected_batch_size": 20}
    stats = dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=1.0), inputs, labels,
                        generator=torch.Generator().manual_seed(4), **settings)
    dp_sgd_step(twin, torch.optim.SGD(twin.parameters(), lr=1.0), inputs, labels, max_physical_batch_size=6,
                generator=torch.Generator().manual_seed(4), **settings)
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)
    assert stats["batch_size"] == 20 and 0 <= stats["clipped_fraction"] <= 1


def test_step_on_an_empty_batch_is_pure_noise():
    model = nn.Linear(2, 2)
    before = copy.deepcopy(model)
    stats = dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=1.0), torch.zeros(0, 2),
                        torch.zeros(0, dtype=torch.long), max_grad_norm=1.0, noise_multiplier=1.0,
                        expected_batch_size=4, generator=torch.Generator().manual_seed(0))
    assert stats == {"batch_size": 0, "clipped_fraction": 0.0}
    assert not torch.equal(model.weight, before.weight)


# ----- bad input -----------------------------------------------------------------------------
def test_batchnorm_is_refused_with_an_explanation_and_groupnorm_is_accepted():
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.Tanh(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10))
    with pytest.raises(ValueError, match=r"model must not contain BatchNorm.*'1' \(BatchNorm2d\).*GroupNorm"):
        check_dp_model(model)
    with pytest.raises(ValueError, match="BatchNorm"):
        dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=1.0), *small_data(2), max_grad_norm=1.0,
                    noise_multiplier=1.0, expected_batch_size=2)
    validators = pytest.importorskip("opacus.validators")
    fixed = validators.ModuleValidator.fix(model)
    assert check_dp_model(fixed) is fixed and isinstance(fixed[1], nn.GroupNorm)


def test_frozen_model_is_refused():
    model = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="requires_grad"):
        check_dp_model(model)


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"noise_multiplier": -0.5}, ValueError, r"noise_multiplier must be a float in \[0, inf\); got -0.5"),
    ({"max_grad_norm": 0.0}, ValueError, r"max_grad_norm must be a float in \(0, inf\); got 0.0"),
    ({"max_grad_norm": -1.0}, ValueError, "max_grad_norm"),
    ({"expected_batch_size": 0}, ValueError, "expected_batch_size"),
    ({"generator": 3}, TypeError, "generator"),
])
def test_step_validates(kwargs, error, name):
    model = nn.Linear(2, 2)
    settings = {"max_grad_norm": 1.0, "noise_multiplier": 1.0, "expected_batch_size": 2, **kwargs}
    with pytest.raises(error, match=name):
        dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=1.0), torch.zeros(2, 2),
                    torch.zeros(2, dtype=torch.long), **settings)


@pytest.mark.parametrize("rate", [0.0, -0.1, 1.5])
def test_sample_rate_outside_0_1_is_refused(rate):
    with pytest.raises(ValueError, match=r"sample_rate must be a float in \(0, 1\]"):
        poisson_sample(10, sample_rate=rate)
    with pytest.raises(ValueError, match="sample_rate"):
        list(poisson_batches(10, sample_rate=rate, steps=1))


def test_delta_not_below_one_over_n_warns():
    with pytest.warns(UserWarning, match=r"delta should be below 1/n = 1/1000"):
        check_delta(1e-3, 1000)
    with pytest.raises(ValueError, match="delta"):
        check_delta(0.0, 1000)
    assert check_delta(1e-5, 60_000) == 1e-5


def test_other_arguments_are_checked():
    with pytest.raises(ValueError, match="inputs and labels"):
        per_sample_gradients(nn.Linear(2, 2), torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match="model"):
        per_sample_gradients("model", torch.zeros(3, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="grads"):
        per_sample_norms({})
    with pytest.raises(TypeError, match="optimizer"):
        dp_sgd_step(nn.Linear(2, 2), "sgd", torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), max_grad_norm=1.0,
                    noise_multiplier=1.0, expected_batch_size=2)
    with pytest.raises(ValueError, match="max_physical_batch_size"):
        model = nn.Linear(2, 2)
        dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=1.0), torch.zeros(2, 2),
                    torch.zeros(2, dtype=torch.long), max_grad_norm=1.0, noise_multiplier=1.0, expected_batch_size=2,
                    max_physical_batch_size=0)


def test_step_equals_opacus_dp_optimizer_without_noise():
    """Same batch, same clipping, σ = 0: our step and Opacus's DPOptimizer move the weights identically."""
    opacus = pytest.importorskip("opacus")
    torch.manual_seed(3)
    model = DPCNN()
    twin = opacus.GradSampleModule(copy.deepcopy(model))
    inputs, labels = small_data(24, seed=3)
    dp_sgd_step(model, torch.optim.SGD(model.parameters(), lr=2.0, momentum=0.9), inputs, labels,
                max_grad_norm=0.05, noise_multiplier=0.0, expected_batch_size=30)
    optimizer = opacus.optimizers.DPOptimizer(torch.optim.SGD(twin.parameters(), lr=2.0, momentum=0.9),
                                              noise_multiplier=0.0, max_grad_norm=0.05, expected_batch_size=30)
    inputs.requires_grad_(True)
    nn.functional.cross_entropy(twin(inputs), labels).backward()
    optimizer.step()
    for p, q in zip(model.parameters(), twin._module.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)
