"""The end-to-end CNN that DP-SGD papers use on (Fashion-)MNIST (lesson 04).

Papernot, Thakurta, Song, Chien & Erlingsson (2021) and Tramèr & Boneh (2021)
train this small network (26,010 parameters) with DP-SGD. Its activations are
bounded (tanh): with ReLU, activations and hence gradients can grow without
bound, so clipping to a fixed norm C throws away more of the signal, while a
tanh network keeps gradient norms in a narrow range (Papernot et al., 2021).
It has no BatchNorm, so per-example gradients are well defined.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_bool, check_number, check_option

__all__ = ["DPCNN", "FASHION_MNIST_MEAN", "FASHION_MNIST_STD"]

#: Mean and standard deviation of Fashion-MNIST's training pixels in [0, 1] (public constants of the dataset).
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


class DPCNN(nn.Module):
    """Two strided convolutions and two dense layers, for 28x28 grey images.

    ``features`` maps an image to 512 numbers (conv 16x8x8 stride 2, max-pool
    2/1, conv 32x4x4 stride 2, max-pool 2/1); ``classifier`` is a dense layer
    of 32 units and the output layer. Inputs are images in [0, 1], normalised
    inside the model with the dataset's mean and standard deviation.

    Parameters
    ----------
    num_classes : int, default 10
    activation : {"tanh", "relu"}, default "tanh"
        ``"relu"`` is there to compare (lesson 04's tanh-versus-ReLU figure).
    normalize : bool, default True
        Subtract :data:`FASHION_MNIST_MEAN` and divide by :data:`FASHION_MNIST_STD` first.

    Examples
    --------
    >>> model = DPCNN()
    >>> tuple(model(torch.zeros(2, 1, 28, 28)).shape), sum(p.numel() for p in model.parameters())
    ((2, 10), 26010)
    """

    def __init__(self, num_classes: int = 10, *, activation: str = "tanh", normalize: bool = True) -> None:
        super().__init__()
        check_number("num_classes", num_classes, low=1, integer=True)
        check_option("activation", activation, _ACTIVATIONS)
        self.normalize = check_bool("normalize", normalize)
        act = _ACTIVATIONS[activation]
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=8, stride=2, padding=3),  # 14x14
            act(),
            nn.MaxPool2d(2, stride=1),  # 13x13
            nn.Conv2d(16, 32, kernel_size=4, stride=2),  # 5x5
            act(),
            nn.MaxPool2d(2, stride=1),  # 4x4
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Linear(32 * 4 * 4, 32), act(), nn.Linear(32, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.normalize:
            x = (x - FASHION_MNIST_MEAN) / FASHION_MNIST_STD
        return self.classifier(self.features(x))
