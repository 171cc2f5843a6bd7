"""Tests of ppml_lessons.dp.ghost: ghost clipping equals clipping materialised per-sample gradients.

The reference is the vmap path of ppml_lessons.dp.dpsgd (itself checked against a
batch-of-one loop and Opacus in test_dpsgd.py). Random shapes run in float64, where
the two computations agree to ~1e-12 relative, so a tolerance of 1e-9 catches any
real difference; the lesson's CNN runs in float32 as the lesson does, with a
tolerance derived from float32's machine epsilon (see ``float32_atol``).
"""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from ppml_lessons.dp.dpsgd import clipped_sum, dp_sgd_step, per_sample_gradients, per_sample_norms
from ppml_lessons.dp.ghost import _outer_sum_sq_norms, ghost_clipped_sum, ghost_norms
from ppml_lessons.dp.models import DPCNN
from ppml_lessons.dp.trainer import train_dp_sgd

F64 = {"rtol": 1e-9, "atol": 1e-12}


def float32_atol(batch, max_grad_norm):
    """Each coordinate of a clipped sum adds `batch` terms of size at most C; float32 rounds each step of the
    two computations by eps relative, so they can differ by about batch·C·eps; allow a factor 16 for the
    different orders of summation inside the matrix products."""
    return 16 * batch * max_grad_norm * torch.finfo(torch.float32).eps


def images(n=24, seed=0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, 28, 28, generator=generator, dtype=dtype),
            torch.randint(0, 10, (n,), generator=generator))


def assert_same_clipped_sum(model, x, y, c, **tol):
    reference = clipped_sum(per_sample_gradients(model, x, y), max_grad_norm=c)
    for bookkeeping in [False, True]:
        ours, _ = ghost_clipped_sum(model, x, y, max_grad_norm=c, bookkeeping=bookkeeping)
        assert ours.keys() == reference.keys()
        for name in reference:
            torch.testing.assert_close(ours[name], reference[name], **tol)


# ----- the lesson's CNN ------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_norms_of_the_lesson_cnn_equal_the_vmap_path(activation):
    torch.manual_seed(0)
    model = DPCNN(activation=activation)
    x, y = images()
    reference = per_sample_norms(per_sample_gradients(model, x, y))
    torch.testing.assert_close(ghost_norms(model, x, y), reference, rtol=1e-5, atol=0.0)


@pytest.mark.parametrize("max_grad_norm", [0.1, 1e3])  # every example clipped; none clipped
def test_clipped_sum_of_the_lesson_cnn_equals_the_vmap_path(max_grad_norm):
    torch.manual_seed(0)
    model = DPCNN()
    x, y = images(32)
    assert_same_clipped_sum(model, x, y, max_grad_norm, rtol=1e-4, atol=float32_atol(32, min(max_grad_norm, 10.0)))


def test_lesson_cnn_in_float64_agrees_to_float64_precision():
    torch.manual_seed(0)
    model = DPCNN().double()
    x, y = images(16, dtype=torch.float64)
    assert_same_clipped_sum(model, x, y, 0.1, **F64)


# ----- random shapes, float64 ------------------------------------------------------------------
def random_case(kind, seed):
    torch.manual_seed(seed)
    if kind == "linear 2-D":
        return nn.Sequential(nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, 3)), torch.randn(9, 7)
    if kind == "linear 3-D, few positions":  # p·q < T²(p+q) is false: the gradient is materialised
        return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 8, 3)), torch.randn(9, 2, 6)
    if kind == "linear 3-D, many positions":
        return nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(30 * 3, 3)), torch.randn(9, 30, 4)
    if kind == "linear 4-D, no bias":
        return nn.Sequential(nn.Linear(4, 3, bias=False), nn.Flatten(), nn.Linear(2 * 5 * 3, 3)), torch.randn(9, 2, 5, 4)
    if kind == "conv stride padding":
        return (nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)),
                torch.randn(9, 3, 8, 8))
    if kind == "conv groups dilation":
        return (nn.Sequential(nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=2),
                              nn.Tanh(), nn.Flatten(), nn.Linear(6 * 7 * 5, 3)), torch.randn(9, 4, 7, 8))
    if kind == "conv same, valid, no bias":
        return (nn.Sequential(nn.Conv2d(2, 3, 4, padding="same", dilation=2), nn.Tanh(),
                              nn.Conv2d(3, 2, 3, padding="valid", bias=False), nn.Flatten(), nn.Linear(2 * 5 * 5, 3)),
                torch.randn(9, 2, 7, 7))
    if kind == "groupnorm":
        return (nn.Sequential(nn.Conv2d(2, 6, 3), nn.GroupNorm(3, 6), nn.Tanh(), nn.Flatten(), nn.Linear(6 * 4 * 4, 3)),
                torch.randn(9, 2, 6, 6))
    if kind == "groupnorm without affine, 2-D":
        return nn.Sequential(nn.Linear(5, 6), nn.GroupNorm(2, 6, affine=False), nn.Tanh(), nn.Linear(6, 3)), torch.randn(9, 5)
    if kind == "frozen parts":
        model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.GroupNorm(2, 4), nn.LayerNorm([4, 4, 4]), nn.Tanh(), nn.Flatten(),
                              nn.Linear(4 * 4 * 4, 3))
        for p in [model[0].bias, model[1].weight, *model[2].parameters()]:
            p.requires_grad_(False)  # a frozen LayerNorm is fine: it has nothing to clip
        return model, torch.randn(9, 2, 6, 6)
    raise AssertionError(kind)


KINDS = ["linear 2-D", "linear 3-D, few positions", "linear 3-D, many positions", "linear 4-D, no bias",
         "conv stride padding", "conv groups dilation", "conv same, valid, no bias", "groupnorm",
         "groupnorm without affine, 2-D", "frozen parts"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_shapes_equal_the_vmap_path(kind, seed):
    model, x = random_case(kind, seed)
    model, x = model.double(), x.double()
    y = torch.randint(0, 3, (len(x),), generator=torch.Generator().manual_seed(seed))
    reference = per_sample_norms(per_sample_gradients(model, x, y))
    torch.testing.assert_close(ghost_norms(model, x, y), reference, **F64)
    c = float(reference.median())  # about half the examples clipped
    assert_same_clipped_sum(model, x, y, c, **F64)


@pytest.mark.parametrize("positions, p, q", [(1, 3, 4), (2, 5, 6), (20, 3, 2)])
def test_outer_sum_norms_both_branches_equal_the_materialised_gradient(positions, p, q):
    generator = torch.Generator().manual_seed(positions)
    deltas = torch.randn(5, positions, p, generator=generator, dtype=torch.float64)
    acts = torch.randn(5, positions, q, generator=generator, dtype=torch.float64)
    materialised = torch.einsum("btp,btq->bpq", deltas, acts).square().sum((1, 2))
    torch.testing.assert_close(_outer_sum_sq_norms(deltas, acts), materialised, **F64)


def test_custom_loss_is_applied_to_each_example_on_its_own():
    model, x = random_case("conv stride padding", 0)
    model, x = model.double(), x.double()
    y = torch.randint(0, 3, (len(x),), generator=torch.Generator().manual_seed(0))

    def loss_fn(logits, labels):
        return F.cross_entropy(logits, labels, label_smoothing=0.2)

    reference = clipped_sum(per_sample_gradients(model, x, y, loss_fn=loss_fn), max_grad_norm=0.05)
    ours, _ = ghost_clipped_sum(model, x, y, max_grad_norm=0.05, loss_fn=loss_fn)
    for name in reference:
        torch.testing.assert_close(ours[name], reference[name], **F64)


def test_grads_untouched_and_empty_batch():
    model = DPCNN()
    x, y = images(4)
    ghost_clipped_sum(model, x, y, max_grad_norm=0.1)
    assert all(p.grad is None for p in model.parameters())
    sums, norms = ghost_clipped_sum(model, x[:0], y[:0], max_grad_norm=0.1)
    assert norms.shape == (0,) and all(float(s.abs().sum()) == 0 for s in sums.values())
    assert ghost_norms(model, x[:0], y[:0]).shape == (0,)


# ----- what it refuses -------------------------------------------------------------------------
@pytest.mark.parametrize("model, layer", [
    (nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 2)), r"'1' \(LayerNorm\)"),
    (nn.Sequential(nn.Conv1d(1, 2, 2), nn.Flatten(), nn.Linear(6, 2)), r"'0' \(Conv1d\)"),
    (nn.Sequential(nn.Embedding(5, 4), nn.Flatten(), nn.Linear(4, 2)), r"'0' \(Embedding\)"),
])
def test_unsupported_layers_are_named(model, layer):
    # refused before the forward pass, so the input's shape does not matter
    with pytest.raises(ValueError, match=f"ghost clipping supports .*got layer {layer}.*clipping='vmap'"):
        ghost_norms(model, torch.randn(3, 4), torch.zeros(3, dtype=torch.long))


def test_subclass_of_a_supported_layer_is_refused():
    class Scaled(nn.Linear):
        def forward(self, x):
            return 2 * super().forward(x)

    with pytest.raises(ValueError, match=r"got layer '0' \(Scaled\)"):
        ghost_norms(nn.Sequential(Scaled(3, 2)), torch.randn(2, 3), torch.tensor([0, 1]))


def test_parameter_on_the_model_itself_is_refused():
    class WithScale(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))
            self.linear = nn.Linear(3, 2)

        def forward(self, x):
            return self.scale * self.linear(x)

    with pytest.raises(ValueError, match=r"got layer '' \(the model itself\) \(WithScale\)"):
        ghost_clipped_sum(WithScale(), torch.randn(2, 3), torch.tensor([0, 1]), max_grad_norm=1.0)


def test_reflect_padding_layer_twice_and_shared_weights_are_refused():
    reflect = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), nn.Flatten(), nn.Linear(2 * 16, 2))
    with pytest.raises(ValueError, match=r"padding_mode='zeros' only; got layer '0'"):
        ghost_norms(reflect, torch.randn(2, 1, 4, 4), torch.tensor([0, 1]))
    layer = nn.Linear(3, 3)
    twice = nn.Sequential(layer, nn.Tanh(), layer)
    with pytest.raises(ValueError, match="shares a parameter"):
        ghost_norms(twice, torch.randn(2, 3), torch.tensor([0, 1]))

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(3, 3)

        def forward(self, x):
            return self.layer(torch.tanh(self.layer(x)))

    with pytest.raises(ValueError, match=r"layer 'layer' \(Linear\) ran twice"):
        ghost_norms(Twice(), torch.randn(2, 3), torch.tensor([0, 1]))


def test_argument_validation():
    model, (x, y) = DPCNN(), images(2)
    with pytest.raises(ValueError, match=r"max_grad_norm must be .*\(0, inf\).*got -1"):
        ghost_clipped_sum(model, x, y, max_grad_norm=-1.0)
    with pytest.raises(TypeError, match="bookkeeping"):
        ghost_clipped_sum(model, x, y, max_grad_norm=1.0, bookkeeping="yes")
    with pytest.raises(ValueError, match="inputs and labels must have the same length"):
        ghost_norms(model, x, y[:1])
    with pytest.raises(TypeError, match="model"):
        ghost_norms("model", x, y)


# ----- the step and the trainer ----------------------------------------------------------------
@pytest.mark.parametrize("clipping", ["ghost", "bookkeeping"])
@pytest.mark.parametrize("chunk", [None, 5])
def test_step_equals_the_vmap_step_given_the_same_noise(clipping, chunk):
    torch.manual_seed(0)
    base = DPCNN().double()
    x, y = images(12, dtype=torch.float64)
    models, stats = {}, {}
    for method in ["vmap", clipping]:
        model = copy.deepcopy(base)
        optimizer = torch.optim.SGD(model.parameters(), lr=4.0, momentum=0.9)
        stats[method] = dp_sgd_step(model, optimizer, x, y, max_grad_norm=0.1, noise_multiplier=1.0,
                                    expected_batch_size=12, generator=torch.Generator().manual_seed(3),
                                    max_physical_batch_size=chunk, clipping=method)
        models[method] = model
    assert stats["vmap"] == stats[clipping]
    for a, b in zip(models["vmap"].parameters(), models[clipping].parameters()):
        torch.testing.assert_close(a, b, **F64)
    assert any(not torch.equal(a, b) for a, b in zip(base.parameters(), models["vmap"].parameters()))


def test_step_and_trainer_validate_clipping():
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="clipping must be one of 'vmap', 'ghost', 'bookkeeping'; got 'fast'"):
        dp_sgd_step(model, optimizer, torch.randn(4, 2), torch.tensor([0, 1, 0, 1]), max_grad_norm=1.0,
                    noise_multiplier=1.0, expected_batch_size=4, clipping="fast")
    x = torch.randn(40, 2)
    with pytest.raises(ValueError, match="clipping must be one of 'vmap', 'ghost', 'bookkeeping'; got 'Ghost'"):
        train_dp_sgd(model, (x, (x[:, 0] > 0).long()), epochs=1, batch_size=10, max_grad_norm=1.0,
                     noise_multiplier=1.0, delta=1e-3, progress=False, clipping="Ghost")


def test_trainer_with_ghost_clipping_follows_the_vmap_run():
    x = torch.randn(200, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    weights = {}
    for clipping in ["vmap", "ghost", "bookkeeping"]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)).double()
        # noise_seed: the same noise in all three runs (reproducible noise is for tests only)
        train_dp_sgd(model, (x, y), epochs=3, batch_size=40, max_grad_norm=0.5, noise_multiplier=1.0, delta=1e-3,
                     lr=0.5, seed=0, noise_seed=0, progress=False, clipping=clipping)
        weights[clipping] = [p.detach().clone() for p in model.parameters()]
    for clipping in ["ghost", "bookkeeping"]:
        for a, b in zip(weights["vmap"], weights[clipping]):
            torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)
