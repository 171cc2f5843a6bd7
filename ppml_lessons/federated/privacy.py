"""Client-level differential privacy for federated learning: clip each update, then add Gaussian noise.

Lesson 06 compares two places to add the noise, at the same ε per client:

- **central** (DP-FedAvg, McMahan et al., 2018): the server clips every update
  to L2 norm ``S``, sums them, adds one draw of ``N(0, (z S)^2 I)`` and divides
  by the expected number of clients. One client changes the sum by at most
  ``S``, so the noisy sum is a Gaussian mechanism with noise multiplier ``z``;
  with clients sampled at random (Poisson, rate ``q``) the rounds compose as the
  subsampled Gaussian mechanism of DP-SGD (lesson 04);
- **local**: every client clips *and noises* its own update before sending, so
  even the server sees only noisy updates. Each message is the same Gaussian
  mechanism, but the server averages ``m`` independent noises, whose standard
  deviation shrinks only like ``1 / sqrt(m)`` instead of ``1 / m``.

The noise is ordinary floating-point noise, fine for learning and not for
protecting real people (Mironov, 2012). Production systems use discrete
noise with secure aggregation (Kairouz, Liu & Steinke, 2021) or
cryptographically seeded samplers such as Opacus' ``secure_mode``, which is a
heuristic mitigation of the known floating-point attacks, not a proof, and
does not address timing side channels (Jin et al., 2022).
"""

from __future__ import annotations

import torch

from .._validation import check_number, check_type

__all__ = ["update_norms", "clip_updates", "central_dp_mean", "local_dp_updates"]

Params = dict[str, torch.Tensor]


def _check_updates(updates: Params) -> int:
    check_type("updates", updates, dict, "a dict of stacked tensors (clients, *shape) by parameter name")
    if not updates:
        raise ValueError("updates must hold at least one parameter; got an empty dict")
    counts = {tensor.shape[0] for tensor in updates.values()}
    if len(counts) != 1:
        raise ValueError(f"updates must have the same number of clients (first axis) for every parameter; got {counts}")
    return counts.pop()


def update_norms(updates: Params) -> torch.Tensor:
    """The L2 norm of each client's whole update (all parameters together), shape (clients,).

    Examples
    --------
    >>> update_norms({"w": torch.tensor([[3.0, 0.0], [0.0, 0.0]]), "b": torch.tensor([[4.0], [1.0]])})
    tensor([5., 1.])
    """
    _check_updates(updates)
    squares = [(tensor.flatten(1) if tensor.dim() > 1 else tensor.unsqueeze(1)).pow(2).sum(dim=1)
               for tensor in updates.values()]
    return torch.stack(squares).sum(dim=0).sqrt()


def clip_updates(updates: Params, *, clip_norm: float) -> Params:
    """Scale each client's update down to L2 norm at most ``clip_norm`` (updates inside the ball are kept).

    ``u * min(1, S / ||u||)``, with ``||u||`` over all parameters of the client,
    as in DP-FedAvg (McMahan et al., 2018). Used by lesson 06.

    Parameters
    ----------
    updates : dict of str to tensor
        Stacked updates, shape ``(clients, *shape)`` for each parameter.
    clip_norm : float
        S, in (0, inf).

    Returns
    -------
    dict of str to tensor

    Examples
    --------
    >>> clipped = clip_updates({"w": torch.tensor([[3.0, 4.0], [0.3, 0.4]])}, clip_norm=1.0)
    >>> clipped["w"]
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    _check_updates(updates)
    clip_norm = check_number("clip_norm", clip_norm, low=0, low_open=True)
    norms = update_norms(updates)
    factor = (clip_norm / norms.clamp(min=1e-12)).clamp(max=1.0)
    return {name: tensor * factor.view(-1, *([1] * (tensor.dim() - 1))) for name, tensor in updates.items()}


def central_dp_mean(
    updates: Params,
    *,
    clip_norm: float,
    noise_multiplier: float,
    expected_clients: float,
    generator: torch.Generator | None = None,
) -> Params:
    """DP-FedAvg's server step: clip, sum, add ``N(0, (z S)^2)`` to every coordinate, divide by ``q K``.

    The denominator is the *expected* number of clients ``q K``, not the number
    that took part, so that it reveals nothing (McMahan et al., 2018); the sum
    has L2 sensitivity ``S`` (adding or removing one client), so this is the
    Gaussian mechanism with noise multiplier ``z``. A round with no client
    still releases noise. Used by lesson 06.

    Parameters
    ----------
    updates : dict of str to tensor
        Stacked updates ``(clients, *shape)``; ``clients`` may be 0.
    clip_norm : float
        S, in (0, inf).
    noise_multiplier : float
        z, in [0, inf).
    expected_clients : float
        q K, in (0, inf).
    generator : torch.Generator, optional
        Seeds the noise.

    Returns
    -------
    dict of str to tensor
        The noisy mean update, without the client axis.

    Examples
    --------
    >>> mean = central_dp_mean({"w": torch.ones(4, 3)}, clip_norm=10.0, noise_multiplier=0.0, expected_clients=2.0)
    >>> mean["w"]
    tensor([2., 2., 2.])
    """
    _check_updates(updates)
    clip_norm = check_number("clip_norm", clip_norm, low=0, low_open=True)
    noise_multiplier = check_number("noise_multiplier", noise_multiplier, low=0)
    expected_clients = check_number("expected_clients", expected_clients, low=0, low_open=True)
    clipped = clip_updates(updates, clip_norm=clip_norm)
    out = {}
    for name, tensor in clipped.items():
        total = tensor.sum(dim=0)
        noise = torch.randn(total.shape, generator=generator, device=total.device, dtype=total.dtype)
        out[name] = (total + noise_multiplier * clip_norm * noise) / expected_clients
    return out


def local_dp_updates(
    updates: Params, *, clip_norm: float, noise_multiplier: float, generator: torch.Generator | None = None
) -> Params:
    """What each client sends under local DP: its clipped update plus its own ``N(0, (z S)^2)`` noise.

    Every client's message is, on its own, the Gaussian mechanism with noise
    multiplier ``z``: the server never sees a clean update. Used by lesson 06.

    Parameters
    ----------
    updates : dict of str to tensor
        Stacked updates ``(clients, *shape)``.
    clip_norm : float
        S, in (0, inf).
    noise_multiplier : float
        z, in [0, inf).
    generator : torch.Generator, optional

    Returns
    -------
    dict of str to tensor
        Stacked noisy updates, same shapes as ``updates``.

    Examples
    --------
    >>> noisy = local_dp_updates({"w": torch.zeros(2, 3)}, clip_norm=1.0, noise_multiplier=0.0)
    >>> noisy["w"].shape
    torch.Size([2, 3])
    """
    _check_updates(updates)
    clip_norm = check_number("clip_norm", clip_norm, low=0, low_open=True)
    noise_multiplier = check_number("noise_multiplier", noise_multiplier, low=0)
    clipped = clip_updates(updates, clip_norm=clip_norm)
    return {
        name: tensor
        + noise_multiplier * clip_norm * torch.randn(tensor.shape, generator=generator, device=tensor.device,
                                                      dtype=tensor.dtype)
        for name, tensor in clipped.items()
    }
