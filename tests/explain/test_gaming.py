import numpy as np
import pytest

from ppml_lessons.explain.gaming import fit_scaffold, interventional_perturbations
from ppml_lessons.explain.shapley import exact_shapley_values


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, size=(600, 1)).astype(float)
    # columns 0 and 1 always agree on real rows; column 2 is noise
    return np.hstack([a, a, rng.normal(size=(600, 1))])


def test_perturbations_mix_instance_and_background(data):
    z = interventional_perturbations(data, background=data[:20], rng=0)
    assert z.shape == data.shape
    from_x = z == data
    from_background = np.array([[(row[j] == data[:20, j]).any() for j in range(3)] for row in z])
    assert (from_x | from_background).all()
    np.testing.assert_array_equal(z, interventional_perturbations(data, background=data[:20], rng=0))


def test_scaffold_hides_the_biased_feature_from_shapley_values(data):
    biased = lambda z: z[:, 0]  # noqa: E731
    innocuous = lambda z: (z[:, 2] > 0).astype(float)  # noqa: E731
    scaffold = fit_scaffold(biased, innocuous, data, background=data, rng=1)
    assert scaffold.looks_real(data).mean() > 0.9  # on real rows it is (almost always) the biased model
    honest = exact_shapley_values(biased, data[:20], background=data[:30])
    gamed = exact_shapley_values(scaffold.predict_positive, data[:20], background=data[:30])
    assert np.abs(gamed.values[:, 0]).mean() < np.abs(honest.values[:, 0]).mean()
    assert np.abs(gamed.values[:, 2]).mean() > 0  # the innocuous feature now gets credit
    np.testing.assert_allclose(scaffold.predict_proba(data[:5]).sum(axis=1), 1.0)


def test_bad_arguments_are_named(data):
    with pytest.raises(ValueError, match="background"):
        interventional_perturbations(data, background=data[:, :2])
    with pytest.raises(TypeError, match="x_real"):
        fit_scaffold(lambda z: z, lambda z: z, [[1.0]], background=data)
    with pytest.raises(TypeError, match="biased and innocuous"):
        from ppml_lessons.explain.gaming import ScaffoldedClassifier

        ScaffoldedClassifier("a", "b", None)
