"""Exercises of lesson 00 (start here): counting images, and a first group comparison on Adult."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..data import load_adult, load_fashion_mnist
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "SneakerCount", "IncomeRateRatio"]


@lru_cache(maxsize=1)
def _adult_train():
    return load_adult()[0]


def _whole_number(name: str, value: Any) -> int:
    """A count as an int: Python or NumPy integers, one-element tensors/arrays, integral floats; nothing else."""
    number = value
    if hasattr(number, "item") and not isinstance(number, (bool, int, float)):
        try:
            number = number.item()  # a NumPy scalar, or a tensor/array holding one element
        except (TypeError, ValueError, RuntimeError):
            raise Incorrect(f"`{name}` should be one whole number; got {value!r}") from None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise Incorrect(f"`{name}` should be a whole number; got {value!r}")
    if isinstance(number, float) and not number.is_integer():
        raise Incorrect(f"`{name}` is a count, so it should be a whole number; got {float(number)!r}")
    return int(number)


class SneakerCount(Exercise):
    """How many Fashion-MNIST training images are sneakers?"""

    variables = ("sneaker_count",)
    prompt = "Set `sneaker_count` to the number of training images labelled 'Sneaker'."
    hints = (
        "`train_images.targets` holds every label as a tensor, and `train_images.classes` the class names.",
        "`train_images.classes.index('Sneaker')` gives the label number; compare `targets` with it and sum.",
    )
    solution_code = """
        sneaker = train_images.classes.index("Sneaker")
        sneaker_count = int((train_images.targets == sneaker).sum())
    """

    def namespace(self) -> dict[str, Any]:
        return {"train_images": load_fashion_mnist(train=True)}

    def check_answer(self, sneaker_count: Any) -> None:
        train = load_fashion_mnist(train=True)
        expected = int((train.targets == train.classes.index("Sneaker")).sum())
        value = _whole_number("sneaker_count", sneaker_count)
        if value == len(train):
            raise Incorrect("that is the size of the whole training set; count only the sneakers.")
        if value == len(train.classes):
            raise Incorrect("that is the number of classes; count the images whose label is 'Sneaker'.")
        if value != expected:
            raise Incorrect(f"{value} is not the number of sneakers; check which label number 'Sneaker' has.")


class IncomeRateRatio(Exercise):
    """The ratio of high-income rates, women over men, in Adult's training split."""

    variables = ("rate_ratio",)
    prompt = (
        "Set `rate_ratio` to the share of women earning >50K divided by the share of men earning >50K "
        "(Adult training split): a ratio of base rates."
    )
    hints = (
        "`adult_train.groupby('sex', observed=True)['income_over_50k'].mean()` gives each group's share.",
        "Divide the value for 'Female' by the value for 'Male'.",
    )
    solution_code = """
        rates = adult_train.groupby("sex", observed=True)["income_over_50k"].mean()
        rate_ratio = rates["Female"] / rates["Male"]
    """

    def namespace(self) -> dict[str, Any]:
        return {"adult_train": _adult_train()}

    def check_answer(self, rate_ratio: Any) -> None:
        rates = _adult_train().groupby("sex", observed=True)["income_over_50k"].mean()
        expected = rates["Female"] / rates["Male"]
        try:
            value = float(rate_ratio)
        except (TypeError, ValueError):
            raise Incorrect(f"`rate_ratio` should be one number; got {type(rate_ratio).__name__}") from None
        if abs(value - 1 / expected) < 1e-3:
            raise Incorrect("that is men over women; divide the women's rate by the men's.")
        if abs(value - (rates["Female"] - rates["Male"])) < 1e-3:
            raise Incorrect("that is a difference of rates; the exercise asks for their ratio.")
        if abs(value - rates["Female"]) < 1e-3 or abs(value - rates["Male"]) < 1e-3:
            raise Incorrect("that is one group's rate; divide the women's rate by the men's.")
        self.assert_close("rate_ratio", value, expected, tol=1e-3)


q1 = SneakerCount()
q2 = IncomeRateRatio()
