"""Tests of ppml_lessons.dp.scatternet: kymatio's features, normalised and stored small, and their DP-SGD settings.

The reference for the features is kymatio's ``Scattering2D`` called directly, and ``torch.nn.GroupNorm``
for the normalisation. float16 storage is checked against float16's rounding bound: a relative error of
at most 2^-11 for normal numbers, an absolute error of at most 2^-25 below them; float8_e4m3fn's is
2^-4 relative, 2^-10 absolute below its normal range.
"""

import copy
import math

import pytest
import torch
from torch import nn

from ppml_lessons.dp.accounting import epsilon, noise_multiplier_for_epsilon
from ppml_lessons.dp.scatternet import (
    SCATTERNET_SETTINGS,
    ScatterLinear,
    _scattering_2d,
    group_normalize,
    scattering_channels,
    scattering_features,
)
from ppml_lessons.dp.trainer import sampling_plan, train_dp_sgd

FLOAT16_ROUNDING = {"rtol": 2**-11, "atol": 2**-25}
FLOAT8_ROUNDING = {"rtol": 2**-4, "atol": 2**-10}  # float8_e4m3fn: 3 mantissa bits; subnormals in steps of 2^-9


def images(n=12, size=28, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def kymatio_reference():
    """kymatio's own output on a batch, float32, (n, 81, 7, 7)."""
    x = images()
    return x, _scattering_2d(2, (28, 28))(x)[:, 0]


def test_shapes_and_dtypes():
    x = images(5)
    assert scattering_features(x, progress=False).shape == (5, 81, 7, 7)
    assert scattering_features(x, progress=False).dtype == torch.float16
    assert scattering_features(x, dtype=torch.float32, progress=False).dtype == torch.float32
    one_scale = scattering_features(x, J=1, num_groups=None, dtype=torch.float32, progress=False)
    assert one_scale.shape == (5, scattering_channels(1), 14, 14) == (5, 9, 14, 14)  # no second order at J = 1
    assert scattering_features(x[:, 0], progress=False).shape == (5, 81, 7, 7)  # (n, H, W) too


def test_raw_features_are_kymatios(kymatio_reference):
    x, reference = kymatio_reference
    raw = scattering_features(x, num_groups=None, dtype=torch.float32, batch_size=5, progress=False)
    torch.testing.assert_close(raw, reference, rtol=1e-6, atol=1e-7)  # batches of 5, 5 and 2: same numbers


def test_normalised_features_are_group_norm_of_kymatios(kymatio_reference):
    x, reference = kymatio_reference
    expected = nn.GroupNorm(27, 81, affine=False)(reference)
    normalised = scattering_features(x, dtype=torch.float32, progress=False)
    torch.testing.assert_close(normalised, expected, rtol=1e-5, atol=1e-6)
    # each group of 3 channels of each image: mean 0, variance v / (v + eps) for its raw variance v
    groups, raw_groups = normalised.reshape(len(x), 27, -1), reference.reshape(len(x), 27, -1).double()
    raw_variance = raw_groups.var(-1, unbiased=False)
    torch.testing.assert_close(groups.mean(-1), torch.zeros(len(x), 27), atol=1e-5, rtol=0)
    torch.testing.assert_close(groups.var(-1, unbiased=False).double(), raw_variance / (raw_variance + 1e-5),
                               rtol=1e-4, atol=1e-6)
    stored = scattering_features(x, progress=False)  # float16: only float16's rounding apart
    torch.testing.assert_close(stored.float(), normalised, **FLOAT16_ROUNDING)
    small = scattering_features(x, dtype=torch.float8_e4m3fn, progress=False)  # lesson 04's storage
    assert small.dtype == torch.float8_e4m3fn and small.element_size() == 1
    torch.testing.assert_close(small.float(), normalised, **FLOAT8_ROUNDING)


def test_each_image_is_normalised_alone():
    x = images(6)
    together = scattering_features(x, dtype=torch.float32, progress=False)
    alone = torch.cat([scattering_features(x[i:i + 1], dtype=torch.float32, progress=False) for i in range(6)])
    torch.testing.assert_close(together, alone, rtol=1e-6, atol=1e-6)  # no statistic crosses examples


def test_same_images_same_features():
    x = images(7)
    first = scattering_features(x, progress=False)
    assert torch.equal(first, scattering_features(x.clone(), progress=False))


def test_group_normalize_is_group_norm():
    x = torch.randn(4, 6, 5, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.testing.assert_close(group_normalize(x, num_groups=3), nn.GroupNorm(3, 6, affine=False).double()(x))


def test_sph_harm_stand_in_is_the_spherical_harmonic():
    import scipy.special

    _scattering_2d(2, (28, 28))
    azimuth, polar = 0.7, 1.1
    assert scipy.special.sph_harm(0, 0, azimuth, polar) == pytest.approx(1 / (2 * math.sqrt(math.pi)))
    y11 = -0.5 * math.sqrt(3 / (2 * math.pi)) * math.sin(polar) * complex(math.cos(azimuth), math.sin(azimuth))
    assert complex(scipy.special.sph_harm(1, 1, azimuth, polar)) == pytest.approx(y11)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"images": [[0.0]]}, TypeError, "images"),
        ({"images": torch.rand(2, 3, 28, 28)}, ValueError, "images"),
        ({"images": torch.zeros(2, 28, 28, dtype=torch.uint8)}, ValueError, "images"),
        ({"images": torch.rand(0, 28, 28)}, ValueError, "images"),
        ({"J": 0}, ValueError, "J"),
        ({"J": 1.5}, TypeError, "J"),
        ({"J": 5}, ValueError, "J"),
        ({"num_groups": 10}, ValueError, "num_groups"),
        ({"num_groups": 0}, ValueError, "num_groups"),
        ({"dtype": torch.int8}, ValueError, "dtype"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"progress": "yes"}, TypeError, "progress"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, name):
    arguments = {"images": images(2), "progress": False, **kwargs}
    with pytest.raises(error, match=name):
        scattering_features(**arguments)


def test_group_normalize_and_model_check_their_arguments():
    with pytest.raises(TypeError, match="features"):
        group_normalize([1.0])
    with pytest.raises(ValueError, match="features"):
        group_normalize(torch.zeros(4, dtype=torch.int64))
    with pytest.raises(ValueError, match="num_groups"):
        group_normalize(torch.zeros(2, 6, 3), num_groups=4)
    with pytest.raises(ValueError, match="eps"):
        group_normalize(torch.zeros(2, 6, 3), num_groups=3, eps=0.0)
    with pytest.raises(ValueError, match="in_features"):
        ScatterLinear(0)
    with pytest.raises(TypeError, match="num_classes"):
        ScatterLinear(num_classes=2.5)


def test_scatter_linear_casts_float16_features():
    torch.manual_seed(0)
    model = ScatterLinear()
    features = scattering_features(images(3), progress=False)
    logits = model(features)
    assert logits.dtype == torch.float32
    torch.testing.assert_close(logits, model.linear(features.float().flatten(1)))


def test_dp_sgd_on_stored_features_same_step_by_every_clipping_method():
    features = scattering_features(images(64), progress=False)  # float16, as lesson 04 stores them
    labels = torch.arange(64) % 10
    torch.manual_seed(0)
    start = ScatterLinear()
    weights = {}
    for clipping in ["vmap", "ghost", "bookkeeping"]:
        model = copy.deepcopy(start)
        train_dp_sgd(model, (features, labels), epochs=2, batch_size=16, max_grad_norm=0.1, noise_multiplier=1.0,
                     delta=1e-3, lr=1.0, seed=0, noise_seed=0, clipping=clipping, progress=False,
                     device=torch.device("cpu"))
        weights[clipping] = model.linear.weight.detach()
    assert not torch.equal(weights["vmap"], start.linear.weight)
    for clipping in ["ghost", "bookkeeping"]:
        torch.testing.assert_close(weights[clipping], weights["vmap"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SCATTERNET_SETTINGS))
def test_settings_spend_epsilon_3_on_fashion_mnist(name):
    settings = SCATTERNET_SETTINGS[name]
    plan = sampling_plan(60_000, batch_size=settings["batch_size"], epochs=settings["epochs"])
    assert plan["sample_rate"] == 1 / math.ceil(60_000 / settings["batch_size"])  # 1/8 for batch 8192
    sigma = noise_multiplier_for_epsilon(epsilon=settings["target_epsilon"], sample_rate=plan["sample_rate"],
                                         steps=plan["steps"], delta=settings["delta"])
    spent = epsilon(noise_multiplier=sigma, sample_rate=plan["sample_rate"], steps=plan["steps"],
                    delta=settings["delta"])
    assert 2.99 < spent <= settings["target_epsilon"]
    opacus = pytest.importorskip("opacus.accountants")
    accountant = opacus.RDPAccountant()
    accountant.history = [(sigma, plan["sample_rate"], plan["steps"])]
    assert accountant.get_epsilon(delta=settings["delta"]) == pytest.approx(spent, rel=1e-6)


def test_trainer_reports_the_accountants_epsilon_for_scatter_linear():
    features = scattering_features(images(80), progress=False)
    labels = torch.arange(80) % 10
    torch.manual_seed(0)
    history = train_dp_sgd(ScatterLinear(), (features, labels), epochs=3, batch_size=20, max_grad_norm=0.1,
                           target_epsilon=3.0, delta=1e-3, lr=16.0, clipping="bookkeeping", progress=False,
                           eval_data=(features, labels), device=torch.device("cpu"))
    sigma = history.attrs["noise_multiplier"]
    for steps, eps in zip(history["steps"], history["epsilon"]):
        assert eps == epsilon(noise_multiplier=sigma, sample_rate=0.25, steps=int(steps), delta=1e-3)
    assert history["epsilon"].iloc[-1] <= 3.0
