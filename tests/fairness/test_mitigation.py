import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler

from ppml_lessons.fairness.mitigation import oversample_indices, parity_cell_targets, reweighing_weights, smote_cells


def _table(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    group = rng.choice(["f", "m", "x"], size=n, p=[0.3, 0.6, 0.1])
    y = rng.binomial(1, np.select([group == "f", group == "m"], [0.1, 0.3], 0.5))
    return y, group


def test_reweighing_makes_label_exactly_independent_of_group():
    y, group = _table()
    w = reweighing_weights(y, sensitive_features=group)
    weighted = pd.crosstab(group, y, values=w, aggfunc="sum").to_numpy()
    n = len(y)
    # independence in the weighted data: every cell's weight is (group weight) x (label weight) / total
    np.testing.assert_allclose(weighted, np.outer(weighted.sum(1), weighted.sum(0)) / weighted.sum(), rtol=1e-12)
    # and the marginals are untouched: groups and labels keep their sizes, the weights sum to n
    np.testing.assert_allclose(weighted.sum(1), pd.Series(group).value_counts().sort_index().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(weighted.sum(0), np.bincount(y), rtol=1e-12)
    assert w.sum() == pytest.approx(n)


def test_reweighing_matches_the_formula_for_a_small_table():
    # 2 groups x 2 labels: a = (1 pos, 3 neg), b = (3 pos, 1 neg); P(a)=P(pos)=1/2, P(a, pos)=1/8 -> weight 2
    w = reweighing_weights([1, 0, 0, 0, 1, 1, 1, 0], sensitive_features=list("aaaabbbb"))
    np.testing.assert_allclose(w, [2, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2])


def test_reweighing_rejects_bad_input():
    with pytest.raises(ValueError, match="empty cells"):
        reweighing_weights([1, 1, 0, 0], sensitive_features=list("aabb"))
    with pytest.raises(ValueError, match="y must hold binary"):
        reweighing_weights([2, 1, 0, 0], sensitive_features=list("abab"))
    with pytest.raises(ValueError, match="sensitive_features must have the same length"):
        reweighing_weights([1, 0, 1, 0], sensitive_features=list("aba"))


def test_parity_targets_only_add_and_equalize_base_rates():
    y, group = _table()
    targets = parity_cell_targets(y, sensitive_features=group)
    assert (targets["added"] >= 0).all()
    # per group, only the label that was short grows
    assert (targets.groupby("group")["added"].apply(lambda a: (a > 0).sum()) <= 1).all()
    wide = targets.pivot(index="group", columns="label", values="target")
    rates = wide[1] / (wide[0] + wide[1])
    # rounding a count to the nearest integer moves a rate by at most 0.5 / group size
    assert np.abs(rates - y.mean()).max() <= 0.5 / (wide[0] + wide[1]).min() + 1e-12
    with pytest.raises(ValueError, match="base_rate"):
        parity_cell_targets(y, sensitive_features=group, base_rate=1.0)


def test_oversampling_keeps_original_rows_and_adds_only_to_targeted_cells():
    y, group = _table()
    cells = list(zip(group, y))
    targets = parity_cell_targets(y, sensitive_features=group)
    wanted = {(r.group, r.label): int(r.target) for r in targets.itertuples() if r.added > 0}
    index = oversample_indices(cells, wanted, rng=1)
    n = len(y)
    np.testing.assert_array_equal(index[:n], np.arange(n))
    added = pd.Series([cells[i] for i in index[n:]]).value_counts()
    assert set(added.index) == set(wanted)
    for cell, target in wanted.items():
        assert cells.count(cell) + added[cell] == target
    # same seed, same rows; another seed, other rows
    np.testing.assert_array_equal(index, oversample_indices(cells, wanted, rng=1))
    assert not np.array_equal(index, oversample_indices(cells, wanted, rng=2))


def test_oversampling_draws_uniformly_like_imbalanced_learn():
    # cross-check with imbalanced-learn's RandomOverSampler on one cell: both draw copies uniformly with
    # replacement, so each of the 20 minority rows is copied 980/20 = 49 times on average (sd ~ 6.9);
    # the two counts per row differ by a difference of two Binomial(980, 1/20) -> sd ~ 9.6, |diff| < 5 sd.
    y = np.r_[np.ones(20, int), np.zeros(1000, int)]
    index = oversample_indices(y, {1: 1000}, rng=0)
    ros_x, _ = RandomOverSampler(random_state=0).fit_resample(np.arange(len(y))[:, None], y)
    ours = np.bincount(index[len(y):], minlength=20)[:20]
    theirs = np.bincount(ros_x[len(y):, 0], minlength=20)[:20]
    assert ours.sum() == theirs.sum() == 980
    assert np.abs(ours - theirs).max() < 5 * np.sqrt(2 * 980 * (1 / 20) * (19 / 20))


def test_oversampling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="targets"):
        oversample_indices(["a", "b"], {"c": 3})
    with pytest.raises(ValueError, match=r"targets\['a'\]"):
        oversample_indices(["a", "a", "b"], {"a": 1})
    with pytest.raises(TypeError, match="targets"):
        oversample_indices(["a", "b"], [("a", 2)])
    with pytest.raises(TypeError, match="cells"):
        oversample_indices("ab", {"a": 2})


def test_smote_keeps_originals_reaches_targets_and_interpolates_within_cells():
    y, group = _table(n=600)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(len(y), 3)) + y[:, None] * 2.0
    targets = parity_cell_targets(y, sensitive_features=group)
    x_new, y_new, g_new = smote_cells(x, y, sensitive_features=group, targets=targets, rng=0)
    np.testing.assert_array_equal(x_new[: len(y)], x)
    counts = pd.crosstab(g_new, y_new).stack()
    expected = targets.set_index(["group", "label"])["target"]
    assert (counts.sort_index().to_numpy() == expected.sort_index().to_numpy()).all()
    # a synthetic row lies on a segment between two rows of its own cell: inside the cell's bounding box
    for row, label, grp in zip(x_new[len(y):], y_new[len(y):], g_new[len(y):]):
        cell = x[(group == grp) & (y == label)]
        assert (row >= cell.min(0) - 1e-12).all() and (row <= cell.max(0) + 1e-12).all()
    again = smote_cells(x, y, sensitive_features=group, targets=targets, rng=0)[0]
    np.testing.assert_array_equal(x_new, again)


def test_smote_rejects_bad_arguments():
    y, group = _table(n=600)
    x = np.zeros((len(y), 2))
    targets = parity_cell_targets(y, sensitive_features=group)
    with pytest.raises(ValueError, match="x must be a 2-D"):
        smote_cells(x[:10], y, sensitive_features=group, targets=targets)
    with pytest.raises(ValueError, match="k_neighbors"):
        smote_cells(x, y, sensitive_features=group, targets=targets, k_neighbors=0)
    with pytest.raises(TypeError, match="targets"):
        smote_cells(x, y, sensitive_features=group, targets={"f": 3})
    low = targets.assign(target=targets["count"] - 1)
    with pytest.raises(ValueError, match="targets must not be below"):
        smote_cells(x, y, sensitive_features=group, targets=low)


def test_smotenc_on_mixed_columns_gives_real_categories_and_values_in_their_own_units():
    y, group = _table(n=600)
    rng = np.random.default_rng(4)
    jobs = np.where(y == 1, rng.choice(["clerk", "manager"], len(y)), rng.choice(["clerk", "cook", "driver"], len(y)))
    jobs = pd.Series(jobs, dtype="category").cat.add_categories(["astronaut"])  # a declared, unused category
    jobs[rng.random(len(y)) < 0.05] = np.nan  # missing values stay a category of their own
    x = pd.DataFrame({"age": rng.integers(20, 70, len(y)), "hours": 40 + 10 * y + rng.normal(0, 5, len(y)),
                      "job": jobs}, index=np.arange(len(y)) + 1000)
    targets = parity_cell_targets(y, sensitive_features=group)
    x_new, y_new, g_new = smote_cells(x, y, sensitive_features=group, targets=targets, rng=0)
    assert isinstance(x_new, pd.DataFrame) and list(x_new.columns) == ["age", "hours", "job"]
    # integer columns come back as floats: an interpolated age is fractional
    pd.testing.assert_frame_equal(x_new.iloc[: len(y)], x.reset_index(drop=True), check_dtype=False)
    assert x_new["job"].dtype == x["job"].dtype  # same categories, in the same order
    expected = targets.set_index(["group", "label"])["target"]
    assert (pd.crosstab(g_new, y_new).stack().sort_index().to_numpy() == expected.sort_index().to_numpy()).all()
    synthetic = x_new.iloc[len(y):]
    assert len(synthetic) == targets["added"].sum() > 0
    for (_, row), label, grp in zip(synthetic.iterrows(), y_new[len(y):], g_new[len(y):]):
        cell = x[(group == grp) & (y == label)]
        # a real category of its own cell (or missing), never a fraction of one
        assert row["job"] in set(cell["job"].dropna()) or (pd.isna(row["job"]) and cell["job"].isna().any())
        for column in ("age", "hours"):  # interpolated in the column's own units, inside the cell's range
            assert cell[column].min() - 1e-9 <= row[column] <= cell[column].max() + 1e-9
    again = smote_cells(x, y, sensitive_features=group, targets=targets, rng=0)[0]
    pd.testing.assert_frame_equal(x_new, again)
    with pytest.raises(ValueError, match="at least one numeric column"):
        smote_cells(x[["job"]], y, sensitive_features=group, targets=targets)
    with pytest.raises(ValueError, match="one row per label"):
        smote_cells(x.iloc[:10], y, sensitive_features=group, targets=targets)
