"""ScatterNet features for DP-SGD: better features instead of more epochs (lesson 04).

Tramèr & Boneh (2021) showed that a *linear* model trained with DP-SGD on
handcrafted features beats end-to-end private CNNs at the same ε. Their
features are the scattering transform of Bruna & Mallat (2013): each image is
convolved with fixed Morlet wavelets at J = 2 scales and L = 8 orientations,
the complex modulus is taken, and the result is averaged over 2^J × 2^J
blocks; the same again on the first layer's moduli gives the second order. For
a 28 × 28 image that is 1 + J·L + L²·J(J − 1)/2 = 81 channels of 7 × 7, 3,969
numbers. Nothing in it is learned from data, so computing it costs no privacy:
it is a fixed function applied to each image, like resizing it.

The features are computed by kymatio (Andreux et al., 2020) in batches and
stored in float16 by default: 60,000 × 3,969 float32 numbers take 953 MB, half
that in float16, a quarter in 8-bit floats (lesson 04's choice). Before rounding to float16 they are normalised the way
Tramèr & Boneh's best Fashion-MNIST model does it, like a GroupNorm layer
without its learned scale and shift: each image's 81 channels are split into
groups (27 groups of 3 channels), and each group is standardised with the mean
and variance of that image's own 3 × 7 × 7 values. It reads one image only, so
it costs no privacy either (their other option, normalising with the training
set's mean and variance, has to compute those privately and spends part of ε).

:class:`ScatterLinear` is the linear model on these features, and
:data:`SCATTERNET_SETTINGS` the DP-SGD settings of
:func:`ppml_lessons.dp.trainer.train_dp_sgd` that lesson 04 and
``benchmarks/dpsgd_accuracy.py --features scatternet`` use.
"""

from __future__ import annotations

import scipy.special
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_bool, check_number, check_type

__all__ = ["SCATTERNET_SETTINGS", "ScatterLinear", "group_normalize", "scattering_channels", "scattering_features"]

#: DP-SGD settings for :class:`ScatterLinear` on Fashion-MNIST (keyword arguments of
#: :func:`~ppml_lessons.dp.trainer.train_dp_sgd`). Batch size 8192, clipping norm 0.1, learning rate 16 and
#: momentum 0.9 are Tramèr & Boneh's (2021) for this model; σ is chosen for ε = 3 after the given epochs.
#: ``"lesson"`` is what lesson 04 trains live: their settings for 20 epochs. ``"benchmark"`` is the longer run
#: of ``benchmarks/dpsgd_accuracy.py --features scatternet``: 60 epochs of twice their batch (a sample rate
#: of 1/4), the best of the few single runs compared while writing this module (40 and 60 epochs of batch
#: 8192, learning rate 16 or 32, with and without averaged weights, all within half a percent). Book-keeping
#: ghost clipping computes each example's gradient norm of the one linear layer from its input and output
#: gradient, so a batch of about 7,500 examples never holds 7,500 copies of the 39,700 weights (1.2 GB in
#: float32); the lesson's run also takes each batch in chunks of 512 examples (``max_physical_batch_size``,
#: the same step), which keeps the float32 copy of the features that the layer sees small.
SCATTERNET_SETTINGS: dict[str, dict] = {
    "lesson": {"epochs": 20, "batch_size": 8192, "max_grad_norm": 0.1, "target_epsilon": 3.0, "delta": 1e-5,
               "lr": 16.0, "momentum": 0.9, "clipping": "bookkeeping", "max_physical_batch_size": 512},
    "benchmark": {"epochs": 60, "batch_size": 16384, "max_grad_norm": 0.1, "target_epsilon": 3.0, "delta": 1e-5,
                  "lr": 16.0, "momentum": 0.9, "clipping": "bookkeeping"},
}

_ORIENTATIONS = 8  # L, kymatio's default
_DTYPES = (torch.float8_e4m3fn, torch.float16, torch.bfloat16, torch.float32)


def scattering_channels(J: int = 2) -> int:
    """Channels of the second-order scattering transform of a grey image with L = 8 orientations.

    1 (the low-pass average) + J·L (first order) + L²·J(J − 1)/2 (second order, coarser scale after finer).

    Examples
    --------
    >>> scattering_channels(2), scattering_channels(3)
    (81, 217)
    """
    J = check_number("J", J, low=1, integer=True)
    return 1 + J * _ORIENTATIONS + _ORIENTATIONS**2 * J * (J - 1) // 2


def _scattering_2d(J: int, shape: tuple[int, int]) -> nn.Module:
    """kymatio's ``Scattering2D``. kymatio 0.3.0 (its latest release) imports ``scipy.special.sph_harm``
    for its 3-D transform, which we do not use; SciPy 1.17 removed that function in favour of
    ``sph_harm_y``, so an equivalent is put in its place before kymatio is imported."""
    if not hasattr(scipy.special, "sph_harm"):
        # sph_harm(m, n, azimuth, polar) is sph_harm_y(n, m, polar, azimuth) (SciPy's documented equivalence)
        scipy.special.sph_harm = lambda m, n, theta, phi: scipy.special.sph_harm_y(n, m, phi, theta)
    from kymatio.torch import Scattering2D

    return Scattering2D(J=J, shape=shape)


def _groups(num_groups: int | None, channels: int) -> int | None:
    if num_groups is None:
        return None
    num_groups = check_number("num_groups", num_groups, low=1, integer=True)
    if channels % num_groups:
        raise ValueError(f"num_groups must divide the {channels} scattering channels; got {num_groups}")
    return num_groups


def group_normalize(features: torch.Tensor, *, num_groups: int = 27, eps: float = 1e-5) -> torch.Tensor:
    """Standardise each example's channel groups with that example's own mean and variance.

    The same as ``torch.nn.GroupNorm(num_groups, channels, affine=False)``: for each example, the
    channels are split into ``num_groups`` groups of consecutive channels and each group is shifted and
    scaled to mean 0 and variance 1 over its channels and positions. Each output depends on one example
    only, so it costs no privacy (unlike BatchNorm, which mixes the examples of a batch). Used by
    :func:`scattering_features` (lesson 04).

    Parameters
    ----------
    features : torch.Tensor
        Of shape ``(n, channels, ...)``, a float dtype.
    num_groups : int, default 27
        Must divide ``channels``.
    eps : float, default 1e-5
        Added to the variance.

    Returns
    -------
    torch.Tensor
        Same shape; computed in float32, returned in ``features``' dtype.

    Examples
    --------
    >>> x = torch.arange(24.0).reshape(2, 4, 3)
    >>> y = group_normalize(x, num_groups=2)
    >>> y.shape, round(float(y[0, :2].mean()), 6), round(float(y[0, :2].var(unbiased=False)), 3)
    (torch.Size([2, 4, 3]), 0.0, 1.0)
    """
    check_type("features", features, torch.Tensor, "a tensor of shape (n, channels, ...)")
    if features.ndim < 2 or not features.is_floating_point():
        raise ValueError(f"features must be a float tensor of shape (n, channels, ...); got shape "
                         f"{tuple(features.shape)} and dtype {features.dtype}")
    num_groups = _groups(num_groups, features.shape[1])
    eps = check_number("eps", eps, low=0, low_open=True)
    return nn.functional.group_norm(features.float(), num_groups, eps=eps).to(features.dtype)


def scattering_features(
    images: torch.Tensor,
    *,
    J: int = 2,
    num_groups: int | None = 27,
    dtype: torch.dtype = torch.float16,
    batch_size: int = 250,
    device: torch.device | None = None,
    progress: bool = True,
) -> torch.Tensor:
    """The scattering transform of grey images (kymatio's ``Scattering2D``), normalised, in batches.

    Parameters
    ----------
    images : torch.Tensor
        Of shape ``(n, 1, H, W)`` or ``(n, H, W)``, float, e.g. pixels in [0, 1].
    J : int, default 2
        Number of scales, in [1, inf): the output is ``H / 2^J × W / 2^J`` per channel.
    num_groups : int or None, default 27
        Normalise each image's features with :func:`group_normalize` in this many channel groups (Tramèr &
        Boneh's choice for Fashion-MNIST); ``None`` keeps kymatio's raw coefficients.
    dtype : torch.float8_e4m3fn, torch.float16, torch.bfloat16 or torch.float32, default torch.float16
        How the result is stored: float16 halves the memory and keeps about 3 significant digits, plenty
        for normalised features (raw coefficients can be smaller than float16 resolves well; store
        those in float32). ``torch.float8_e4m3fn`` takes a quarter of float32's memory and keeps about
        one significant digit (a relative rounding error of at most 2^-4); lesson 04 uses it to stay within
        its memory budget (with 20 epochs of its settings, one run each reached the same test accuracy,
        89.3%, from float8 and from float16 features).
    batch_size : int, default 250
        Images transformed at a time, in [1, inf); kymatio's working memory grows with it.
    device : torch.device, optional
        Where the transform runs (the result is on the CPU); defaults to the CPU.
    progress : bool, default True
        A tqdm bar over batches.

    Returns
    -------
    torch.Tensor
        Of shape ``(n, channels, H / 2^J, W / 2^J)`` with :func:`scattering_channels` channels (81 for
        J = 2), on the CPU, in ``dtype``.

    Examples
    --------
    Lesson 04 computes these for all 70,000 Fashion-MNIST images:

    >>> images = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    >>> features = scattering_features(images, progress=False)
    >>> tuple(features.shape), features.dtype
    ((4, 81, 7, 7), torch.float16)
    """
    check_type("images", images, torch.Tensor, "a tensor of shape (n, 1, H, W) or (n, H, W)")
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or not images.is_floating_point() or len(images) == 0:
        raise ValueError(f"images must be a non-empty float tensor of shape (n, 1, H, W) or (n, H, W); got shape "
                         f"{tuple(images.shape)} and dtype {images.dtype}")
    J = check_number("J", J, low=1, integer=True)
    height, width = images.shape[1:]
    if min(height, width) < 2**J:
        raise ValueError(f"J must be at most log2 of the image's side ({min(height, width)} pixels); got {J}")
    channels = scattering_channels(J)
    num_groups = _groups(num_groups, channels)
    if dtype not in _DTYPES:
        raise ValueError("dtype must be one of torch.float8_e4m3fn, torch.float16, torch.bfloat16, torch.float32; "
                         f"got {dtype!r}")
    batch_size = check_number("batch_size", batch_size, low=1, integer=True)
    check_bool("progress", progress)
    device = device or torch.device("cpu")
    scattering = _scattering_2d(J, (height, width)).to(device)
    out = None  # allocated once the first batch shows the output's spatial size
    starts = range(0, len(images), batch_size)
    with torch.no_grad():
        for start in tqdm(starts, desc="scattering", unit="batch", disable=not progress, leave=False):
            batch = scattering(images[start:start + batch_size].float().to(device))  # float32, (b, channels, h, w)
            if num_groups is not None:
                batch = group_normalize(batch, num_groups=num_groups)
            if out is None:
                out = torch.empty((len(images), *batch.shape[1:]), dtype=dtype)
            out[start:start + len(batch)] = batch.to("cpu", dtype)
    return out


class ScatterLinear(nn.Module):
    """A linear classifier on (flattened) scattering features, which may be stored in float16.

    The features are cast to float32 before the product, so the weights, gradients and noise stay in
    float32. Its only trainable layer is one ``nn.Linear``, so every ``clipping`` method of
    :func:`~ppml_lessons.dp.trainer.train_dp_sgd` applies. Used by lesson 04.

    Parameters
    ----------
    in_features : int, default 3969
        Numbers per example: 81 × 7 × 7 for J = 2 on 28 × 28 images.
    num_classes : int, default 10

    Examples
    --------
    >>> model = ScatterLinear()
    >>> tuple(model(torch.zeros(2, 81, 7, 7, dtype=torch.float16)).shape), sum(p.numel() for p in model.parameters())
    ((2, 10), 39700)
    """

    def __init__(self, in_features: int = 81 * 7 * 7, num_classes: int = 10) -> None:
        super().__init__()
        in_features = check_number("in_features", in_features, low=1, integer=True)
        num_classes = check_number("num_classes", num_classes, low=1, integer=True)
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1).to(self.linear.weight.dtype))
