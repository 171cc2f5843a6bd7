import math

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn import metrics
from torch import nn

from ppml_lessons.attacks.membership import (
    dp_tpr_bound,
    epsilon_lower_bound,
    lira_offline,
    logit_confidence,
    loss_threshold_attack,
    model_logits,
    per_example_loss,
    roc_auc,
    roc_curve,
    shadow_splits,
    tpr_at_fpr,
)


def _random_case(seed, n_in=300, n_out=700, shift=1.0, ties=False):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(shift, 1, n_in), rng.normal(0, 1, n_out)]
    if ties:
        scores = np.round(scores, 1)
    members = np.r_[np.ones(n_in, bool), np.zeros(n_out, bool)]
    order = rng.permutation(len(scores))
    return scores[order], members[order]


# ----- metrics against scikit-learn ----------------------------------------------------------------
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_curve_matches_sklearn(seed, ties):
    scores, members = _random_case(seed, ties=ties)
    fpr, tpr, thresholds = roc_curve(scores, members)
    ref_fpr, ref_tpr, ref_thresholds = metrics.roc_curve(members, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    np.testing.assert_allclose(thresholds[1:], ref_thresholds[1:])
    assert thresholds[0] == np.inf


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn_and_the_trapezoid(seed, ties):
    scores, members = _random_case(seed, ties=ties)
    assert roc_auc(scores, members) == pytest.approx(metrics.roc_auc_score(members, scores), abs=1e-12)
    fpr, tpr, _ = roc_curve(scores, members)
    assert roc_auc(scores, members) == pytest.approx(metrics.auc(fpr, tpr), abs=1e-12)


@pytest.mark.parametrize("target", [0.0, 0.001, 0.01, 0.05, 0.5, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_tpr_at_fpr_agrees_with_sklearn_roc(seed, target):
    scores, members = _random_case(seed, n_in=1500, n_out=2000, shift=2.0)
    ref_fpr, ref_tpr, _ = metrics.roc_curve(members, scores)
    expected = ref_tpr[ref_fpr <= target].max()
    assert tpr_at_fpr(scores, members, fpr=target) == pytest.approx(expected)


def test_tpr_at_fpr_by_hand():
    # non-member scores 0..999: a threshold above 989 lets through at most 10 non-members (FPR 1%)
    non_members = np.arange(1000.0)
    members = np.array([2000.0, 995.5, 990.5, 500.0])
    scores = np.r_[members, non_members]
    is_member = np.r_[np.ones(4, bool), np.zeros(1000, bool)]
    assert tpr_at_fpr(scores, is_member, fpr=0.0) == 0.25
    assert tpr_at_fpr(scores, is_member, fpr=0.001) == 0.25  # one false positive (999) allowed: 995.5 is not enough
    assert tpr_at_fpr(scores, is_member, fpr=0.005) == 0.5  # five allowed (995..999): 995.5 is found
    assert tpr_at_fpr(scores, is_member, fpr=0.01) == 0.75
    assert tpr_at_fpr(scores, is_member, fpr=1.0) == 1.0


# ----- constructed attacks ---------------------------------------------------------------------------
def test_a_model_that_memorizes_its_members_is_found():
    """A lookup table that is certain on its training set and guesses elsewhere: AUC and TPR near 1."""
    rng = np.random.default_rng(0)
    n, classes = 2000, 10
    labels = rng.integers(0, classes, size=2 * n)
    is_member = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    logits = rng.normal(0, 1, size=(2 * n, classes))  # an uninformed guess for everyone
    logits[np.flatnonzero(is_member), labels[is_member]] += 20.0  # the memorized answers
    losses = per_example_loss(logits, labels)
    assert roc_auc(-losses, is_member) > 0.999
    assert tpr_at_fpr(-losses, is_member, fpr=0.001) > 0.99
    guesses = loss_threshold_attack(losses, threshold=float(losses[is_member].max()))  # the largest training loss
    assert np.array_equal(guesses, is_member)


@pytest.mark.parametrize("seed", range(5))
def test_scores_independent_of_membership_give_auc_near_one_half(seed):
    """With scores independent of membership the AUC (Mann-Whitney U / mn) has standard deviation
    sqrt((m + n + 1) / (12 m n)); it stays within 4 of them of 0.5 (two-sided probability < 1e-4)."""
    rng = np.random.default_rng(seed)
    m = n = 2000
    scores = rng.normal(size=m + n)
    is_member = np.r_[np.ones(m, bool), np.zeros(n, bool)]
    std = math.sqrt((m + n + 1) / (12 * m * n))
    assert abs(roc_auc(scores, is_member) - 0.5) < 4 * std
    # and TPR at FPR f is about f: a binomial over m members, within 4 standard deviations
    tpr = tpr_at_fpr(scores, is_member, fpr=0.01)
    assert abs(tpr - 0.01) < 4 * math.sqrt(0.01 * 0.99 / m) + 1 / n


def test_lira_on_a_gaussian_case_is_the_optimal_test():
    """Example i has its own OUT distribution N(mu_i, s^2); a member's confidence is shifted by +1.

    With the true (mu_i, s) the likelihood-ratio test ranks examples by z_i = (phi_i - mu_i) / s, and
    members' z ~ N(1 / s, 1), non-members' z ~ N(0, 1): TPR at FPR f is sf(isf(f) - 1 / s) and the AUC is
    Phi(1 / (s sqrt 2)). LiRA estimates (mu_i, s) from 256 shadows and should reach these values
    (within binomial noise), far above the raw confidence phi, which ignores how hard each example is.
    """
    rng = np.random.default_rng(0)
    n, shadows = 4000, 256
    mu = rng.normal(0, 3, size=n)  # examples differ a lot in difficulty
    s = np.full(n, 0.5)
    is_member = rng.random(n) < 0.5
    phi = mu + s * rng.normal(size=n) + 1.0 * is_member
    shadow_phi = mu + s * rng.normal(size=(shadows, n))
    scores = lira_offline(phi, shadow_phi)
    z_estimated = (phi - shadow_phi.mean(axis=0)) / shadow_phi.std(axis=0, ddof=1)
    np.testing.assert_allclose(scores, -stats.norm.logsf(z_estimated), rtol=1e-12)
    # the known answer: with the true (mu, s), members' z ~ N(2, 1), non-members' z ~ N(0, 1)
    expected_tpr = stats.norm.sf(stats.norm.isf(0.01) - 1.0 / 0.5)
    measured = tpr_at_fpr(scores, is_member, fpr=0.01)
    noise = 4 * math.sqrt(expected_tpr * (1 - expected_tpr) / is_member.sum()) + 0.01
    assert abs(measured - expected_tpr) < noise
    assert measured > tpr_at_fpr(phi, is_member, fpr=0.01) + 0.2
    assert roc_auc(scores, is_member) == pytest.approx(stats.norm.cdf(2.0 / math.sqrt(2)), abs=0.02)


def test_lira_global_variance_and_floor():
    shadows = np.array([[0.0, 5.0], [0.0, 5.0], [0.0, 5.0]])  # every shadow agrees: std 0
    scores = lira_offline([1.0, 5.0], shadows, min_std=0.1)
    assert np.isfinite(scores).all()
    assert scores[0] == pytest.approx(-stats.norm.logsf(10.0))
    pooled = lira_offline([1.0, 5.0], [[0.0, 4.0], [2.0, 6.0]], global_variance=True)
    std = math.sqrt(2.0)  # each column has variance 2 (ddof=1)
    np.testing.assert_allclose(pooled, -stats.norm.logsf(np.array([0.0, 0.0]) / std))


def test_lira_score_is_stable_far_in_the_tail():
    scores = lira_offline([100.0, 0.0], [[0.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    assert np.isfinite(scores).all() and scores[0] > 1000 and scores[1] == pytest.approx(math.log(2))


# ----- scores ----------------------------------------------------------------------------------------
def test_per_example_loss_matches_torch_cross_entropy():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 7, generator=g) * 5
    labels = torch.randint(0, 7, (50,), generator=g)
    expected = nn.functional.cross_entropy(logits.double(), labels, reduction="none").numpy()
    # float64 log-sum-exp of logits ~10 carries an absolute rounding error of a few 1e-15
    np.testing.assert_allclose(per_example_loss(logits, labels), expected, rtol=1e-12, atol=1e-13)


def test_logit_confidence_is_log_odds_and_stable():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(40, 5, generator=g).double()
    labels = torch.randint(0, 5, (40,), generator=g)
    p = logits.softmax(dim=1)[torch.arange(40), labels].numpy()
    np.testing.assert_allclose(logit_confidence(logits, labels), np.log(p / (1 - p)), rtol=1e-9)
    # a confident model: p rounds to 1.0 in float64, the logit-scaled confidence does not overflow
    confident = logit_confidence([[60.0, 0.0, 0.0]], [0])
    assert confident[0] == pytest.approx(60.0 - math.log(2))
    assert logit_confidence([[0.0, 60.0]], [0])[0] == pytest.approx(-60.0)


def test_model_logits_match_the_forward_pass_and_keep_the_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3)).train()
    x = torch.randn(10, 4)
    out = model_logits(model, x, batch_size=3, device=torch.device("cpu"))
    assert model.training
    np.testing.assert_allclose(out, model.eval()(x).double().detach().numpy(), rtol=1e-6)


def test_loss_threshold_attack_guesses_low_losses():
    assert loss_threshold_attack(np.array([0.0, 0.5, 0.50001, 3.0]), threshold=0.5).tolist() == [
        True, True, False, False]


def test_shadow_splits_are_seeded_and_inside_the_pool():
    a = shadow_splits(100, n_shadows=4, n_train=30, rng=7)
    b = shadow_splits(100, n_shadows=4, n_train=30, rng=7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert all(len(np.unique(x)) == 30 and x.min() >= 0 and x.max() < 100 for x in a)
    assert not all(np.array_equal(a[0], x) for x in a[1:])


# ----- the DP bound ----------------------------------------------------------------------------------
def test_dp_bound_formulas():
    fpr = np.linspace(0, 1, 101)
    one_sided = dp_tpr_bound(fpr, epsilon=2.0, delta=1e-3, symmetric=False)
    np.testing.assert_allclose(one_sided, np.minimum(math.exp(2) * fpr + 1e-3, 1))
    both = dp_tpr_bound(fpr, epsilon=2.0, delta=1e-3)
    np.testing.assert_allclose(both, np.minimum(one_sided, 1 - math.exp(-2) * (1 - 1e-3 - fpr)))
    assert np.all(both >= fpr - 1e-12)  # never below guessing
    np.testing.assert_allclose(dp_tpr_bound(fpr, epsilon=0.0), fpr, atol=1e-12)  # ε = 0: no attack beats guessing


def test_epsilon_lower_bound_inverts_the_dp_bound():
    for epsilon in (0.5, 1.0, 3.0):
        for fpr in (0.001, 0.01, 0.2):
            tpr = float(dp_tpr_bound(fpr, epsilon=epsilon, delta=1e-5))
            assert epsilon_lower_bound(tpr, fpr, delta=1e-5) == pytest.approx(epsilon, rel=1e-9)
    assert epsilon_lower_bound(0.01, 0.01) == 0.0  # guessing proves nothing
    assert epsilon_lower_bound(0.3, 0.0) == math.inf  # no false positive at all: unbounded (point estimate)
    finite = epsilon_lower_bound(0.3, 0.0, n_members=1000, n_nonmembers=1000)
    assert 0 < finite < math.inf  # with the sampling error taken into account, finite


def test_clopper_pearson_ends():
    tpr_low = stats.beta.ppf(0.05, 300, 1000 - 300 + 1)
    fpr_high = stats.beta.ppf(0.95, 10 + 1, 1000 - 10)
    expected = math.log(tpr_low / fpr_high)
    assert epsilon_lower_bound(0.3, 0.01, n_members=1000, n_nonmembers=1000) == pytest.approx(expected)


def _fashion_subset():
    from ppml_lessons.data import load_fashion_mnist

    x, y = load_fashion_mnist(train=False).tensors()
    return x, y


@pytest.mark.slow
def test_the_dp_bound_holds_for_a_model_trained_with_dp_sgd():
    """Train a small model with DP-SGD at ε = 1 and attack it: at every FPR the measured TPR's
    lower confidence end stays below the bound, i.e. the audit's ε lower bound is at most 1."""
    from ppml_lessons.dp.trainer import train_dp_sgd

    x, y = _fashion_subset()
    x = x[:, :, ::2, ::2].flatten(1)  # 14x14 pixels, a linear model: fast
    members, non_members = np.arange(0, 1000), np.arange(1000, 2000)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(196, 64), nn.Tanh(), nn.Linear(64, 10))
    epsilon, delta = 1.0, 1e-5
    history = train_dp_sgd(model, (x[members], y[members]), epochs=10, batch_size=100, max_grad_norm=1.0,
                           target_epsilon=epsilon, delta=delta, lr=1.0, seed=0, progress=False,
                           device=torch.device("cpu"))
    assert history["epsilon"].iloc[-1] <= epsilon + 1e-6
    candidates = np.r_[members, non_members]
    is_member = np.r_[np.ones(1000, bool), np.zeros(1000, bool)]
    losses = per_example_loss(model_logits(model, x[candidates], device=torch.device("cpu")), y[candidates])
    fpr, tpr, _ = roc_curve(-losses, is_member)
    for target in (0.001, 0.01, 0.1, 0.5):
        measured_tpr = tpr_at_fpr(-losses, is_member, fpr=target)
        measured_fpr = fpr[tpr == measured_tpr].min()
        audit = epsilon_lower_bound(measured_tpr, measured_fpr, delta=delta, n_members=1000, n_nonmembers=1000,
                                    confidence=0.99)
        assert audit <= epsilon, (target, measured_tpr, measured_fpr, audit)


# ----- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: roc_curve([1.0, 2.0], [True, True]), ValueError, "both members and non-members"),
        (lambda: roc_curve([1.0, 2.0], [True]), ValueError, "one entry per score"),
        (lambda: roc_curve([1.0, np.nan], [True, False]), ValueError, "scores must hold finite"),
        (lambda: roc_curve([[1.0, 2.0]], [True, False]), TypeError, "scores must be a 1-D array"),
        (lambda: roc_curve(["a", "b"], [True, False]), TypeError, "scores must be a 1-D array"),
        (lambda: roc_auc([1.0, 2.0], [2, 0]), ValueError, "is_member must hold only"),
        (lambda: roc_auc([], []), ValueError, "scores must hold at least one"),
        (lambda: tpr_at_fpr([1.0, 2.0], [True, False], fpr=1.5), ValueError, r"fpr must be a float in \[0, 1\]"),
        (lambda: tpr_at_fpr([1.0, 2.0], [True, False], fpr="1%"), TypeError, "fpr must be a float"),
        (lambda: per_example_loss([[0.0, 1.0]], [2]), ValueError, r"labels must be integers in \[0, 1\]"),
        (lambda: per_example_loss([0.0, 1.0], [0]), TypeError, "logits must be a 2-D array"),
        (lambda: per_example_loss([[0.0, 1.0]], [0.5]), TypeError, "labels must be a 1-D array of integer"),
        (lambda: logit_confidence([[0.0], [1.0]], [0, 0]), ValueError, "at least 2 classes"),
        (lambda: logit_confidence([[0.0, np.inf]], [0]), ValueError, "logits must hold finite"),
        (lambda: logit_confidence([[0.0, 1.0]], [0, 1]), ValueError, "labels must have one entry per row"),
        (lambda: model_logits("model", torch.zeros(1, 2)), TypeError, "model must be a torch.nn.Module"),
        (lambda: model_logits(nn.Linear(2, 2), torch.zeros(1, 2), batch_size=0), ValueError, "batch_size"),
        (lambda: loss_threshold_attack([0.1, 0.2], threshold=None), TypeError, "threshold must be a float"),
        (lambda: lira_offline([1.0, 2.0], [[1.0, 2.0]]), ValueError, "at least 2 shadow models"),
        (lambda: lira_offline([1.0, 2.0], [[1.0], [2.0]]), ValueError, r"one column per target confidence \(2\)"),
        (lambda: lira_offline([1.0], [1.0, 2.0]), TypeError, "shadow_confidences must be a 2-D array"),
        (lambda: lira_offline([1.0], [[1.0], [2.0]], min_std=0), ValueError, r"min_std must be a float in \(0, inf\)"),
        (lambda: lira_offline([1.0], [[1.0], [2.0]], global_variance=1), TypeError, "global_variance must be a bool"),
        (lambda: shadow_splits(10, n_shadows=2, n_train=11), ValueError, r"n_train must be an integer in \[1, 10\]"),
        (lambda: shadow_splits(10, n_shadows=0, n_train=1), ValueError, "n_shadows"),
        (lambda: shadow_splits(10, n_shadows=1, n_train=1, rng="seed"), TypeError, "rng must be"),
        (lambda: dp_tpr_bound(0.1, epsilon=-1.0), ValueError, r"epsilon must be a float in \[0, inf\); got -1.0"),
        (lambda: dp_tpr_bound(0.1, epsilon=1.0, delta=2.0), ValueError, r"delta must be a float in \[0, 1\]"),
        (lambda: dp_tpr_bound([0.1, 1.2], epsilon=1.0), ValueError, r"fpr must be a number or an array"),
        (lambda: dp_tpr_bound(0.1, epsilon=1.0, symmetric="yes"), TypeError, "symmetric must be a bool"),
        (lambda: epsilon_lower_bound(1.2, 0.1), ValueError, r"tpr must be a float in \[0, 1\]"),
        (lambda: epsilon_lower_bound(0.5, 0.1, n_members=100), ValueError, "give both n_members and n_nonmembers"),
        (lambda: epsilon_lower_bound(0.5, 0.1, n_members=0, n_nonmembers=10), ValueError, "n_members"),
        (lambda: epsilon_lower_bound(0.5, 0.1, confidence=1.0), ValueError, r"confidence must be a float in \(0, 1\)"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
