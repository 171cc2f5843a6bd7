"""Ghost clipping: DP-SGD's clipped sum without per-example gradients (lesson 04).

DP-SGD needs two things from each example's gradient g_i: its norm ‖g_i‖, to
compute the clipping factor c_i = min(1, C / ‖g_i‖), and the clipped sum
Σ_i c_i g_i. Neither needs g_i itself (Goodfellow, 2015; Lee & Kifer, 2021;
Li, Tramèr, Liang & Hashimoto, 2022; Bu, Wang, Zha & Karypis, 2023):

1. **Norms from what backpropagation already has.** A linear layer maps an
   input a_i to W a_i; with δ_i the gradient of example i's loss with respect
   to the layer's output, the gradient for W is the outer product δ_i a_iᵀ, so

       ‖δ_i a_iᵀ‖² = ‖a_i‖² · ‖δ_i‖²,

   two vectors' norms instead of a d_out × d_in matrix. When the layer is
   applied at T positions (a sequence, or a convolution's patches), the
   gradient is Σ_t δ_it a_itᵀ and its squared norm is the *Gram form*
   Σ_{t,s} (a_it · a_is)(δ_it · δ_is), which costs T² instead of d_out·d_in per
   example; :func:`ghost_norms` takes whichever is cheaper per layer
   (Bu et al.'s "mixed" ghost norm). A convolution is a linear layer on its
   input's patches (what ``torch.nn.functional.unfold`` extracts); GroupNorm's affine
   parameters have gradients Σ δ·x̂ and Σ δ over each channel.
2. **The clipped sum as an ordinary backward pass.** Σ_i c_i g_i is the
   gradient of the reweighted loss Σ_i c_i ℓ_i (with the c_i held fixed), so one
   more backward pass through the same graph gives it (:func:`ghost_clipped_sum`).

The result equals clipping materialised per-example gradients
(:func:`ppml_lessons.dp.dpsgd.clipped_sum`) up to float rounding; the test suite
checks this. Only layers whose per-example norm is worked out here may hold
trainable parameters (:data:`SUPPORTED_LAYERS`); others raise an error naming
the layer (use ``clipping="vmap"`` for them). Parameter-free layers (activations,
pooling, flattening, dropout) can be anything. Opacus ships the same idea as
"fast gradient clipping" (``grad_sample_mode="ghost"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.func import vmap
from torch.nn import functional as F

from .._validation import check_bool, check_number, check_type

__all__ = ["SUPPORTED_LAYERS", "ghost_norms", "ghost_clipped_sum"]

Gradients = dict[str, torch.Tensor]
LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: Layer types that may hold trainable parameters under ghost clipping (exact types, not subclasses,
#: since a subclass may compute something else in its ``forward``).
SUPPORTED_LAYERS: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv2d, nn.GroupNorm)


# ----- which layers, and what they saw -----------------------------------------------------
def _trainable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The modules that own trainable parameters; refuse those whose norm this module cannot compute."""
    layers, owners = {}, {}
    for name, module in model.named_modules(remove_duplicate=False):
        own = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if not own:
            continue
        label = repr(name) if name else "'' (the model itself)"
        for p in own:  # a parameter shared by two layers (or a layer used at two places) would need cross terms
            if id(p) in owners:
                raise ValueError(f"ghost clipping needs each trainable parameter in one layer only; layer {label} "
                                 f"shares a parameter with layer {owners[id(p)]!r}. Use clipping='vmap' for this model.")
            owners[id(p)] = name
        if type(module) not in SUPPORTED_LAYERS:
            supported = ", ".join(f"nn.{t.__name__}" for t in SUPPORTED_LAYERS)
            raise ValueError(
                f"ghost clipping supports trainable parameters only in {supported} layers; got layer {label} "
                f"({type(module).__name__}). Use clipping='vmap' for this model, or freeze that layer.")
        if isinstance(module, nn.Conv2d) and module.padding_mode != "zeros":
            raise ValueError(f"ghost clipping supports Conv2d with padding_mode='zeros' only; got layer {label} "
                             f"with padding_mode={module.padding_mode!r}. Use clipping='vmap' for this model.")
        layers[name] = module
    return layers


def _record(model: nn.Module, layers: dict[str, nn.Module], inputs: torch.Tensor):
    """Run the model once, keeping each trainable layer's input (detached) and output (in the graph)."""
    seen: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def hook_for(name: str):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            if name in seen:  # shared weights: the norm would need cross terms between the two uses
                raise ValueError(f"ghost clipping needs each layer to run once per forward pass; layer {name!r} "
                                 f"({type(module).__name__}) ran twice. Use clipping='vmap' for this model.")
            seen[name] = (args[0].detach(), output)
        return hook

    handles = [module.register_forward_hook(hook_for(name)) for name, module in layers.items()]
    try:
        logits = model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return logits, seen


# ----- per-example squared norms, layer by layer -------------------------------------------
def _outer_sum_sq_norms(deltas: torch.Tensor, acts: torch.Tensor) -> torch.Tensor:
    """‖Σ_t δ_t a_tᵀ‖²_F for each example, for ``deltas`` (N, T, p) and ``acts`` (N, T, q); shape (N,)."""
    positions, p, q = deltas.shape[1], deltas.shape[2], acts.shape[2]
    if positions == 1:  # one position: ‖δ aᵀ‖² = ‖a‖² ‖δ‖²
        return deltas.square().sum((1, 2)) * acts.square().sum((1, 2))
    if positions * positions * (p + q) < positions * p * q:  # Gram form: T×T instead of p×q per example
        return (torch.bmm(acts, acts.transpose(1, 2)) * torch.bmm(deltas, deltas.transpose(1, 2))).sum((1, 2))
    return torch.bmm(deltas.transpose(1, 2), acts).square().sum((1, 2))  # the p×q gradient is the smaller


def _linear_sq_norms(layer: nn.Linear, x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    batch = len(x)
    acts, deltas = x.reshape(batch, -1, x.shape[-1]), delta.reshape(batch, -1, delta.shape[-1])  # (B, T, ·)
    total = x.new_zeros(batch)
    if layer.weight.requires_grad:
        total = total + _outer_sum_sq_norms(deltas, acts)
    if layer.bias is not None and layer.bias.requires_grad:
        total = total + deltas.sum(1).square().sum(1)
    return total


def _padded(layer: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """The input with the layer's zero padding added."""
    (kh, kw), (dh, dw) = layer.kernel_size, layer.dilation
    if layer.padding == "valid":
        return x
    if layer.padding == "same":  # the extra row or column, if any, goes at the end, as in torch
        pads = [dw * (kw - 1) // 2, dw * (kw - 1) - dw * (kw - 1) // 2,
                dh * (kh - 1) // 2, dh * (kh - 1) - dh * (kh - 1) // 2]
    else:
        pads = [layer.padding[1], layer.padding[1], layer.padding[0], layer.padding[0]]
    return F.pad(x, pads)


def _patches(layer: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """The input patches each output position sees, ``(B, L, C_in·kh·kw)``: what ``F.unfold`` gives, transposed.

    Built from strided views of the padded input and one copy (``F.unfold`` is many times slower on CPU).
    """
    (kh, kw), (sh, sw), (dh, dw) = layer.kernel_size, layer.stride, layer.dilation
    x = _padded(layer, x)
    windows = x.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)[..., ::dh, ::dw]
    batch, channels, height, width = windows.shape[:4]  # windows: (B, C_in, H_out, W_out, kh, kw)
    return windows.permute(0, 2, 3, 1, 4, 5).reshape(batch, height * width, channels * kh * kw)


def _conv_sq_norms(layer: nn.Conv2d, x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    batch, groups = len(x), layer.groups
    total = x.new_zeros(batch)
    if layer.weight.requires_grad:  # a linear layer from each group's patches to its output channels
        patches = _patches(layer, x)
        positions = patches.shape[1]
        acts = patches.reshape(batch, positions, groups, -1).transpose(1, 2).reshape(batch * groups, positions, -1)
        deltas = delta.reshape(batch * groups, -1, positions).transpose(1, 2)  # (B·G, L, C_out/G)
        total = total + _outer_sum_sq_norms(deltas, acts).reshape(batch, groups).sum(1)
    if layer.bias is not None and layer.bias.requires_grad:
        total = total + delta.sum((2, 3)).square().sum(1)
    return total


def _group_norm_sq_norms(layer: nn.GroupNorm, x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    batch, channels = x.shape[0], x.shape[1]
    total = x.new_zeros(batch)
    if layer.weight is not None and layer.weight.requires_grad:  # y = x̂·γ + β, channel by channel
        normalised = F.group_norm(x, layer.num_groups, eps=layer.eps)
        total = total + (delta * normalised).reshape(batch, channels, -1).sum(2).square().sum(1)
    if layer.bias is not None and layer.bias.requires_grad:
        total = total + delta.reshape(batch, channels, -1).sum(2).square().sum(1)
    return total


_SQ_NORMS = {nn.Linear: _linear_sq_norms, nn.Conv2d: _conv_sq_norms, nn.GroupNorm: _group_norm_sq_norms}


# ----- book-keeping: Σ_i c_i g_i from the same activations and output gradients ------------------
def _linear_weighted_sum(layer: nn.Linear, x: torch.Tensor, weighted: torch.Tensor) -> dict[str, torch.Tensor]:
    deltas, acts = weighted.reshape(-1, weighted.shape[-1]), x.reshape(-1, x.shape[-1])  # all positions stacked
    return {"weight": deltas.T @ acts, "bias": deltas.sum(0)}


def _conv_weighted_sum(layer: nn.Conv2d, x: torch.Tensor, weighted: torch.Tensor) -> dict[str, torch.Tensor]:
    weight = nn.grad.conv2d_weight(_padded(layer, x), layer.weight.shape, weighted, stride=layer.stride,
                                   dilation=layer.dilation, groups=layer.groups)  # the kernel autograd uses
    return {"weight": weight, "bias": weighted.sum((0, 2, 3))}


def _group_norm_weighted_sum(layer: nn.GroupNorm, x: torch.Tensor, weighted: torch.Tensor) -> dict[str, torch.Tensor]:
    batch, channels = x.shape[0], x.shape[1]
    normalised = F.group_norm(x, layer.num_groups, eps=layer.eps)
    return {"weight": (weighted * normalised).reshape(batch, channels, -1).sum((0, 2)),
            "bias": weighted.reshape(batch, channels, -1).sum((0, 2))}


_WEIGHTED_SUMS = {nn.Linear: _linear_weighted_sum, nn.Conv2d: _conv_weighted_sum,
                  nn.GroupNorm: _group_norm_weighted_sum}


# ----- the two passes ----------------------------------------------------------------------
def _check_batch(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> None:
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor (batch, ...)")
    check_type("labels", labels, torch.Tensor, "a torch.Tensor (batch,)")
    if len(inputs) != len(labels):
        raise ValueError(f"inputs and labels must have the same length; got {len(inputs)} and {len(labels)}")


def _per_example_losses(logits: torch.Tensor, labels: torch.Tensor, loss_fn: LossFunction | None) -> torch.Tensor:
    if loss_fn is None:
        return F.cross_entropy(logits, labels, reduction="none")
    return vmap(lambda out, y: loss_fn(out.unsqueeze(0), y.unsqueeze(0)))(logits, labels)  # each on its own


def _losses_and_norms(model, inputs, labels, loss_fn, *, keep_graph):
    """Forward pass, one backward pass to the layers' outputs (no weight gradients), the norms.

    Returns the per-example losses, the norms, and for each layer that ran its input and δ.
    """
    layers = _trainable_layers(model)
    logits, seen = _record(model, layers, inputs)
    losses = _per_example_losses(logits, labels, loss_fn)
    names = [name for name in layers if name in seen]
    # δ for every layer at once: the gradient of Σ_i ℓ_i with respect to each layer's output is, row by row,
    # example i's own δ_i (examples do not mix: no BatchNorm). Weight gradients are not computed here.
    deltas = torch.autograd.grad(losses.sum(), [seen[name][1] for name in names], retain_graph=keep_graph)
    squared = losses.new_zeros(len(losses))
    saved = {}
    for name, delta in zip(names, deltas):
        layer, x = layers[name], seen[name][0]
        squared = squared + _SQ_NORMS[type(layer)](layer, x, delta)
        saved[name] = (layer, x, delta)
    return losses, squared.sqrt(), saved


def ghost_norms(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, *, loss_fn: LossFunction | None = None
) -> torch.Tensor:
    """Each example's full gradient norm ‖g_i‖ (all trainable parameters), without computing g_i; lesson 04.

    Equals ``per_sample_norms(per_sample_gradients(model, inputs, labels))``
    from :mod:`ppml_lessons.dp.dpsgd` up to float rounding.

    Parameters
    ----------
    model : torch.nn.Module
        Trainable parameters only in :data:`SUPPORTED_LAYERS`, each run once per forward pass.
    inputs : torch.Tensor
        A batch ``(B, ...)``.
    labels : torch.Tensor
        ``(B,)``.
    loss_fn : callable, optional
        ``loss_fn(logits, labels)`` with mean reduction, applied to each example on its own; default
        cross-entropy.

    Returns
    -------
    torch.Tensor
        ``(B,)``.

    Raises
    ------
    ValueError
        If a layer of another type holds trainable parameters, or a layer runs twice.

    Examples
    --------
    >>> layer = nn.Linear(3, 2, bias=False)
    >>> x, y = torch.randn(4, 3), torch.tensor([0, 1, 1, 0])
    >>> from ppml_lessons.dp.dpsgd import per_sample_gradients, per_sample_norms
    >>> torch.allclose(ghost_norms(layer, x, y), per_sample_norms(per_sample_gradients(layer, x, y)))
    True
    """
    _check_batch(model, inputs, labels)
    if len(inputs) == 0:
        _trainable_layers(model)
        return inputs.new_zeros(0)
    return _losses_and_norms(model, inputs, labels, loss_fn, keep_graph=False)[1].detach()


def ghost_clipped_sum(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    max_grad_norm: float,
    loss_fn: LossFunction | None = None,
    bookkeeping: bool = False,
) -> tuple[Gradients, torch.Tensor]:
    """Σ_i min(1, C / ‖g_i‖) g_i by ghost clipping: norms first, then a backward pass of the reweighted loss.

    Equals ``clipped_sum(per_sample_gradients(model, inputs, labels), max_grad_norm=C)``
    from :mod:`ppml_lessons.dp.dpsgd` up to float rounding, at about the cost
    of two ordinary backward passes and with no per-example copy of the
    weights in memory. With ``bookkeeping=True`` the second backward pass is
    replaced by what it would compute at the end: each layer's weight gradient
    from its input and its output gradient, with example i's rows scaled by c_i
    (Bu et al., 2023, "book-keeping"), so the whole step costs about one
    ordinary backward pass plus the norms. The model's ``.grad`` fields are
    left untouched. Used by lesson 04.

    Parameters
    ----------
    model, inputs, labels, loss_fn
        As in :func:`ghost_norms`.
    max_grad_norm : float
        C, in (0, inf).
    bookkeeping : bool, default False
        Form the sum from the stored activations and output gradients instead of a second backward pass.

    Returns
    -------
    (dict of str to torch.Tensor, torch.Tensor)
        The clipped sum for each trainable parameter name, and the per-example norms ``(B,)`` before
        clipping (for monitoring only: they are not private).

    Examples
    --------
    >>> layer = nn.Linear(3, 2)
    >>> x, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    >>> from ppml_lessons.dp.dpsgd import clipped_sum, per_sample_gradients
    >>> ghost, norms = ghost_clipped_sum(layer, x, y, max_grad_norm=0.1)
    >>> vmapped = clipped_sum(per_sample_gradients(layer, x, y), max_grad_norm=0.1)
    >>> all(torch.allclose(ghost[k], vmapped[k], atol=1e-7) for k in vmapped)
    True
    """
    _check_batch(model, inputs, labels)
    c = check_number("max_grad_norm", max_grad_norm, low=0, low_open=True, high=math.inf, high_open=True)
    check_bool("bookkeeping", bookkeeping)
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    if len(inputs) == 0:
        _trainable_layers(model)
        return {name: torch.zeros_like(p) for name, p in params.items()}, inputs.new_zeros(0)
    losses, norms, saved = _losses_and_norms(model, inputs, labels, loss_fn, keep_graph=not bookkeeping)
    # the same clipping factors as dpsgd.clip_per_sample, held fixed: they are numbers, not functions of θ
    factors = torch.clamp(torch.full_like(norms, c) / norms, max=1.0).detach()
    if not bookkeeping:  # the second backward pass: ∇ Σ_i c_i ℓ_i = Σ_i c_i g_i
        sums = torch.autograd.grad((factors * losses).sum(), list(params.values()), allow_unused=True)
        return ({name: torch.zeros_like(p) if g is None else g for (name, p), g in zip(params.items(), sums)},
                norms.detach())
    total = {name: torch.zeros_like(p) for name, p in params.items()}  # layers that did not run add nothing
    for layer_name, (layer, x, delta) in saved.items():
        weighted = factors.reshape(-1, *([1] * (delta.ndim - 1))) * delta  # row i of δ scaled by c_i
        for attr, value in _WEIGHTED_SUMS[type(layer)](layer, x, weighted).items():
            name = f"{layer_name}.{attr}" if layer_name else attr
            if name in total:  # trainable (frozen ones, and a missing bias, are not in params)
                total[name] = value
    return total, norms.detach()
