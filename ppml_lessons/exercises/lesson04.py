"""Exercises of lesson 04 (DP-SGD): clip per-sample gradients, the noise on the averaged gradient, what
doubling the batch does to ε, and the noise multiplier for a target ε."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..dp.accounting import epsilon, noise_multiplier_for_epsilon
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "ClipGradients", "NoiseStd", "DoubleTheBatch", "SigmaForTarget"]


def _number(name: str, value: Any) -> float:
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (int, float, np.number, torch.Tensor)):
        raise Incorrect(f"`{name}` should be a number; got {value!r} of type {type(value).__name__}")
    if isinstance(value, torch.Tensor) and value.numel() != 1:
        raise Incorrect(f"`{name}` should be a single number; got a tensor of shape {tuple(value.shape)}")
    return float(value)


def _clip_cases() -> list[tuple[torch.Tensor, float]]:
    generator = torch.Generator().manual_seed(4)
    cases = []
    for rows, cols, scale, c in [(6, 5, 1.0, 1.0), (10, 3, 0.05, 0.1), (4, 8, 3.0, 0.5), (1, 2, 0.1, 1.0)]:
        cases.append((torch.randn(rows, cols, generator=generator) * scale, c))
    cases.append((torch.tensor([[3.0, 4.0], [0.0, 0.0], [0.3, 0.4]]), 1.0))  # norms 5, 0 and 0.5
    return cases


def _reference_clip(grads: torch.Tensor, c: float) -> torch.Tensor:
    norms = grads.norm(dim=1, keepdim=True)
    return grads * torch.clamp(c / norms, max=1.0).nan_to_num(1.0)


class ClipGradients(Exercise):
    """Clip a batch of per-sample gradients."""

    variables = ("clip_gradients",)
    prompt = (
        "Complete `clip_gradients(grads, C)`: `grads` is a tensor (batch, parameters) holding one flattened "
        "gradient per example; return the same shape with each row scaled to L2 norm at most C (rows already "
        "shorter than C unchanged)."
    )
    hints = (
        "Each row i is multiplied by min(1, C / ‖g_i‖). `grads.norm(dim=1, keepdim=True)` gives the norms as a "
        "column, which broadcasts over the row.",
        "`factor = torch.clamp(C / norms, max=1.0)`; a row of zeros has norm 0, so C / 0 = inf, which the clamp "
        "turns into 1.",
    )
    solution_code = """
        def clip_gradients(grads, C):
            norms = grads.norm(dim=1, keepdim=True)      # one L2 norm per example
            return grads * torch.clamp(C / norms, max=1.0)
    """

    def namespace(self) -> dict[str, Any]:
        return {"torch": torch}

    def check_answer(self, clip_gradients: Any) -> None:
        if not callable(clip_gradients):
            raise Incorrect(f"`clip_gradients` should be a function; got {type(clip_gradients).__name__}")
        for grads, c in _clip_cases():
            result = self.call(clip_gradients, grads.clone(), c)
            if not isinstance(result, torch.Tensor):
                raise Incorrect(f"`clip_gradients` should return a tensor; got {type(result).__name__}")
            expected = _reference_clip(grads, c)
            if result.shape != grads.shape:
                raise Incorrect(f"the result should keep the shape {tuple(grads.shape)}; got {tuple(result.shape)}")
            if torch.allclose(result, grads.clamp(-c, c), atol=1e-6) and not torch.allclose(expected, grads):
                raise Incorrect("that clips each coordinate to [-C, C]; clip the L2 norm of each whole row instead, "
                                "keeping its direction.")
            if len(grads) > 1 and torch.allclose(result, grads * min(1.0, c / float(grads.norm())), atol=1e-6):
                raise Incorrect("that scales the whole batch by one factor; clip each example (row) on its own.")
            norms = result.norm(dim=1)
            if bool((norms > c * (1 + 1e-5)).any()):
                raise Incorrect(f"some rows still have a norm above C = {c} (largest {float(norms.max()):.4g}).")
            short = (grads.norm(dim=1) < c) & (grads.norm(dim=1) > 0)
            if bool(short.any()) and not torch.allclose(result[short], grads[short], atol=1e-6):
                raise Incorrect("rows already shorter than C must stay unchanged: multiply by min(1, C / norm), "
                                "not by C / norm.")
            long = grads.norm(dim=1) > c
            if bool(long.any()) and not torch.allclose(norms[long], torch.full_like(norms[long], c), rtol=1e-5):
                raise Incorrect("rows longer than C should end with norm exactly C (scaled by C / norm), keeping "
                                "as much of the signal as the bound allows.")
            if not bool(torch.isfinite(result).all()):
                raise Incorrect("a row of zeros gave NaN or inf: C / 0 is inf, so clamp the factor to at most 1.")
            if not torch.allclose(result, expected, atol=1e-6):
                raise Incorrect(f"for a batch of {len(grads)} rows and C = {c}, the clipped rows are not right yet.")


class NoiseStd(Exercise):
    """The standard deviation of the noise on the averaged gradient."""

    variables = ("noise_std",)
    prompt = (
        "DP-SGD runs with noise multiplier σ = 1.1, clipping norm C = 0.1 and an expected batch size of 2,000 "
        "(sample rate 1/30 of 60,000 images). Set `noise_std` to the standard deviation of the noise on each "
        "coordinate of the averaged gradient that the optimizer receives."
    )
    hints = (
        "The noise N(0, (σC)²) is added once to the *sum* of clipped gradients; the sum is then divided by "
        "the expected batch size.",
        "σ·C / 2000.",
    )
    solution_code = """
        noise_std = 1.1 * 0.1 / 2000
    """

    def check_answer(self, noise_std: Any) -> None:
        value = _number("noise_std", noise_std)
        sigma, c, batch = 1.1, 0.1, 2000
        expected = sigma * c / batch
        if math.isclose(value, sigma * c, rel_tol=1e-6):
            raise Incorrect("σ·C is the noise on the sum; the optimizer receives the sum divided by the expected "
                            "batch size.")
        if math.isclose(value, sigma / batch, rel_tol=1e-6):
            raise Incorrect("the noise scales with the sensitivity of the sum, the clipping norm C: σ·C, not σ.")
        if math.isclose(value, sigma * c / math.sqrt(batch), rel_tol=1e-6):
            raise Incorrect("the noise is drawn once for the whole sum, not once per example, so dividing by the "
                            "batch size B shrinks its standard deviation by B, not √B.")
        if math.isclose(value, (sigma * c / batch) ** 2, rel_tol=1e-6):
            raise Incorrect("that is the variance; the exercise asks for the standard deviation.")
        self.assert_close("noise_std", value, expected, tol=expected * 1e-6)


class DoubleTheBatch(Exercise):
    """Predict, then compute, how ε changes when the batch size doubles at a fixed number of epochs."""

    variables = ("epsilon_doubled", "epsilon_grows")
    prompt = (
        "A run uses sample rate q = 0.01 for 10 epochs (1,000 steps) with σ = 1.0 and δ = 1e-5. Predict first: "
        "if the batch size doubles and the number of epochs (and σ) stay the same, does ε grow? Set "
        "`epsilon_grows` to True or False, then compute the new ε with `epsilon(...)` as `epsilon_doubled`."
    )
    hints = (
        "Doubling the batch doubles the sample rate q; at a fixed number of epochs, the number of steps halves.",
        "For small q, one step's RDP grows about like q², so q → 2q and T → T/2 double the total. "
        "Check with `epsilon(noise_multiplier=1.0, sample_rate=0.02, steps=500, delta=1e-5)`.",
    )
    solution_code = """
        epsilon_before = epsilon(noise_multiplier=1.0, sample_rate=0.01, steps=1000, delta=1e-5)
        epsilon_doubled = epsilon(noise_multiplier=1.0, sample_rate=0.02, steps=500, delta=1e-5)
        epsilon_grows = epsilon_doubled > epsilon_before
    """

    def namespace(self) -> dict[str, Any]:
        return {"epsilon": epsilon}

    def check_answer(self, epsilon_doubled: Any, epsilon_grows: Any) -> None:
        value = _number("epsilon_doubled", epsilon_doubled)
        before = epsilon(noise_multiplier=1.0, sample_rate=0.01, steps=1000, delta=1e-5)
        expected = epsilon(noise_multiplier=1.0, sample_rate=0.02, steps=500, delta=1e-5)
        if math.isclose(value, epsilon(noise_multiplier=1.0, sample_rate=0.02, steps=1000, delta=1e-5),
                        rel_tol=1e-6):
            raise Incorrect("at a fixed number of epochs a doubled batch means half as many steps: 500, not 1,000.")
        if math.isclose(value, epsilon(noise_multiplier=1.0, sample_rate=0.01, steps=500, delta=1e-5),
                        rel_tol=1e-6):
            raise Incorrect("a doubled batch size doubles the sample rate too: q = 0.02.")
        if math.isclose(value, before, rel_tol=1e-6):
            raise Incorrect(f"{value:.4g} is the ε before the change; compute it for q = 0.02 and 500 steps.")
        self.assert_close("epsilon_doubled", value, expected, tol=expected * 1e-6)
        if not isinstance(epsilon_grows, (bool, np.bool_)):
            raise Incorrect(f"`epsilon_grows` should be True or False; got {epsilon_grows!r}")
        if not bool(epsilon_grows):
            raise Incorrect(f"ε goes from {before:.3f} to {expected:.3f}: it grows. Each example now takes part in "
                            "as many steps as before, but each step is less private (amplification by sampling "
                            "weakens as q grows).")


class SigmaForTarget(Exercise):
    """The noise multiplier that meets a target ε."""

    variables = ("sigma_needed",)
    prompt = (
        "You will train a head on 30,000 private images for 20 epochs with batch size 1,000 (sample rate 1/30, "
        "30 steps an epoch). Set `sigma_needed` to the smallest noise multiplier that keeps ε ≤ 1 at δ = 1e-5 "
        "(within 1%)."
    )
    hints = (
        "`noise_multiplier_for_epsilon` takes the target ε, the sample rate, the number of *steps* and δ.",
        "steps = 20 epochs × 30 steps = 600: "
        "`noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1/30, steps=600, delta=1e-5)`.",
    )
    solution_code = """
        sigma_needed = noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=20 * 30, delta=1e-5)
    """

    def namespace(self) -> dict[str, Any]:
        return {"noise_multiplier_for_epsilon": noise_multiplier_for_epsilon}

    def check_answer(self, sigma_needed: Any) -> None:
        value = _number("sigma_needed", sigma_needed)
        expected = noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=600, delta=1e-5)
        if value <= 0:
            raise Incorrect(f"a noise multiplier is positive; got {value}")
        spent = epsilon(noise_multiplier=value, sample_rate=1 / 30, steps=600, delta=1e-5)
        if math.isclose(value, noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=20, delta=1e-5),
                        rel_tol=1e-3):
            raise Incorrect("`steps` counts optimizer steps, not epochs: 20 epochs × 30 steps = 600.")
        if math.isclose(value, noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=600,
                                                             delta=1 / 30_000), rel_tol=1e-3):
            raise Incorrect("use δ = 1e-5, well below 1/n; δ = 1/n would allow leaking a whole record.")
        if spent > 1.0:
            raise Incorrect(f"with σ = {value:.4g}, ε = {spent:.3f} > 1: more noise is needed.")
        if value > expected * 1.01:
            raise Incorrect(f"σ = {value:.4g} meets the target but adds more noise than needed (ε = {spent:.3f}); "
                            "find the smallest σ, within 1%.")


q1 = ClipGradients()
q2 = NoiseStd()
q3 = DoubleTheBatch()
q4 = SigmaForTarget()
