import numpy as np
import pytest
import shap
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from ppml_lessons.explain.shapley import MAX_EXACT_FEATURES, coalition_weights, exact_shapley_values


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = (x[:, 0] + x[:, 1] * x[:, 2] - 0.5 * x[:, 3] > 0).astype(int)
    return x, y


@pytest.mark.slow  # shap's Exact explainer compiles its numba code on first use (about 20 s)
def test_linear_model_matches_shap_exact_and_linear_explainers(data):
    x, y = data
    model = LogisticRegression().fit(x, y)
    background, instances = x[:20], x[200:203]
    ours = exact_shapley_values(model.decision_function, instances, background=background)
    masker = shap.maskers.Independent(background, max_samples=len(background))
    exact = shap.explainers.Exact(model.decision_function, masker)(instances)
    linear = shap.LinearExplainer(model, masker).shap_values(instances)
    np.testing.assert_allclose(ours.values, exact.values, atol=1e-6)
    np.testing.assert_allclose(ours.values, linear, atol=1e-6)
    assert ours.base_value == pytest.approx(exact.base_values[0], abs=1e-6)
    # for a linear model the interventional value has a closed form: w_i (x_i - mean of background_i)
    np.testing.assert_allclose(ours.values, model.coef_[0] * (instances - background.mean(axis=0)), atol=1e-9)


def test_tree_model_matches_shap_tree_explainer_interventional(data):
    x, y = data
    model = GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0).fit(x, y)
    background, instances = x[:30], x[200:205]
    ours = exact_shapley_values(model.decision_function, instances, background=background)
    explainer = shap.TreeExplainer(model, data=background, feature_perturbation="interventional")
    np.testing.assert_allclose(ours.values, explainer.shap_values(instances), atol=1e-6)
    assert ours.base_value == pytest.approx(float(np.ravel(explainer.expected_value)[0]), abs=1e-6)


def test_efficiency_holds_on_an_arbitrary_function(data):
    x, _ = data
    f = lambda z: np.sin(z[:, 0]) * z[:, 1] + np.maximum(z[:, 2], z[:, 3]) ** 2 - z[:, 4]  # noqa: E731
    result = exact_shapley_values(f, x[:4], background=x[10:30])
    assert result.efficiency_gap < 1e-10
    np.testing.assert_allclose(result.predictions, f(x[:4]))
    assert result.base_value == pytest.approx(f(x[10:30]).mean())


def test_symmetry_dummy_and_toy_values():
    # f = x0 * x1 + 3 x2, baseline 0, x = 1: x0 and x1 split their product, x2 gets 3, x3 is a dummy
    f = lambda z: z[:, 0] * z[:, 1] + 3 * z[:, 2]  # noqa: E731
    result = exact_shapley_values(f, np.ones(4), background=np.zeros((1, 4)), feature_names=list("abcd"))
    np.testing.assert_allclose(result.values, [[0.5, 0.5, 3.0, 0.0]])
    assert result.feature_names == ["a", "b", "c", "d"]


def test_coalition_weights_sum_to_one_over_all_coalitions():
    from math import comb

    for d in range(1, 8):
        weights = coalition_weights(d)
        assert sum(comb(d - 1, s) * w for s, w in enumerate(weights)) == pytest.approx(1.0)


def test_bad_arguments_are_named():
    f = lambda z: z.sum(axis=1)  # noqa: E731
    with pytest.raises(ValueError, match=f"at most {MAX_EXACT_FEATURES} features"):
        exact_shapley_values(f, np.zeros(11), background=np.zeros((1, 11)))
    with pytest.raises(ValueError, match="background must have 3 columns"):
        exact_shapley_values(f, np.zeros(3), background=np.zeros((1, 2)))
    with pytest.raises(TypeError, match="model"):
        exact_shapley_values("f", np.zeros(3), background=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="model must return one number per row"):
        exact_shapley_values(lambda z: z, np.zeros(3), background=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="x must hold finite"):
        exact_shapley_values(f, [np.nan, 0, 0], background=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="feature_names"):
        exact_shapley_values(f, np.zeros(3), background=np.zeros((1, 3)), feature_names=["a"])
    with pytest.raises(TypeError, match="x must be"):
        exact_shapley_values(f, "abc", background=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="n_features"):
        coalition_weights(0)
