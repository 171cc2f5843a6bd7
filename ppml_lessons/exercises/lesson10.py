"""Exercises of lesson 10 (federated learning on Flower): the ClientApp's fit step from lesson 06's pieces,
the effect of a dropped client on the average, and Flower's central-DP noise for a chosen clipping norm."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from ..federated.fedavg import batch_schedule, local_train
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "FitStep", "DroppedClient", "ClippingNorm"]


def _fit_case(seed: int) -> tuple[list[np.ndarray], torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(37, 784, generator=generator)
    y = torch.randint(0, 10, (37,), generator=generator)
    layers = [0.01 * torch.randn(10, 784, generator=generator).numpy(), torch.zeros(10).numpy()]
    return layers, x, y


def _reference_fit(layers: list[np.ndarray], x: torch.Tensor, y: torch.Tensor, rng: np.random.Generator):
    model = nn.Linear(784, 10)
    params = {"weight": torch.as_tensor(layers[0]), "bias": torch.as_tensor(layers[1])}
    plan = batch_schedule([np.arange(len(y))], epochs=1, batch_size=10, rng=rng)
    out = local_train(model, params, x, y, plan, lr=0.1)
    return [out["weight"][0].detach().numpy(), out["bias"][0].detach().numpy()], len(y)


class FitStep(Exercise):
    """Write the ClientApp's training step with lesson 06's functions."""

    variables = ("fit",)
    prompt = (
        "Complete `fit(layers, x, y, rng)`: `layers` is the global model as a list of two numpy arrays (weight "
        "(10, 784) and bias (10,)), `x, y` are the client's images (flattened) and labels. Train one local epoch "
        "with batches of 10 and learning rate 0.1 using lesson 06's `batch_schedule` (with `rng=rng`) and "
        "`local_train` on `nn.Linear(784, 10)`, and return `(new_layers, num_examples)`."
    )
    hints = (
        "`params = {'weight': torch.as_tensor(layers[0]), 'bias': torch.as_tensor(layers[1])}`; the schedule of one "
        "client is `batch_schedule([np.arange(len(y))], epochs=1, batch_size=10, rng=rng)`.",
        "`local_train` returns every parameter with a leading client axis: take `[0]` and `.detach().numpy()`; "
        "`num_examples` is `len(y)`.",
    )
    solution_code = """
        def fit(layers, x, y, rng):
            params = {"weight": torch.as_tensor(layers[0]), "bias": torch.as_tensor(layers[1])}
            plan = batch_schedule([np.arange(len(y))], epochs=1, batch_size=10, rng=rng)
            trained = local_train(nn.Linear(784, 10), params, x, y, plan, lr=0.1)
            return [trained["weight"][0].detach().numpy(), trained["bias"][0].detach().numpy()], len(y)
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np, "torch": torch, "nn": nn, "batch_schedule": batch_schedule, "local_train": local_train}

    def check_answer(self, fit: Any) -> None:
        if not callable(fit):
            raise Incorrect(f"`fit` should be a function; got {type(fit).__name__}")
        for seed in (0, 1):
            layers, x, y = _fit_case(seed)
            answer = self.call(fit, [a.copy() for a in layers], x, y, np.random.default_rng(seed))
            if not isinstance(answer, tuple) or len(answer) != 2:
                raise Incorrect("return a pair `(new_layers, num_examples)`, as a Flower client reply carries both")
            new_layers, count = answer
            if count != len(y):
                raise Incorrect(f"num_examples should be the client's number of examples, {len(y)}; got {count!r}")
            if not isinstance(new_layers, (list, tuple)) or len(new_layers) != 2:
                raise Incorrect("return the two layers (weight, bias) as a list of numpy arrays")
            expected, _ = _reference_fit(layers, x, y, np.random.default_rng(seed))
            got = [np.asarray(a, dtype=np.float64) for a in new_layers]
            if [g.shape for g in got] != [e.shape for e in expected]:
                raise Incorrect(f"the layers should have shapes (10, 784) and (10,); got {[g.shape for g in got]}")
            if np.allclose(got[0], layers[0]) and np.allclose(got[1], layers[1]):
                raise Incorrect("the layers did not change: the client must train before it replies")
            if not all(np.allclose(g, e, atol=1e-5) for g, e in zip(got, expected)):
                raise Incorrect(
                    "the trained layers differ from lesson 06's local training: one epoch, batch_size=10, lr=0.1, "
                    "and the schedule drawn with the `rng` you were given"
                )


class DroppedClient(Exercise):
    """Predict how a dropped client changes the FedAvg weights."""

    variables = ("weight_of_a_before", "weight_of_a_after")
    prompt = (
        "Three clients are sampled: a with 600 examples, b with 600 and c with 1,200. FedAvg weights each reply "
        "by its number of examples. What share of the average does client a's model get when all three reply "
        "(`weight_of_a_before`), and when c's SuperNode is killed and only a and b reply (`weight_of_a_after`)?"
    )
    hints = (
        "The weight of a client is its number of examples over the total of the clients that replied.",
        "Before: 600 / (600 + 600 + 1200). After: the server aggregates only the replies it received.",
    )
    solution_code = """
        weight_of_a_before = 600 / (600 + 600 + 1200)
        weight_of_a_after = 600 / (600 + 600)
    """

    def check_answer(self, weight_of_a_before: Any, weight_of_a_after: Any) -> None:
        before = self.as_number("weight_of_a_before", weight_of_a_before)
        after = self.as_number("weight_of_a_after", weight_of_a_after)
        if math.isclose(before, 1 / 3, rel_tol=1e-6):
            raise Incorrect("1/3 weights the clients equally; FedAvg weights them by their numbers of examples.")
        self.assert_close("weight_of_a_before", before, 0.25, tol=1e-6)
        if math.isclose(after, 0.25, rel_tol=1e-6):
            raise Incorrect(
                "the server does not keep c's share: it averages the replies it received, so the total is 1,200."
            )
        if math.isclose(after, 600 / 2400 + 600 / 2400 / 2, rel_tol=1e-6):
            raise Incorrect("the weights are recomputed from the replies, not c's share split between a and b.")
        self.assert_close("weight_of_a_after", after, 0.5, tol=1e-6)


#: The norms of 20 clients' first-round updates (lesson 10 prints the real ones; these are for the exercise).
UPDATE_NORMS = (0.31, 0.42, 0.38, 0.55, 0.47, 0.36, 0.61, 0.44, 0.52, 0.39,
                0.48, 0.33, 0.58, 0.41, 0.45, 0.50, 0.37, 0.66, 0.43, 0.46)


class ClippingNorm(Exercise):
    """Choose the clipping norm, and compute the noise Flower's server adds for it."""

    variables = ("clip_norm", "noise_std")
    prompt = (
        "`UPDATE_NORMS` holds the norms of the 20 updates sampled in one round. Set `clip_norm` to their median "
        "(half the updates are clipped, a common choice; Andrew et al., 2021), and `noise_std` to the standard "
        "deviation that Flower's `DifferentialPrivacyServerSideFixedClipping` adds to each coordinate of the "
        "average, with `noise_multiplier=1.0` and `num_sampled_clients=20`."
    )
    hints = (
        "`np.median(UPDATE_NORMS)`.",
        "Flower adds N(0, σ²) to the average with σ = noise_multiplier × clipping_norm / num_sampled_clients.",
    )
    solution_code = """
        clip_norm = float(np.median(UPDATE_NORMS))
        noise_std = 1.0 * clip_norm / 20
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np, "UPDATE_NORMS": UPDATE_NORMS}

    def check_answer(self, clip_norm: Any, noise_std: Any) -> None:
        s = self.as_number("clip_norm", clip_norm)
        sigma = self.as_number("noise_std", noise_std)
        median = float(np.median(UPDATE_NORMS))
        if math.isclose(s, float(np.mean(UPDATE_NORMS)), rel_tol=1e-9):
            raise Incorrect("that is the mean; the median is the norm that half of the updates exceed.")
        if math.isclose(s, max(UPDATE_NORMS)):
            raise Incorrect("the largest norm clips nothing, and makes the noise as large as it can be.")
        self.assert_close("clip_norm", s, median, tol=1e-9)
        if math.isclose(sigma, s, rel_tol=1e-6):
            raise Incorrect("z·S is the noise on the sum; Flower adds it to the average, so divide by the 20 clients.")
        if math.isclose(sigma, s / math.sqrt(20), rel_tol=1e-6):
            raise Incorrect("one draw of noise is added once: divide by 20, not by √20.")
        self.assert_close("noise_std", sigma, s / 20, tol=1e-9)


q1 = FitStep()
q2 = DroppedClient()
q3 = ClippingNorm()
