import numpy as np
import pandas as pd
import pytest

from ppml_lessons.explain.lime_tools import (
    default_kernel_width,
    image_classifier_fn,
    lime_stability_summary,
    lime_tabular_runs,
)
from ppml_lessons.models import SmallCNN


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(500, 4))

    def proba(z):  # only feature 0 matters, strongly; feature 1 weakly
        p = 1 / (1 + np.exp(-(3 * z[:, 0] + 0.3 * z[:, 1])))
        return np.column_stack([1 - p, p])

    return data, proba


def test_runs_are_seeded_and_find_the_feature_that_matters(problem):
    data, proba = problem
    kwargs = dict(training_data=data, feature_names=list("abcd"), seeds=[0, 1, 2], num_samples=[300, 1000])
    runs = lime_tabular_runs(proba, data[0], **kwargs)
    assert len(runs) == 3 * 2 * 4
    assert set(runs.loc[runs["rank"] == 1, "feature"]) == {"a"}
    again = lime_tabular_runs(proba, data[0], **kwargs)
    pd.testing.assert_frame_equal(runs, again)  # same seeds, same weights
    summary = lime_stability_summary(runs, top_k=1)
    assert list(summary.index) == [300, 1000]
    assert (summary["top_k_agreement"] == 1.0).all() and (summary["top1_changes"] == 0).all()


def test_kernel_width_is_passed_to_lime(problem):
    data, proba = problem
    kwargs = dict(training_data=data, feature_names=list("abcd"), seeds=[0], num_samples=[500])
    default = lime_tabular_runs(proba, data[0], **kwargs)
    explicit = lime_tabular_runs(proba, data[0], kernel_width=default_kernel_width(4), **kwargs)
    pd.testing.assert_frame_equal(default, explicit)  # None means LIME's 0.75 * sqrt(d)
    narrow = lime_tabular_runs(proba, data[0], kernel_width=0.1, **kwargs)
    assert not np.allclose(narrow["weight"], default["weight"])
    with pytest.raises(ValueError, match=r"kernel_width must be a float in \(0, inf"):
        lime_tabular_runs(proba, data[0], kernel_width=0, **kwargs)
    with pytest.raises(ValueError, match="n_features"):
        default_kernel_width(0)


def test_summary_counts_disagreeing_seeds():
    runs = pd.DataFrame({"num_samples": [5] * 6, "seed": [0, 0, 1, 1, 2, 2], "feature": list("ababab"),
                         "weight": [0.5, 0.1, 0.5, 0.1, 0.1, 0.5], "rank": [1, 2, 1, 2, 2, 1]})
    row = lime_stability_summary(runs, top_k=1).loc[5]
    assert row["top_k_agreement"] == pytest.approx(2 / 3) and row["distinct_top_k"] == 2 and row["top1_changes"] == 1
    assert row["mean_weight_sd"] == pytest.approx(np.std([0.5, 0.5, 0.1], ddof=1))


def test_image_classifier_fn_gives_probabilities():
    fn = image_classifier_fn(SmallCNN(5), batch_size=2)
    out = fn(np.random.default_rng(0).random((5, 28, 28, 3)))
    assert out.shape == (5, 5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_bad_arguments_are_named(problem):
    data, proba = problem
    with pytest.raises(ValueError, match="instance must have shape"):
        lime_tabular_runs(proba, data[0, :2], training_data=data, feature_names=list("abcd"))
    with pytest.raises(ValueError, match="num_samples"):
        lime_tabular_runs(proba, data[0], training_data=data, feature_names=list("abcd"), num_samples=[5])
    with pytest.raises(ValueError, match="feature_names"):
        lime_tabular_runs(proba, data[0], training_data=data, feature_names=list("ab"))
    with pytest.raises(TypeError, match="predict_proba"):
        lime_tabular_runs("p", data[0], training_data=data, feature_names=list("abcd"))
    with pytest.raises(ValueError, match="top_k"):
        lime_stability_summary(pd.DataFrame(columns=["num_samples", "seed", "feature", "weight", "rank"]), top_k=0)
    with pytest.raises(ValueError, match="runs must have the columns"):
        lime_stability_summary(pd.DataFrame({"a": [1]}))
    with pytest.raises(TypeError, match="model"):
        image_classifier_fn("cnn")
