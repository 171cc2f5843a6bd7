import numpy as np
import pytest

from ppml_lessons.explain.pair import pair_shapley_values
from ppml_lessons.explain.shapley import exact_shapley_values


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, size=400).astype(float)
    b = np.where(rng.random(400) < 0.8, a, rng.integers(0, 3, size=400)).astype(float)  # mostly equal to a
    return np.column_stack([a, rng.normal(size=400), b])


def model(z):
    return 2 * z[:, 0] + z[:, 0] * z[:, 1] - 0.5 * z[:, 2] ** 2


def test_interventional_pair_game_is_exact_shapley_with_the_rest_held_fixed(data):
    x = data[:4]
    ours = pair_shapley_values(model, x, pair=(0, 2), data=data, conditional=False)
    for row, values in zip(x, ours):
        def game(z, row=row):
            full = np.repeat(row[None, :], len(z), axis=0)
            full[:, [0, 2]] = z
            return model(full)

        exact = exact_shapley_values(game, row[[0, 2]], background=data[:, [0, 2]])
        np.testing.assert_allclose(values, exact.values[0], atol=1e-10)


def test_both_definitions_are_efficient(data):
    x = data[:5]
    for conditional in (False, True):
        phi = pair_shapley_values(model, x, pair=(0, 2), data=data, conditional=conditional)
        empty = []
        for row in x:
            z = np.repeat(row[None, :], len(data), axis=0)
            z[:, [0, 2]] = data[:, [0, 2]]
            empty.append(model(z).mean())
        np.testing.assert_allclose(phi.sum(axis=1), model(x) - np.array(empty), atol=1e-10)


def test_conditional_credits_a_feature_the_model_never_reads(data):
    reads_a_only = lambda z: 3 * z[:, 0]  # noqa: E731
    x = data[(data[:, 0] == 2) & (data[:, 2] == 2)][:3]
    interventional = pair_shapley_values(reads_a_only, x, pair=(0, 2), data=data, conditional=False)
    conditional = pair_shapley_values(reads_a_only, x, pair=(0, 2), data=data, conditional=True)
    assert np.all(interventional[:, 1] == 0)  # dummy: b is never read
    assert np.all(conditional[:, 1] > 0.5)  # b = 2 makes a = 2 likely, so b gets credit
    # by hand for one instance: v({b}) = mean of 3a over the rows with b = 2
    rows_b = data[data[:, 2] == 2]
    v_empty, v_a, v_b, v_ab = 3 * data[:, 0].mean(), 6.0, 3 * rows_b[:, 0].mean(), 6.0
    assert conditional[0, 1] == pytest.approx(((v_b - v_empty) + (v_ab - v_a)) / 2)


def test_bad_arguments(data):
    with pytest.raises(ValueError, match="pair must be two different column indices"):
        pair_shapley_values(model, data[:1], pair=(0, 0), data=data, conditional=True)
    with pytest.raises(ValueError, match="pair must be"):
        pair_shapley_values(model, data[:1], pair=(0, 3), data=data, conditional=True)
    with pytest.raises(ValueError, match=r"data must have shape \(m, 3\)"):
        pair_shapley_values(model, data[:1], pair=(0, 2), data=data[:, :2], conditional=True)
    with pytest.raises(TypeError, match="conditional"):
        pair_shapley_values(model, data[:1], pair=(0, 2), data=data, conditional="yes")
    with pytest.raises(TypeError, match="model must be a callable"):
        pair_shapley_values(3, data[:1], pair=(0, 2), data=data, conditional=True)
    odd = data[:1].copy()
    odd[0, 2] = 7.0
    with pytest.raises(ValueError, match="column 2 equals the instance's value 7.0"):
        pair_shapley_values(model, odd, pair=(0, 2), data=data, conditional=True)
