"""Tests of ppml_lessons.attacks.audit: the one-run audit of Steinke, Nasr & Jagielski (2023).

The bound is checked against canary mechanisms whose true ε is known: ε-randomized response on each
canary's coin. Its validity (a lower bound above the true ε at most α of the time), its power (close to
the true ε with many guesses) and its positive control (a mechanism with a larger ε than it claims is
caught) are all tested. The DP-SGD tests at the end audit real training runs with mislabelled canaries.
"""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from ppml_lessons.attacks.audit import (
    approx_dp_tail,
    binomial_tail,
    count_correct,
    draw_canaries,
    one_run_epsilon_ceiling,
    one_run_epsilon_lower_bound,
    one_run_guesses,
)

ALPHA = 0.05


def randomized_response(coins, epsilon, rng):
    """ε-DP in each canary: report the coin (as ±1) with probability e^ε / (1 + e^ε), else its opposite."""
    truth = np.where(coins, 1, -1)
    keep = rng.random(coins.shape) < 1 / (1 + math.exp(-epsilon))
    return np.where(keep, truth, -truth)


def simulate_counts(epsilon, *, m, trials, seed, delta=0.0):
    """Correct guesses of an attacker who guesses every canary from an (ε, δ) canary mechanism.

    With probability δ per canary the mechanism reveals its coin outright (that is (ε, δ)-DP), else it
    answers by ε-randomized response; the attacker guesses the answer.
    """
    rng = np.random.default_rng(seed)
    coins = rng.random((trials, m)) < 0.5
    answers = randomized_response(coins, epsilon, rng)
    revealed = rng.random((trials, m)) < delta
    answers = np.where(revealed, np.where(coins, 1, -1), answers)
    return (answers == np.where(coins, 1, -1)).sum(axis=1)


# ----- the tails -----------------------------------------------------------------------------------------
def test_binomial_tail_is_the_randomized_response_count():
    p = math.e / (1 + math.e)
    assert binomial_tail(70, 100, epsilon=1.0) == pytest.approx(stats.binom.sf(69, 100, p), rel=1e-12)
    assert binomial_tail(0, 100, epsilon=1.0) == 1.0
    assert binomial_tail(100, 100, epsilon=1.0) == pytest.approx(p ** 100, rel=1e-9)


def test_approx_dp_tail_by_hand():
    """f(v) + 2 m δ max_i (f(v - i) - f(v)) / i, the sum written out term by term."""
    r, v, eps, delta, m = 40, 30, 0.5, 1e-3, 200
    p = 1 / (1 + math.exp(-eps))
    f = lambda u: stats.binom.sf(u - 1, r, p)  # noqa: E731  P[Binomial >= u]
    expected = f(v) + 2 * m * delta * max((f(v - i) - f(v)) / i for i in range(1, v + 1))
    assert approx_dp_tail(v, r, epsilon=eps, delta=delta, n_canaries=m) == pytest.approx(expected, rel=1e-9)
    assert approx_dp_tail(v, r, epsilon=eps, delta=0.0, n_canaries=m) == pytest.approx(f(v), rel=1e-12)
    assert approx_dp_tail(v, r, epsilon=eps, delta=0.5, n_canaries=m) == 1.0  # capped


def test_lower_bound_inverts_the_tail_and_grows_with_the_count():
    for delta, m in [(0.0, None), (1e-5, 1000)]:
        bounds = [one_run_epsilon_lower_bound(v, 200, delta=delta, n_canaries=m) for v in (100, 130, 160, 190)]
        assert bounds[0] == 0.0 and all(a < b for a, b in zip(bounds[1:], bounds[2:]))
        eps = bounds[2]
        tail = approx_dp_tail(160, 200, epsilon=eps, delta=delta, n_canaries=m or 200)
        assert tail == pytest.approx(ALPHA, rel=1e-6)  # the bound is where the p-value reaches α


def test_the_ceiling_is_all_guesses_right():
    for r in (10, 100, 1000):
        p = ALPHA ** (1 / r)
        assert one_run_epsilon_ceiling(r) == pytest.approx(math.log(p / (1 - p)), rel=1e-6)
    assert one_run_epsilon_ceiling(100, delta=1e-5, n_canaries=1000) < one_run_epsilon_ceiling(100)
    # a stricter confidence (e.g. a Bonferroni correction) lowers the ceiling
    assert one_run_epsilon_ceiling(100, confidence=1 - ALPHA / 10) < one_run_epsilon_ceiling(100)


# ----- against mechanisms whose ε is known --------------------------------------------------------------
@pytest.mark.parametrize("epsilon", [0.5, 1.0, 2.0])
def test_the_bound_exceeds_the_true_epsilon_at_most_alpha_of_the_time(epsilon):
    """2,000 audits of ε-randomized response with 500 canaries, all guessed. The bound exceeds the true ε
    exactly when the p-value at the true ε is below α, i.e. when the count reaches v*, the smallest count
    with P[Binomial >= v*] < α. That rate is P[Binomial >= v*] <= α (the theorem is tight for randomized
    response); the simulated rate must match it within 4 binomial standard deviations."""
    m, trials = 500, 2000
    counts = simulate_counts(epsilon, m=m, trials=trials, seed=int(epsilon * 10))
    v_star = next(v for v in range(m + 1) if binomial_tail(v, m, epsilon=epsilon) < ALPHA)
    rate = binomial_tail(v_star, m, epsilon=epsilon)
    assert 0.02 < rate <= ALPHA  # not vacuous: close to α
    # the bound exceeds ε exactly when the p-value at ε is below α: checked on the first 100 audits ...
    for v in counts[:100]:
        assert (one_run_epsilon_lower_bound(int(v), m) > epsilon) == (binomial_tail(int(v), m, epsilon=epsilon) < ALPHA)
    # ... and counted on all of them with the p-value (one scipy call)
    exceeded = np.mean(stats.binom.sf(counts - 1, m, 1 / (1 + math.exp(-epsilon))) < ALPHA)
    assert abs(exceeded - rate) < 4 * math.sqrt(rate * (1 - rate) / trials)


def test_the_bound_is_close_to_the_true_epsilon_with_many_guesses():
    counts = simulate_counts(2.0, m=5000, trials=10, seed=3)
    bounds = np.array([one_run_epsilon_lower_bound(int(v), 5000) for v in counts])
    assert 1.8 < np.median(bounds) <= 2.0  # validity is tested above; here: little is lost


def test_a_mechanism_with_more_epsilon_than_it_claims_is_caught():
    """Positive control: a mechanism that claims ε = 1 but runs randomized response at ε = 2."""
    counts = simulate_counts(2.0, m=1000, trials=50, seed=4)
    caught = np.mean([one_run_epsilon_lower_bound(int(v), 1000) > 1.0 for v in counts])
    assert caught == 1.0
    honest = simulate_counts(1.0, m=1000, trials=50, seed=5)
    assert np.mean([one_run_epsilon_lower_bound(int(v), 1000) > 1.0 for v in honest]) <= ALPHA + 4 * math.sqrt(
        ALPHA * (1 - ALPHA) / 50)


def test_delta_needs_the_delta_term():
    """An (ε, δ) mechanism that reveals each coin with probability δ = 5%: the pure-DP bound (δ = 0) wrongly
    exceeds ε far more often than α, the (ε, δ) bound does not."""
    m, trials, epsilon, delta = 500, 1000, 1.0, 0.05
    counts = simulate_counts(epsilon, m=m, trials=trials, seed=6, delta=delta)
    pure = np.mean(stats.binom.sf(counts - 1, m, 1 / (1 + math.exp(-epsilon))) < ALPHA)
    tails = {int(v): approx_dp_tail(int(v), m, epsilon=epsilon, delta=delta, n_canaries=m) for v in np.unique(counts)}
    approx = np.mean([tails[int(v)] < ALPHA for v in counts])
    assert pure > 2 * ALPHA
    assert approx <= ALPHA + 4 * math.sqrt(ALPHA * (1 - ALPHA) / trials)


# ----- guesses and canaries -------------------------------------------------------------------------------
def test_guesses_and_counts():
    scores = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 0.0])
    guesses = one_run_guesses(scores, k_in=2, k_out=2)
    assert guesses.tolist() == [1, -1, 1, 0, 0, -1]
    assert count_correct(guesses, [True, False, False, True, True, True]) == (4, 2)
    assert one_run_guesses(scores, k_in=0, k_out=0).tolist() == [0] * 6


def test_draw_canaries_is_seeded_with_wrong_labels_and_fair_coins():
    labels = np.arange(5000) % 10
    a, b = draw_canaries(labels, n_canaries=2000, rng=1), draw_canaries(labels, n_canaries=2000, rng=1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert np.all(a["label"] != labels[a["index"]]) and set(np.unique(a["label"])) == set(range(10))
    assert abs(a["included"].mean() - 0.5) < 4 * math.sqrt(0.25 / 2000)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: binomial_tail(11, 10, epsilon=1.0), ValueError, r"correct must be an integer in \[0, 10\]"),
        (lambda: binomial_tail(1, 10, epsilon=-1.0), ValueError, r"epsilon must be a float in \[0, inf\)"),
        (lambda: approx_dp_tail(1, 10, epsilon=1.0, delta=1e-5, n_canaries=5), ValueError, "n_canaries"),
        (lambda: one_run_epsilon_lower_bound(5, 10, delta=1e-5), ValueError, "n_canaries must be given"),
        (lambda: one_run_epsilon_lower_bound(5, 10, confidence=1.0), ValueError, r"confidence must be a float"),
        (lambda: one_run_guesses([1.0, 2.0], k_in=2, k_out=1), ValueError, r"k_out must be an integer in \[0, 0\]"),
        (lambda: one_run_guesses([[1.0]], k_in=0, k_out=0), ValueError, "scores must be a non-empty 1-D"),
        (lambda: count_correct([2, 0], [True, False]), ValueError, "guesses must be a 1-D array of -1, 0, 1"),
        (lambda: draw_canaries(np.arange(5), n_canaries=6), ValueError, r"n_canaries must be an integer in \[2, 5\]"),
    ],
)
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ----- auditing DP-SGD with mislabelled canaries ---------------------------------------------------------
N_CANARIES, K = 200, 50  # guesses: the 50 highest scores "in", the 50 lowest "out" (r = 100)
DELTA = 1e-5


@pytest.fixture(scope="module")
def canary_setting():
    from ppml_lessons.data import load_fashion_mnist

    x, y = load_fashion_mnist(train=False).tensors()
    x = x[:, :, ::2, ::2].flatten(1)  # 14x14 pixels and a small MLP: fast
    canaries = draw_canaries(y[1000:2000].numpy(), n_canaries=N_CANARIES, rng=0)
    x_canary, y_canary = x[1000 + canaries["index"]], torch.as_tensor(canaries["label"])
    inside = np.flatnonzero(canaries["included"])
    train = (torch.cat([x[:200], x_canary[inside]]), torch.cat([y[:200], y_canary[inside]]))
    return train, x_canary, y_canary, canaries["included"]


def _audit(canary_setting, **noise):
    """Train with DP-SGD (fixed seeds so that the test is deterministic: noise_seed=0 is the explicit,
    insecure opt-in for reproducible noise) and run the one-run audit; return (claimed ε, lower bound)."""
    from ppml_lessons.attacks.membership import logit_confidence, model_logits
    from ppml_lessons.dp.trainer import train_dp_sgd

    train, x_canary, y_canary, included = canary_setting
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(196, 128), nn.Tanh(), nn.Linear(128, 10))
    history = train_dp_sgd(model, train, epochs=40, batch_size=100, max_grad_norm=1.0, delta=DELTA, lr=4.0, seed=0,
                           noise_seed=0, progress=False, device=torch.device("cpu"), **noise)
    scores = logit_confidence(model_logits(model, x_canary, device=torch.device("cpu")), y_canary)
    r, v = count_correct(one_run_guesses(scores, k_in=K, k_out=K), included)
    return float(history["epsilon"].iloc[-1]), one_run_epsilon_lower_bound(v, r, delta=DELTA, n_canaries=N_CANARIES)


@pytest.mark.slow
def test_one_run_audit_catches_training_without_noise(canary_setting):
    """Positive control: σ = 0 (ε = inf) memorises the mislabelled canaries, and the audit proves ε > 2
    (the ceiling for 100 guesses is 3.49). The audit must be able to fail."""
    claimed, proved = _audit(canary_setting, noise_multiplier=0.0)
    assert math.isinf(claimed)
    assert proved > 2.0, proved


@pytest.mark.slow
def test_one_run_audit_of_an_epsilon_1_model_stays_below_1(canary_setting):
    """The negative case: trained at ε = 1, the audit's lower bound is at most 1 (it holds with
    probability at least 95% over the training's randomness; the seeds here are fixed)."""
    claimed, proved = _audit(canary_setting, target_epsilon=1.0)
    assert claimed <= 1.0 + 1e-6
    assert proved <= 1.0, proved


@pytest.mark.slow
def test_one_run_audit_catches_a_trainer_that_drops_its_noise(canary_setting, monkeypatch):
    """A broken trainer: the accountant is told σ (so it reports ε <= 1) but the step adds no noise.
    The negative-case audit above would fail on it: the proved ε is far above the claimed 1."""
    from ppml_lessons.dp import trainer

    original = trainer.dp_sgd_step

    def no_noise(*args, **kwargs):
        return original(*args, **{**kwargs, "noise_multiplier": 0.0})

    monkeypatch.setattr(trainer, "dp_sgd_step", no_noise)
    claimed, proved = _audit(canary_setting, target_epsilon=1.0)
    assert claimed <= 1.0 + 1e-6 and proved > 2.0, (claimed, proved)
