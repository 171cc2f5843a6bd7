"""Tests of ppml_lessons.federated.shamir: any t shares recover the secret, fewer reveal nothing, bad input.

Secrecy is tested in a small field (p = 7): one share of a 2-out-of-n sharing must be uniform whatever
the secret. Pearson's chi-square over the 7 values has 6 degrees of freedom; it exceeds
chi2.ppf(1 - 1e-6, 6) with probability 1e-6 for a correct implementation. The positive control, a
"sharing" with threshold 1 (the share is the secret), puts every draw in one bin.
"""

import itertools
import secrets as os_secrets

import numpy as np
import pytest
from scipy import stats

from ppml_lessons.federated.shamir import PRIME, reconstruct_secret, split_secret

CRITICAL = stats.chi2.ppf(1 - 1e-6, df=6)


def test_any_threshold_shares_recover_a_256_bit_secret_and_fewer_do_not():
    secret = int.from_bytes(bytes(range(1, 33)), "big")  # a 32-byte key
    shares = split_secret(secret, threshold=3, holders=[0, 1, 2, 3, 4], rng=0)
    for subset in itertools.combinations(shares, 3):
        assert reconstruct_secret({k: shares[k] for k in subset}) == secret
    assert reconstruct_secret(shares) == secret  # more than t shares also work
    for subset in itertools.combinations(shares, 2):  # t - 1 shares interpolate a different line
        assert reconstruct_secret({k: shares[k] for k in subset}) != secret


def test_seeded_sharing_is_reproducible_and_unseeded_is_not():
    assert split_secret(5, threshold=2, holders=[0, 1], rng=3) == split_secret(5, threshold=2, holders=[0, 1], rng=3)
    assert split_secret(5, threshold=2, holders=[0, 1]) != split_secret(5, threshold=2, holders=[0, 1])


def _share_counts(secret, threshold, draws=7_000, prime=7):
    rng = np.random.default_rng(secret)
    values = [split_secret(secret, threshold=threshold, holders=[0, 1], prime=prime, rng=rng)[1] for _ in range(draws)]
    return np.bincount(values, minlength=prime)


def test_fewer_than_threshold_shares_are_uniform_whatever_the_secret():
    for secret in (0, 6):
        counts = _share_counts(secret, threshold=2)
        assert stats.chisquare(counts).statistic < CRITICAL
    # positive control: with threshold 1 the share is the secret itself
    assert stats.chisquare(_share_counts(6, threshold=1)).statistic > 100 * CRITICAL


def test_the_field_is_large_enough_for_32_byte_secrets():
    assert PRIME > 2**256
    secret = int.from_bytes(os_secrets.token_bytes(32), "big")
    shares = split_secret(secret, threshold=4, holders=list(range(10)))
    assert reconstruct_secret({k: shares[k] for k in (9, 2, 5, 0)}) == secret


def test_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        split_secret(1, threshold=4, holders=[0, 1, 2])
    with pytest.raises(ValueError, match="threshold"):
        split_secret(1, threshold=0, holders=[0, 1, 2])
    with pytest.raises(ValueError, match="holders"):
        split_secret(1, threshold=2, holders=[0, 1, 1])
    with pytest.raises(ValueError, match="secret"):
        split_secret(PRIME, threshold=2, holders=[0, 1])
    with pytest.raises(TypeError, match="secret"):
        split_secret(b"key", threshold=2, holders=[0, 1])
    with pytest.raises(ValueError, match="shares"):
        reconstruct_secret({})
