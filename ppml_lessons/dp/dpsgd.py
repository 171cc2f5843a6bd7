"""DP-SGD from scratch, as an explicit pipeline of small functions (lesson 04).

One step of DP-SGD (Abadi et al., 2016) on a batch drawn by Poisson sampling:

1. :func:`poisson_sample`: every example joins the batch independently with
   probability q (the *sample rate*), so the batch size varies from step to step;
2. :func:`per_sample_gradients`: one gradient per example, with ``torch.func``
   (``vmap`` over ``grad``) instead of a Python loop;
3. :func:`clip_per_sample`: scale each example's gradient down to norm at most C
   (:func:`clipped_sum` does steps 3 and the sum in one pass);
4. :func:`add_noise`: add Gaussian noise of standard deviation σ·C to the sum;
5. divide by the *expected* batch size q·n (not the realised one, which would
   depend on the data), and let an ordinary optimizer take the step
   (:func:`dp_sgd_step` runs 2 to 5).

Clipping bounds what one person can change in the sum (sensitivity C), the
noise hides it, and :mod:`ppml_lessons.dp.accounting` adds up the privacy spent
over the steps. :func:`check_dp_model` refuses models that mix examples
(BatchNorm), and :func:`check_delta` warns about a δ that is too large.

Warnings
--------
For teaching. The noise is ordinary floating-point Gaussian noise from
``torch.normal``, which leaks a little through its least significant bits
(Mironov, 2012) and is not cryptographically random: for real deployments use
Opacus with ``secure_mode=True`` (a cryptographically secure generator and a
sum of several Gaussian draws: a heuristic mitigation of the known
floating-point attacks, Holohan & Braghin 2021, not a proof; timing side
channels are a separate risk, Jin et al. 2022).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from .._validation import check_number, check_option, check_type
from .ghost import ghost_clipped_sum

__all__ = [
    "check_dp_model",
    "check_delta",
    "poisson_sample",
    "poisson_batches",
    "per_sample_gradients",
    "per_sample_norms",
    "clip_per_sample",
    "clipped_sum",
    "add_noise",
    "privatize_sum",
    "privatize",
    "dp_sgd_step",
    "CLIPPING_METHODS",
]

#: The ways :func:`dp_sgd_step` can compute the clipped sum (its ``clipping`` argument).
CLIPPING_METHODS = ("vmap", "ghost", "bookkeeping")

Gradients = dict[str, torch.Tensor]
LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


# ----- checks ------------------------------------------------------------------------------
def check_dp_model(model: nn.Module) -> nn.Module:
    """Refuse a model that per-sample DP-SGD cannot train: one with BatchNorm, or nothing to train.

    BatchNorm normalises each example with the mean and variance of the whole
    batch, so one example's output, and its "own" gradient, depend on every
    other example in the batch. Clipping a per-example gradient then no longer
    bounds that person's influence on the update, and the privacy analysis
    fails. Layers that treat each example on its own (GroupNorm, LayerNorm,
    InstanceNorm) are fine; Opacus's ``ModuleValidator.fix`` swaps BatchNorm for
    GroupNorm automatically. Used by lesson 04.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    torch.nn.Module
        ``model``, unchanged.

    Raises
    ------
    ValueError
        If the model holds a BatchNorm layer or has no trainable parameter.

    Examples
    --------
    >>> _ = check_dp_model(nn.Sequential(nn.Conv2d(1, 8, 3), nn.GroupNorm(4, 8)))
    >>> check_dp_model(nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8)))
    Traceback (most recent call last):
    ...
    ValueError: model must not contain BatchNorm (DP-SGD needs per-example gradients); got layer '1' (BatchNorm2d). ...
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            channels = getattr(module, "num_features", "C")
            raise ValueError(
                f"model must not contain BatchNorm (DP-SGD needs per-example gradients); got layer {name!r} "
                f"({type(module).__name__}). BatchNorm normalises each example with statistics of the whole "
                "batch, so an example's gradient depends on the others and clipping it no longer bounds one "
                f"person's influence. Use nn.GroupNorm(num_groups, {channels}) (or LayerNorm) instead, e.g. with "
                "opacus.validators.ModuleValidator.fix(model)."
            )
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model must have at least one parameter with requires_grad=True; got a fully frozen model")
    return model


def check_delta(delta: float, n: int) -> float:
    """Check δ in (0, 1) and warn when it is not below 1/n, the size of the private dataset.

    A mechanism that publishes each person's record with probability δ is
    (0, δ)-DP; with δ ≥ 1/n it is expected to publish someone's full record.
    So δ must be well below 1/n (the usual choice is δ < 1/n, e.g. 1e-5 for
    60,000 examples). Used by lesson 04's trainer.

    Examples
    --------
    >>> check_delta(1e-5, 60_000)
    1e-05
    """
    delta = check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)
    n = check_number("n", n, low=1, integer=True)
    if delta >= 1 / n:
        warnings.warn(
            f"delta should be below 1/n = 1/{n} = {1 / n:.3g}; got {delta!r}. With delta >= 1/n, a mechanism "
            "that publishes a random person's record in full meets the guarantee; choose e.g. delta <= 1/(10 n).",
            UserWarning,
            stacklevel=2,
        )
    return delta


def _sample_rate(value: float) -> float:
    return check_number("sample_rate", value, low=0, high=1, low_open=True)


def _max_grad_norm(value: float) -> float:
    return check_number("max_grad_norm", value, low=0, low_open=True, high=math.inf, high_open=True)


def _noise_multiplier(value: float) -> float:
    return check_number("noise_multiplier", value, low=0, high=math.inf, high_open=True)


def _generator(generator: torch.Generator | None) -> torch.Generator:
    if generator is None:
        fresh = torch.Generator()
        fresh.seed()  # non-deterministic: results differ from run to run
        return fresh
    return check_type("generator", generator, torch.Generator, "a torch.Generator or None")


# ----- 1. Poisson sampling -----------------------------------------------------------------
def poisson_sample(n: int, *, sample_rate: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Indices of a Poisson-sampled batch: each of ``n`` examples is in it with probability ``sample_rate``.

    The batch size is random (Binomial(n, q), possibly 0). This is the sampling
    the privacy analysis assumes; shuffling into fixed-size batches is not.
    Used by lesson 04.

    Parameters
    ----------
    n : int
        Dataset size, in [1, inf).
    sample_rate : float
        q, in (0, 1].
    generator : torch.Generator, optional
        Source of randomness (a fresh unseeded one if None).

    Returns
    -------
    torch.Tensor
        Sorted int64 indices.

    Examples
    --------
    >>> batch = poisson_sample(1000, sample_rate=0.1, generator=torch.Generator().manual_seed(0))
    >>> 50 < len(batch) < 150
    True
    """
    n = check_number("n", n, low=1, integer=True)
    q = _sample_rate(sample_rate)
    draws = torch.rand(n, generator=_generator(generator))
    return torch.nonzero(draws < q).flatten()


def poisson_batches(
    n: int, *, sample_rate: float, steps: int, generator: torch.Generator | None = None
) -> Iterator[torch.Tensor]:
    """Yield ``steps`` Poisson-sampled batches of indices (see :func:`poisson_sample`); used by lesson 04.

    Examples
    --------
    >>> sizes = [len(b) for b in poisson_batches(100, sample_rate=0.5, steps=3, generator=torch.Generator())]
    >>> len(sizes)
    3
    """
    n = check_number("n", n, low=1, integer=True)
    q = _sample_rate(sample_rate)
    steps = check_number("steps", steps, low=0, integer=True)
    generator = _generator(generator)
    for _ in range(steps):
        yield poisson_sample(n, sample_rate=q, generator=generator)


# ----- 2. per-sample gradients -------------------------------------------------------------
def per_sample_gradients(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, *, loss_fn: LossFunction | None = None
) -> Gradients:
    """The gradient of each example's loss with respect to every trainable parameter.

    ``torch.func.grad`` differentiates the loss of *one* example (a batch of
    one), and ``torch.func.vmap`` maps that over the batch, so the work is
    batched instead of a Python loop. Frozen parameters are left out.
    Used by lesson 04.

    Parameters
    ----------
    model : torch.nn.Module
        Without BatchNorm (see :func:`check_dp_model`).
    inputs : torch.Tensor
        A batch ``(B, ...)``.
    labels : torch.Tensor
        ``(B,)``.
    loss_fn : callable, optional
        ``loss_fn(logits, labels)`` with mean reduction; default cross-entropy.

    Returns
    -------
    dict of str to torch.Tensor
        For each trainable parameter name, a tensor ``(B, *parameter.shape)``.

    Examples
    --------
    >>> model = nn.Linear(3, 2)
    >>> grads = per_sample_gradients(model, torch.randn(5, 3), torch.tensor([0, 1, 0, 1, 1]))
    >>> tuple(grads["weight"].shape), tuple(grads["bias"].shape)
    ((5, 2, 3), (5, 2))
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor (batch, ...)")
    check_type("labels", labels, torch.Tensor, "a torch.Tensor (batch,)")
    if len(inputs) != len(labels):
        raise ValueError(f"inputs and labels must have the same length; got {len(inputs)} and {len(labels)}")
    loss_fn = loss_fn or nn.functional.cross_entropy
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    if len(inputs) == 0:
        return {name: p.new_zeros((0, *p.shape)) for name, p in params.items()}

    def loss_of_one(parameters: Gradients, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, parameters, (x.unsqueeze(0),))
        return loss_fn(logits, y.unsqueeze(0))

    return vmap(grad(loss_of_one), in_dims=(None, 0, 0), randomness="different")(params, inputs, labels)


def per_sample_norms(grads: Gradients) -> torch.Tensor:
    """The L2 norm of each example's whole gradient (all parameters together), shape ``(B,)``; lesson 04.

    Examples
    --------
    >>> per_sample_norms({"w": torch.tensor([[3.0, 0.0], [0.0, 0.0]]), "b": torch.tensor([[4.0], [1.0]])})
    tensor([5., 1.])
    """
    check_type("grads", grads, dict, "a dict of per-sample gradients (name -> (B, ...) tensor)")
    if not grads:
        raise ValueError("grads must hold at least one parameter's per-sample gradients; got an empty dict")
    norms = [g.abs() if g.ndim == 1 else torch.linalg.vector_norm(g, dim=tuple(range(1, g.ndim)))
             for g in grads.values()]  # one norm per example and parameter, without copying the gradients
    return torch.linalg.vector_norm(torch.stack(norms), dim=0)


# ----- 3. clipping -------------------------------------------------------------------------
def _clip_factors(grads: Gradients, max_grad_norm: float) -> torch.Tensor:
    norms = per_sample_norms(grads)
    # min(1, C / norm): exactly 1 up to C (and for norm 0); a tensor division, as `float / tensor` is
    # computed as float * (1 / tensor), which can round C / C to just below 1
    return torch.clamp(torch.full_like(norms, max_grad_norm) / norms, max=1.0)


def clip_per_sample(grads: Gradients, *, max_grad_norm: float) -> Gradients:
    """Scale each example's gradient to norm at most C: g_i · min(1, C / ‖g_i‖).

    Gradients already shorter than C are returned unchanged. Used by lesson 04.

    Parameters
    ----------
    grads : dict of str to torch.Tensor
        Per-sample gradients from :func:`per_sample_gradients`.
    max_grad_norm : float
        C, in (0, inf).

    Returns
    -------
    dict of str to torch.Tensor

    Examples
    --------
    >>> clipped = clip_per_sample({"w": torch.tensor([[3.0, 4.0], [0.3, 0.4]])}, max_grad_norm=1.0)
    >>> clipped["w"]
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    max_grad_norm = _max_grad_norm(max_grad_norm)
    factors = _clip_factors(grads, max_grad_norm)
    return {name: g * factors.reshape(-1, *([1] * (g.ndim - 1))) for name, g in grads.items()}


def clipped_sum(grads: Gradients, *, max_grad_norm: float) -> Gradients:
    """Σ_i clip(g_i): the clipped per-sample gradients summed over the batch, in one pass.

    Equal to ``clip_per_sample(grads, ...)[name].sum(0)`` without storing the
    clipped copies. Changing one example changes this sum by at most C.
    Used by lesson 04.

    Examples
    --------
    >>> clipped_sum({"w": torch.tensor([[3.0, 4.0], [0.3, 0.4]])}, max_grad_norm=1.0)["w"]
    tensor([0.9000, 1.2000])
    """
    max_grad_norm = _max_grad_norm(max_grad_norm)
    factors = _clip_factors(grads, max_grad_norm)
    return {name: torch.tensordot(factors, g, dims=1) for name, g in grads.items()}


# ----- 4. noise ----------------------------------------------------------------------------
def add_noise(
    grad_sum: Gradients,
    *,
    noise_multiplier: float,
    max_grad_norm: float,
    generator: torch.Generator | None = None,
) -> Gradients:
    """Add Gaussian noise N(0, (σ·C)²) to every coordinate of a clipped sum.

    The sum has L2 sensitivity C (one person's clipped gradient), so this is the
    Gaussian mechanism with noise multiplier σ. Used by lesson 04.

    Parameters
    ----------
    grad_sum : dict of str to torch.Tensor
        From :func:`clipped_sum`.
    noise_multiplier : float
        σ, in [0, inf).
    max_grad_norm : float
        C, in (0, inf).
    generator : torch.Generator, optional
        Source of the noise (a fresh unseeded one if None). The noise is drawn on
        the generator's device and moved to the gradients' device.

    Returns
    -------
    dict of str to torch.Tensor

    Examples
    --------
    >>> noisy = add_noise({"w": torch.zeros(10_000)}, noise_multiplier=2.0, max_grad_norm=0.5,
    ...                   generator=torch.Generator().manual_seed(0))
    >>> round(float(noisy["w"].std()), 1)  # σ·C
    1.0
    """
    sigma, c = _noise_multiplier(noise_multiplier), _max_grad_norm(max_grad_norm)
    generator = _generator(generator)
    noisy = {}
    for name, total in grad_sum.items():
        noise = torch.normal(0.0, sigma * c, size=total.shape, generator=generator, device=generator.device)
        noisy[name] = total + noise.to(device=total.device, dtype=total.dtype)
    return noisy


def privatize_sum(
    grad_sum: Gradients,
    *,
    max_grad_norm: float,
    noise_multiplier: float,
    expected_batch_size: float,
    generator: torch.Generator | None = None,
) -> Gradients:
    """Add noise to an already clipped sum and divide by the expected batch size (steps 4 and 5); lesson 04.

    Examples
    --------
    >>> privatize_sum({"w": torch.tensor([2.0])}, max_grad_norm=1.0, noise_multiplier=0.0, expected_batch_size=4)
    {'w': tensor([0.5000])}
    """
    size = check_number("expected_batch_size", expected_batch_size, low=0, low_open=True, high=math.inf,
                        high_open=True)
    noisy = add_noise(grad_sum, noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm, generator=generator)
    return {name: g / size for name, g in noisy.items()}


def privatize(
    grads: Gradients,
    *,
    max_grad_norm: float,
    noise_multiplier: float,
    expected_batch_size: float,
    generator: torch.Generator | None = None,
) -> Gradients:
    """Clip, sum, add noise, and divide by the expected batch size q·n: the private gradient.

    Dividing by the realised batch size would leak it (it depends on who is in
    the data); q·n is public. Used by lesson 04.

    Examples
    --------
    >>> grads = {"w": torch.tensor([[3.0, 4.0], [0.3, 0.4]])}
    >>> privatize(grads, max_grad_norm=1.0, noise_multiplier=0.0, expected_batch_size=2)["w"]
    tensor([0.4500, 0.6000])
    """
    return privatize_sum(clipped_sum(grads, max_grad_norm=max_grad_norm), max_grad_norm=max_grad_norm,
                         noise_multiplier=noise_multiplier, expected_batch_size=expected_batch_size,
                         generator=generator)


# ----- 5. the step -------------------------------------------------------------------------
def dp_sgd_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    max_grad_norm: float,
    noise_multiplier: float,
    expected_batch_size: float,
    generator: torch.Generator | None = None,
    loss_fn: LossFunction | None = None,
    max_physical_batch_size: int | None = None,
    clipping: str = "vmap",
) -> dict[str, float]:
    """One DP-SGD step on a (Poisson-sampled) batch: per-sample gradients, clip, sum, noise, average, step.

    The private gradient is written into each parameter's ``.grad`` and
    ``optimizer.step()`` applies it, so any torch optimizer (SGD with momentum,
    Adam) works: what it does with the private gradient is post-processing.
    ``max_physical_batch_size`` splits a large batch into chunks whose
    per-sample gradients are computed one after the other (like Opacus's
    ``BatchMemoryManager``): same result, less memory. ``clipping`` chooses
    how the clipped sum is computed: ``"vmap"`` materialises the per-sample
    gradients (:func:`per_sample_gradients`, any model without BatchNorm);
    ``"ghost"`` computes their norms from activations and output gradients and
    the sum by a second backward pass (:func:`ppml_lessons.dp.ghost.ghost_clipped_sum`:
    faster and lighter, for models of Linear, Conv2d and GroupNorm layers);
    ``"bookkeeping"`` is ghost clipping with the second backward pass replaced
    by weight gradients formed from the stored activations (the fastest). All
    three give the same step up to float rounding. Used by lesson 04.

    Returns
    -------
    dict
        ``batch_size`` (realised) and ``clipped_fraction`` (share of examples
        whose gradient was longer than C). These describe the private batch and
        are for monitoring only: they are not differentially private.

    Examples
    --------
    >>> model = nn.Linear(4, 3)
    >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    >>> stats = dp_sgd_step(model, optimizer, x, y, max_grad_norm=1.0, noise_multiplier=1.0,
    ...                     expected_batch_size=8, generator=torch.Generator().manual_seed(0))
    >>> stats["batch_size"]
    8
    """
    check_dp_model(model)
    check_type("optimizer", optimizer, torch.optim.Optimizer, "a torch.optim.Optimizer")
    c = _max_grad_norm(max_grad_norm)
    if max_physical_batch_size is not None:
        check_number("max_physical_batch_size", max_physical_batch_size, low=1, integer=True)
    check_option("clipping", clipping, CLIPPING_METHODS)
    chunk = max_physical_batch_size or max(len(inputs), 1)
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    clipped = 0
    for start in range(0, len(inputs), chunk):
        x, y = inputs[start:start + chunk], labels[start:start + chunk]
        if clipping in ("ghost", "bookkeeping"):
            sums, norms = ghost_clipped_sum(model, x, y, max_grad_norm=c, loss_fn=loss_fn,
                                            bookkeeping=clipping == "bookkeeping")
        else:
            grads = per_sample_gradients(model, x, y, loss_fn=loss_fn)
            sums, norms = clipped_sum(grads, max_grad_norm=c), per_sample_norms(grads)
            del grads
        clipped += int((norms > c).sum())
        for name, value in sums.items():
            total[name] += value
    private = privatize_sum(total, max_grad_norm=c, noise_multiplier=noise_multiplier,
                            expected_batch_size=expected_batch_size, generator=generator)
    for name, p in params.items():
        p.grad = private[name]
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return {"batch_size": len(inputs), "clipped_fraction": clipped / max(len(inputs), 1)}
