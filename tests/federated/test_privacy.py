"""Tests of ppml_lessons.federated.privacy: clipping bounds each client's influence, and the noise has the
scale DP-FedAvg's accounting assumes. Moment tests allow 5 standard errors of the statistic (a normal tail
beyond 5 SE has probability 5.7e-7)."""

import math

import pytest
import torch

from ppml_lessons.federated.privacy import central_dp_mean, clip_updates, local_dp_updates, update_norms

Z = 5.0


def _updates(clients=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    scales = torch.tensor([0.1, 0.5, 1.0, 3.0, 10.0, 100.0])[:clients]
    return {
        "weight": torch.randn(clients, 4, 3, generator=g) * scales.view(-1, 1, 1),
        "bias": torch.randn(clients, 4, generator=g) * scales.view(-1, 1),
    }


def test_update_norms_cover_all_parameters():
    updates = _updates()
    flat = torch.cat([updates["weight"].reshape(6, -1), updates["bias"]], dim=1)
    torch.testing.assert_close(update_norms(updates), flat.norm(dim=1))


def test_clipping_bounds_norms_and_keeps_small_updates_and_directions():
    updates = _updates()
    norms = update_norms(updates)
    clipped = clip_updates(updates, clip_norm=2.0)
    new_norms = update_norms(clipped)
    assert torch.all(new_norms <= 2.0 + 1e-5)
    small = norms <= 2.0
    assert small.any() and (~small).any()
    for name in updates:
        torch.testing.assert_close(clipped[name][small], updates[name][small])
        ratio = clipped[name][~small] / updates[name][~small]  # a positive rescaling: same direction
        expected = (2.0 / norms[~small]).view(-1, *([1] * (ratio.dim() - 1))).expand_as(ratio)
        torch.testing.assert_close(ratio, expected)


def test_one_client_moves_the_clipped_sum_by_at_most_the_clip_norm():
    updates = _updates()
    total = central_dp_mean(updates, clip_norm=1.5, noise_multiplier=0.0, expected_clients=1.0)
    for left_out in range(6):
        others = {n: torch.cat([t[:left_out], t[left_out + 1 :]]) for n, t in updates.items()}
        rest = central_dp_mean(others, clip_norm=1.5, noise_multiplier=0.0, expected_clients=1.0)
        diff = torch.cat([(total[n] - rest[n]).reshape(-1) for n in total])
        assert diff.norm() <= 1.5 + 1e-5


def test_central_noise_has_standard_deviation_z_s_over_q_k():
    # 200,000 noise coordinates from zero updates: the sample mean has SE sigma / sqrt(n) and the
    # sample variance has SE sigma^2 sqrt(2 / (n - 1)) (normal data).
    n = 200_000
    updates = {"w": torch.zeros(3, n, dtype=torch.float64)}
    z, s, qk = 1.3, 0.7, 12.5
    out = central_dp_mean(updates, clip_norm=s, noise_multiplier=z, expected_clients=qk,
                          generator=torch.Generator().manual_seed(0))["w"]
    sigma = z * s / qk
    assert abs(out.mean().item()) <= Z * sigma / math.sqrt(n)
    assert abs(out.var().item() - sigma**2) <= Z * sigma**2 * math.sqrt(2 / (n - 1))


def test_central_dp_handles_a_round_without_clients():
    out = central_dp_mean({"w": torch.zeros(0, 5)}, clip_norm=1.0, noise_multiplier=1.0, expected_clients=2.0,
                          generator=torch.Generator().manual_seed(0))
    assert out["w"].shape == (5,) and out["w"].abs().sum() > 0  # noise is released anyway


def test_local_noise_has_standard_deviation_z_s_per_client():
    n = 100_000
    updates = {"w": torch.zeros(4, n, dtype=torch.float64)}
    noisy = local_dp_updates(updates, clip_norm=2.0, noise_multiplier=0.8,
                             generator=torch.Generator().manual_seed(1))["w"]
    sigma = 0.8 * 2.0
    for client in noisy:
        assert abs(client.var().item() - sigma**2) <= Z * sigma**2 * math.sqrt(2 / (n - 1))
    # independent across clients: the correlation of two clients' noise has SE 1 / sqrt(n)
    correlation = torch.corrcoef(noisy[:2])[0, 1].item()
    assert abs(correlation) <= Z / math.sqrt(n)


def test_bad_input():
    updates = _updates()
    with pytest.raises(ValueError, match="clip_norm"):
        clip_updates(updates, clip_norm=0.0)
    with pytest.raises(ValueError, match="noise_multiplier"):
        central_dp_mean(updates, clip_norm=1.0, noise_multiplier=-0.1, expected_clients=1.0)
    with pytest.raises(ValueError, match="expected_clients"):
        central_dp_mean(updates, clip_norm=1.0, noise_multiplier=1.0, expected_clients=0.0)
    with pytest.raises(ValueError, match="updates"):
        local_dp_updates({}, clip_norm=1.0, noise_multiplier=1.0)
    with pytest.raises(ValueError, match="updates"):
        update_norms({"a": torch.zeros(2, 3), "b": torch.zeros(3, 3)})
    with pytest.raises(TypeError, match="updates"):
        update_norms([torch.zeros(2, 3)])
