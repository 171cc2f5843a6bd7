"""The few small networks the lessons share, sized to train in seconds on a laptop CPU."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validation import check_number, check_option, check_type

__all__ = ["MLP", "SmallCNN", "count_parameters", "freeze", "unfreeze"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class MLP(nn.Sequential):
    """A multilayer perceptron for tabular data (lessons 05, 07, 08).

    Parameters
    ----------
    in_features : int
        Number of input columns.
    hidden : sequence of int
        Width of each hidden layer; empty gives logistic/softmax regression.
    out_features : int, default 2
        Number of classes (logits out).
    activation : {"relu", "tanh"}, default "relu"

    Examples
    --------
    >>> model = MLP(10, hidden=[16])
    >>> tuple(model(torch.zeros(4, 10)).shape)
    (4, 2)
    """

    def __init__(
        self, in_features: int, *, hidden: Sequence[int] = (64,), out_features: int = 2, activation: str = "relu"
    ) -> None:
        check_number("in_features", in_features, low=1, integer=True)
        check_number("out_features", out_features, low=1, integer=True)
        check_type("hidden", hidden, (list, tuple), "a list or tuple of layer widths")
        for width in hidden:
            check_number("hidden[i]", width, low=1, integer=True)
        check_option("activation", activation, _ACTIVATIONS)
        layers: list[nn.Module] = []
        width_in = in_features
        for width in hidden:
            layers += [nn.Linear(width_in, width), _ACTIVATIONS[activation]()]
            width_in = width
        layers.append(nn.Linear(width_in, out_features))
        super().__init__(*layers)


class SmallCNN(nn.Module):
    """A two-block CNN for 28x28 grey images (Fashion-MNIST), ~26k parameters.

    ``features`` (the encoder) maps an image to a flat vector of size
    :attr:`feature_dim`; ``head`` maps that to class logits. Keeping the two
    apart is what transfer learning (lesson 01) and DP on a frozen encoder
    (lesson 04) need. No BatchNorm, so it works with per-sample DP-SGD.

    Parameters
    ----------
    num_classes : int, default 10
    channels : tuple of two ints, default (16, 32)
    activation : {"relu", "tanh"}, default "relu"
        ``"tanh"`` suits DP-SGD (Papernot et al., 2021).

    Examples
    --------
    >>> model = SmallCNN()
    >>> tuple(model(torch.zeros(2, 1, 28, 28)).shape)
    (2, 10)
    """

    def __init__(
        self, num_classes: int = 10, *, channels: tuple[int, int] = (16, 32), activation: str = "relu"
    ) -> None:
        super().__init__()
        check_number("num_classes", num_classes, low=1, integer=True)
        check_type("channels", channels, (tuple, list), "a tuple of two channel counts")
        if len(channels) != 2:
            raise ValueError(f"channels must be a tuple of two ints in [1, inf); got {channels!r}")
        for c in channels:
            check_number("channels[i]", c, low=1, integer=True)
        check_option("activation", activation, _ACTIVATIONS)
        act = _ACTIVATIONS[activation]
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=5, padding=2),
            act(),
            nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(c1, c2, kernel_size=5, padding=2),
            act(),
            nn.MaxPool2d(2),  # 7x7
            nn.AdaptiveAvgPool2d(3),  # 3x3
            nn.Flatten(),
        )
        self.feature_dim = c2 * 9
        self.head = nn.Linear(self.feature_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters in ``model`` (only those with ``requires_grad`` if ``trainable_only``).

    Examples
    --------
    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def freeze(module: nn.Module) -> nn.Module:
    """Stop gradients to every parameter of ``module`` (``requires_grad=False``); returns it.

    Used by lesson 01 to freeze a pretrained encoder.

    Examples
    --------
    >>> model = SmallCNN()
    >>> _ = freeze(model.features)
    >>> count_parameters(model, trainable_only=True) == count_parameters(model.head)
    True
    """
    check_type("module", module, nn.Module, "a torch.nn.Module")
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    """Let gradients reach every parameter of ``module`` again; returns it.

    Examples
    --------
    >>> count_parameters(unfreeze(freeze(nn.Linear(2, 2))), trainable_only=True)
    6
    """
    check_type("module", module, nn.Module, "a torch.nn.Module")
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module
