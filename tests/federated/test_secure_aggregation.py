"""Tests of ppml_lessons.federated.secure_aggregation: exact sums, uniform-looking masked updates, and a loud
failure when a mask cannot cancel.

Uniformity is tested with Pearson's chi-square over 64 equally likely bins. For a truly uniform masked
update the statistic follows a chi-square distribution with 63 degrees of freedom, so it exceeds
CRITICAL = chi2.ppf(1 - 1e-6, 63) with probability 1e-6: a correct implementation fails for about one
seed in a million. The same test applied to the top bits of the unmasked update gives a statistic in the
millions, so the test has the power to see a signal when there is one.
"""

import numpy as np
import pytest
from scipy import stats

from ppml_lessons.federated.secure_aggregation import (
    MaskedUpdate,
    MaskMismatchError,
    SecAggClient,
    dequantize,
    fixed_point_scale,
    prg_mask,
    quantize,
    secure_sum,
)

CRITICAL = stats.chi2.ppf(1 - 1e-6, df=63)
BINS = 64


def _protocol(updates, bits=32, round_number=0, seed=0):
    clients = [SecAggClient(i, rng=seed + i) for i in range(len(updates))]
    keys = {c.client_id: c.public_key for c in clients}
    return [c.mask(u, keys, bits=bits, round_number=round_number) for c, u in zip(clients, updates)]


def _chi_square(values, bits, shift):
    """Pearson statistic of the 6-bit field starting at bit `shift` against 64 equal bins."""
    field = (values >> np.uint64(shift)) & np.uint64(BINS - 1)
    counts = np.bincount(field.astype(np.int64), minlength=BINS)
    expected = len(values) / BINS
    return ((counts - expected) ** 2 / expected).sum()


def test_quantize_round_trip_error_is_at_most_half_a_step():
    rng = np.random.default_rng(0)
    values = rng.uniform(-1, 1, size=10_000)
    decoded = dequantize(quantize(values, clip=1.0, scale=2.0**20, bits=32), scale=2.0**20, bits=32)
    assert np.max(np.abs(decoded - values)) <= 0.5 / 2**20
    clipped = dequantize(quantize(np.array([-5.0, 5.0]), clip=1.0, scale=4, bits=8), scale=4, bits=8)
    assert clipped.tolist() == [-1.0, 1.0]


def test_fixed_point_scale_is_the_largest_power_of_two_without_overflow():
    for clip, n, bits in [(1.0, 100, 32), (0.05, 7, 16), (3.0, 1000, 64)]:
        scale = fixed_point_scale(clip=clip, num_clients=n, bits=bits)
        assert np.log2(scale) == int(np.log2(scale))
        assert n * round(clip * scale) < 2 ** (bits - 1)
        assert n * round(clip * 2 * scale) >= 2 ** (bits - 1)
    with pytest.raises(ValueError, match="bits"):
        fixed_point_scale(clip=100.0, num_clients=10, bits=8)


def test_both_ends_of_a_pair_derive_the_same_mask():
    a, b, c = SecAggClient(0, rng=1), SecAggClient(1, rng=2), SecAggClient(2, rng=3)
    assert a.shared_secret(b.public_key) == b.shared_secret(a.public_key)
    mask_ab = a.pair_mask(1, b.public_key, length=100, bits=32, round_number=4)
    assert np.array_equal(mask_ab, b.pair_mask(0, a.public_key, length=100, bits=32, round_number=4))
    assert not np.array_equal(mask_ab, a.pair_mask(1, b.public_key, length=100, bits=32, round_number=5))
    assert not np.array_equal(mask_ab, a.pair_mask(2, c.public_key, length=100, bits=32, round_number=4))
    assert mask_ab.max() < 2**32


def test_unseeded_keys_come_from_the_operating_system():
    assert SecAggClient(0).public_key != SecAggClient(0).public_key
    assert SecAggClient(0, rng=5).public_key == SecAggClient(0, rng=5).public_key


@pytest.mark.parametrize("bits", [8, 32, 64])
def test_the_sum_is_exact(bits):
    rng = np.random.default_rng(bits)
    updates = [rng.integers(0, 2**bits, size=(30, 7), dtype=np.uint64) for _ in range(6)]
    total = secure_sum(_protocol(updates, bits=bits))
    expected = np.zeros((30, 7), dtype=np.uint64)
    for u in updates:
        expected = expected + u  # uint64 wraps modulo 2**64
    if bits < 64:
        expected &= np.uint64(2**bits - 1)
    assert np.array_equal(total, expected)


def test_real_valued_updates_sum_to_within_the_rounding_error():
    rng = np.random.default_rng(1)
    n, clip = 10, 0.5
    updates = [rng.uniform(-clip, clip, size=500) for _ in range(n)]
    scale = fixed_point_scale(clip=clip, num_clients=n, bits=32)
    total = secure_sum(_protocol([quantize(u, clip=clip, scale=scale) for u in updates]))
    error = np.abs(dequantize(total, scale=scale) - np.sum(updates, axis=0))
    assert error.max() <= n * 0.5 / scale  # each value rounds by at most half a step


def test_a_single_masked_update_looks_uniform():
    n = 2**16
    structured = quantize(np.linspace(-0.01, 0.01, n), clip=1.0, scale=2.0**24)  # a smooth, small "update"
    masked = _protocol([structured, np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64)])[0].values
    for shift in (0, 13, 26):  # low, middle and top 6 bits of the 32
        assert _chi_square(masked, 32, shift) < CRITICAL
    # the unmasked update's top bits sit in two bins (small positive, and small negative wrapped around)
    assert _chi_square(structured, 32, 26) > 100 * CRITICAL
    # and no linear trace of the update: correlation has standard error 1 / sqrt(n)
    correlation = np.corrcoef(masked.astype(float), structured.astype(float))[0, 1]
    assert abs(correlation) <= 5 / np.sqrt(n)


def test_masked_updates_of_opposite_inputs_are_indistinguishable():
    # Two-sample chi-square test of homogeneity on the top 6 bits: under the hypothesis that both
    # masked updates come from the same (uniform) distribution, the statistic is chi-square with 63 df.
    n = 2**15
    zeros = np.zeros(n, dtype=np.uint64)
    largest = np.full(n, 2**31 - 1, dtype=np.uint64)
    a = _protocol([zeros, zeros], seed=10)[0].values
    b = _protocol([largest, zeros], seed=20)[0].values
    table = np.stack([np.bincount((v >> np.uint64(26)).astype(np.int64), minlength=BINS) for v in (a, b)])
    statistic = stats.chi2_contingency(table, correction=False)[0]
    assert statistic < CRITICAL


def test_a_dropped_client_makes_the_protocol_fail_loudly():
    updates = [np.arange(5, dtype=np.uint64) * i for i in range(4)]
    masked = _protocol(updates)
    with pytest.raises(MaskMismatchError, match=r"clients \[2\] that sent nothing"):
        secure_sum(masked[:2] + masked[3:])
    # the naive sum without the check would be garbage: the masks of client 2's pairs remain
    naive = np.zeros(5, dtype=np.uint64)
    for m in masked[:2] + masked[3:]:
        naive = naive + m.values
    naive &= np.uint64(2**32 - 1)
    assert not np.array_equal(naive, updates[0] + updates[1] + updates[3])


def test_inconsistent_messages_are_refused():
    updates = [np.arange(5, dtype=np.uint64) for _ in range(3)]
    masked = _protocol(updates)
    with pytest.raises(MaskMismatchError, match="one update per client"):
        secure_sum([masked[0], masked[0], masked[1]])
    partial = SecAggClient(3, rng=9)
    keys = {0: SecAggClient(0, rng=0).public_key}
    lonely = partial.mask(np.arange(5, dtype=np.uint64), keys)
    with pytest.raises(MaskMismatchError, match="did not mask"):
        secure_sum([*masked, lonely])
    other_bits = MaskedUpdate(client_id=1, peers=masked[1].peers, values=masked[1].values, bits=16)
    with pytest.raises(MaskMismatchError, match="bits"):
        secure_sum([masked[0], other_bits, masked[2]])


def test_bad_input():
    with pytest.raises(ValueError, match="bits"):
        quantize(np.zeros(3), clip=1.0, scale=1.0, bits=65)
    with pytest.raises(ValueError, match="scale"):
        quantize(np.zeros(3), clip=1.0, scale=2.0**40, bits=32)
    with pytest.raises(ValueError, match="values"):
        quantize(np.array([np.nan]), clip=1.0, scale=1.0)
    with pytest.raises(TypeError, match="encoded"):
        dequantize(np.zeros(3, dtype=np.int64), scale=1.0)
    with pytest.raises(TypeError, match="encoded"):
        SecAggClient(0, rng=0).mask(np.zeros(3), {})
    with pytest.raises(ValueError, match="client_id"):
        SecAggClient(-1)
    with pytest.raises(TypeError, match="shared_secret"):
        prg_mask("secret", length=3)
    with pytest.raises(ValueError, match="masked"):
        secure_sum([])


@pytest.mark.parametrize("bits", [8, 32, 53, 54, 63, 64])
def test_dequantize_decodes_the_sign_exactly_at_every_width(bits):
    # -1, +1, the most negative and the most positive value of a bits-bit two's complement integer;
    # through float64 first, 2**bits - 1 rounds to 2**bits above 53 bits and -1 would decode as 0
    encoded = np.array([2**bits - 1, 1, 2 ** (bits - 1), 2 ** (bits - 1) - 1], dtype=np.uint64)
    decoded = dequantize(encoded, scale=1.0, bits=bits)
    assert decoded.tolist() == [-1.0, 1.0, float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)]
    values = np.array([-0.75, -1 / 2**20, 0.0, 1 / 2**20, 0.5])
    scale = 2.0**40 if bits >= 48 else 2.0 ** (bits - 3)
    step = 1 / scale
    round_trip = dequantize(quantize(values, clip=1.0, scale=scale, bits=bits), scale=scale, bits=bits)
    assert np.max(np.abs(round_trip - values)) <= step / 2
