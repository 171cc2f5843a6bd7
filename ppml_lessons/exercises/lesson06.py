"""Exercises of lesson 06 (federated learning): FedAvg's weighted average, a client's label histogram,
the effect of the Dirichlet α, and the noise of central against local DP."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from ..data import load_fashion_mnist
from ..federated.fedavg import aggregate
from ..federated.partition import dirichlet_partition, label_counts, shard_partition
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "WeightedAverage", "ClientHistogram", "PredictAlpha", "NoiseOnTheAverage"]

#: The partitions the exercises use (the lesson builds the same ones).
NUM_CLIENTS = 100
ALPHAS = (0.1, 1.0, 10.0)


@lru_cache(maxsize=1)
def _train_labels() -> np.ndarray:
    return load_fashion_mnist(train=True).targets.numpy()


@lru_cache(maxsize=1)
def _shards() -> tuple[np.ndarray, ...]:
    return tuple(shard_partition(_train_labels(), NUM_CLIENTS, shards_per_client=2, rng=0))




def _aggregate_cases() -> list[list[tuple[list[np.ndarray], int]]]:
    rng = np.random.default_rng(6)
    cases = []
    for clients, counts in [(2, [30, 10]), (3, [1, 5, 200]), (4, [600, 600, 600, 600]), (1, [17])]:
        results = [([rng.normal(size=(2, 3)), rng.normal(size=3)], counts[k]) for k in range(clients)]
        cases.append(results)
    return cases


class WeightedAverage(Exercise):
    """Write FedAvg's server step."""

    variables = ("weighted_average",)
    prompt = (
        "Complete `weighted_average(results)`: `results` is a list of `(layers, num_examples)` pairs, one per "
        "client, where `layers` is a list of numpy arrays. Return the list of layers averaged over the clients, "
        "each client weighted by its number of examples."
    )
    hints = (
        "Layer by layer: multiply each client's layer by its num_examples, add over clients, divide by the total "
        "number of examples.",
        "`total = sum(n for _, n in results)`, then for each layer index i: "
        "`sum(layers[i] * n for layers, n in results) / total`.",
    )
    solution_code = """
        def weighted_average(results):
            total = sum(n for _, n in results)
            num_layers = len(results[0][0])
            return [sum(layers[i] * n for layers, n in results) / total for i in range(num_layers)]
    """

    def check_answer(self, weighted_average: Any) -> None:
        if not callable(weighted_average):
            raise Incorrect(f"`weighted_average` should be a function; got {type(weighted_average).__name__}")
        for results in _aggregate_cases():
            copies = [([layer.copy() for layer in layers], n) for layers, n in results]
            answer = self.call(weighted_average, copies)
            expected = aggregate(results)
            if not isinstance(answer, (list, tuple)) or len(answer) != len(expected):
                raise Incorrect(
                    f"return one averaged array per layer ({len(expected)} layers); got {type(answer).__name__}"
                    + (f" of length {len(answer)}" if hasattr(answer, "__len__") else "")
                )
            unweighted = [sum(layers[i] for layers, _ in results) / len(results) for i in range(len(expected))]
            total = sum(n for _, n in results)
            for got, want, plain in zip(answer, expected, unweighted):
                got = np.asarray(got, dtype=float)
                if got.shape != want.shape:
                    raise Incorrect(f"each averaged layer keeps its shape {want.shape}; got {got.shape}")
                if np.allclose(got, want):
                    continue
                if len({n for _, n in results}) > 1 and np.allclose(got, plain):
                    raise Incorrect("that is the plain mean over clients; weight each client by its num_examples.")
                if np.allclose(got, want * total):
                    raise Incorrect("divide the weighted sum by the total number of examples.")
                if np.allclose(got, want * total / len(results)):
                    raise Incorrect("divide by the total number of examples, not by the number of clients.")
                counts = [n for _, n in results]
                raise Incorrect(f"for {len(results)} clients with {counts} examples the average is wrong.")


class ClientHistogram(Exercise):
    """Count one client's labels."""

    variables = ("client_histogram",)
    prompt = (
        "Set `client_histogram` to an array of 10 counts: how many examples of each class (0 to 9) client 7 of "
        "the `shards` partition holds."
    )
    hints = (
        "`shards[7]` holds the indices of client 7's examples; `train_labels[shards[7]]` their labels.",
        "`np.bincount(labels, minlength=10)` counts every class, including those the client does not have.",
    )
    solution_code = """
        client_histogram = np.bincount(train_labels[shards[7]], minlength=10)
        # the same: label_counts(train_labels, shards)[7]
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np, "train_labels": _train_labels(), "shards": list(_shards())}

    def check_answer(self, client_histogram: Any) -> None:
        labels, parts = _train_labels(), list(_shards())
        expected = label_counts(labels, parts, num_classes=10)[7]
        try:
            answer = np.asarray(client_histogram, dtype=float).ravel()
        except (TypeError, ValueError):
            raise Incorrect(
                f"`client_histogram` should be an array of 10 counts; got {client_histogram!r:.60}"
            ) from None
        if len(answer) != 10:
            raise Incorrect(
                f"give one count per class, 10 in all, including zeros; got {len(answer)} numbers "
                "(np.bincount needs minlength=10)"
            )
        if np.allclose(answer, expected / expected.sum()):
            raise Incorrect("those are shares; the exercise asks for counts of examples.")
        if np.allclose(answer, np.bincount(labels, minlength=10)):
            raise Incorrect("that is the histogram of the whole training set; count only client 7's examples.")
        for other in (6, 8):
            if np.allclose(answer, label_counts(labels, parts, num_classes=10)[other]):
                raise Incorrect(f"that is client {other}; clients are numbered from 0, take `shards[7]`.")
        if not np.allclose(answer, expected):
            raise Incorrect(f"client 7 holds {len(parts[7])} examples; your counts add up to {answer.sum():g}.")


@lru_cache(maxsize=1)
def _mean_classes() -> dict[float, float]:
    out = {}
    for alpha in ALPHAS:
        parts = dirichlet_partition(_train_labels(), NUM_CLIENTS, alpha=alpha, rng=0)
        out[alpha] = float((label_counts(_train_labels(), parts, num_classes=10) > 0).sum(axis=1).mean())
    return out


class PredictAlpha(Exercise):
    """Predict the effect of the Dirichlet α, then measure it."""

    variables = ("most_skewed_alpha", "mean_classes")
    prompt = (
        "First predict: which α in (0.1, 1, 10) gives clients the fewest classes? Set `most_skewed_alpha`. Then "
        "check: set `mean_classes` to a dict mapping each of the three α to the mean number of classes that a "
        "client holds at least one example of, for `dirichlet_partition(train_labels, 100, alpha=α, rng=0)`."
    )
    hints = (
        "α is the concentration of the Dirichlet: small α puts almost all of a class on a few clients.",
        "For each α: `counts = label_counts(train_labels, dirichlet_partition(train_labels, 100, alpha=α, rng=0))`, "
        "then `(counts > 0).sum(axis=1).mean()`.",
    )
    solution_code = """
        most_skewed_alpha = 0.1
        mean_classes = {}
        for alpha in (0.1, 1.0, 10.0):
            counts = label_counts(train_labels, dirichlet_partition(train_labels, 100, alpha=alpha, rng=0))
            mean_classes[alpha] = (counts > 0).sum(axis=1).mean()
    """

    def namespace(self) -> dict[str, Any]:
        return {
            "np": np,
            "train_labels": _train_labels(),
            "label_counts": label_counts,
            "dirichlet_partition": dirichlet_partition,
        }

    def check_answer(self, most_skewed_alpha: Any, mean_classes: Any) -> None:
        alpha = self.as_number("most_skewed_alpha", most_skewed_alpha)
        if not any(math.isclose(alpha, a) for a in ALPHAS):
            raise Incorrect(f"`most_skewed_alpha` should be one of 0.1, 1 or 10; got {most_skewed_alpha!r}")
        if not isinstance(mean_classes, dict):
            raise Incorrect(f"`mean_classes` should be a dict {{alpha: mean}}; got {type(mean_classes).__name__}")
        expected = _mean_classes()
        keys = sorted(float(k) for k in mean_classes)
        if len(keys) != 3 or not all(math.isclose(k, a) for k, a in zip(keys, ALPHAS)):
            raise Incorrect(f"`mean_classes` needs the keys 0.1, 1.0 and 10.0; got {sorted(mean_classes)}")
        for key, value in mean_classes.items():
            want = expected[min(ALPHAS, key=lambda a: abs(a - float(key)))]
            got = self.as_number(f"mean_classes[{key}]", value)
            if got < 1 and math.isclose(got * 10, want, abs_tol=1e-6):
                raise Incorrect("that is a share of the 10 classes; the exercise asks for a number of classes.")
            if not math.isclose(got, want, abs_tol=1e-6):
                raise Incorrect(
                    f"`mean_classes[{key}]` = {got:.3f} is not the mean number of classes per client; count, for "
                    "each client, the classes with at least one example (counts > 0), then average over clients."
                )
        if not math.isclose(alpha, 0.1):
            raise Incorrect(
                f"your measurements are right, and they contradict your prediction: α = {alpha:g} gives "
                f"{expected[min(ALPHAS, key=lambda a: abs(a - alpha))]:.2f} classes per client on average. "
                "Which α gives the fewest?"
            )


class NoiseOnTheAverage(Exercise):
    """Central against local noise, on the averaged update."""

    variables = ("central_std", "local_std")
    prompt = (
        "Every round, 100 clients send updates clipped to norm S = 0.5, and the server averages them (divides the "
        "sum by 100). With noise multiplier z = 1.7, set `central_std` to the standard deviation of the noise on "
        "one coordinate of the average when the server adds N(0, (zS)^2) once to the sum (DP-FedAvg), and "
        "`local_std` to that when each client adds its own N(0, (zS)^2) before sending."
    )
    hints = (
        "Central: one draw of standard deviation zS, divided by 100.",
        "Local: the sum of 100 independent draws has standard deviation zS·√100; divide that by 100.",
    )
    solution_code = """
        z, S, m = 1.7, 0.5, 100
        central_std = z * S / m
        local_std = z * S * np.sqrt(m) / m  # = z * S / sqrt(m): ten times central_std
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np}

    def check_answer(self, central_std: Any, local_std: Any) -> None:
        z, s, m = 1.7, 0.5, 100
        central = self.as_number("central_std", central_std)
        local = self.as_number("local_std", local_std)
        if math.isclose(central, z * s, rel_tol=1e-6):
            raise Incorrect("zS is the noise on the sum; the average divides it by the 100 clients.")
        if math.isclose(central, (z * s) ** 2 / m, rel_tol=1e-6) or math.isclose(central, (z * s / m) ** 2):
            raise Incorrect("that is a variance; the exercise asks for a standard deviation.")
        self.assert_close("central_std", central, z * s / m, tol=1e-9)
        if math.isclose(local, z * s / m, rel_tol=1e-6):
            raise Incorrect(
                "independent noises do not add up linearly: the sum of 100 draws has standard deviation "
                "zS·√100, not zS·100."
            )
        if math.isclose(local, z * s, rel_tol=1e-6) or math.isclose(local, z * s * math.sqrt(m), rel_tol=1e-6):
            raise Incorrect("that is the noise on one message, or on the sum; divide the sum's noise by 100.")
        self.assert_close("local_std", local, z * s / math.sqrt(m), tol=1e-9)


q1 = WeightedAverage()
q2 = ClientHistogram()
q3 = PredictAlpha()
q4 = NoiseOnTheAverage()
