"""Tests of ppml_lessons.federated.secagg_dropouts: exact sums when clients drop out at each stage, a clear
abort when too many drop, and the double-masking property that a late message stays hidden.

The uniformity check uses Pearson's chi-square on the top 6 bits (64 equally likely bins, 63 degrees of
freedom), with the critical value at probability 1e-6, as tests/federated/test_secure_aggregation.py does.
"""

import numpy as np
import pytest
from scipy import stats

from ppml_lessons.federated.secagg_dropouts import DropoutResilientClient, TooFewSurvivorsError, unmask_sum
from ppml_lessons.federated.secure_aggregation import quantize

BITS, N, THRESHOLD = 32, 6, 4
CRITICAL = stats.chi2.ppf(1 - 1e-6, df=63)


def _setup(n=N, threshold=THRESHOLD, length=50, seed=0):
    clients = [DropoutResilientClient(i, rng=seed + i) for i in range(n)]
    keys = {c.client_id: c.public_key for c in clients}
    for c in clients:
        for share in c.make_shares(list(keys), threshold=threshold):
            clients[share.holder].receive(share)
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(0, 2**BITS, size=length, dtype=np.uint64) for _ in range(n)]
    return clients, keys, inputs


def _sum(inputs, ids):
    total = np.zeros_like(inputs[0])
    for i in ids:
        total = total + inputs[i]
    return total & np.uint64(2**BITS - 1)


def _round(clients, keys, inputs, *, drop_before=(), drop_after=(), threshold=THRESHOLD):
    sent = [c for c in clients if c.client_id not in drop_before]
    masked = [c.masked_input(inputs[c.client_id], keys, bits=BITS, round_number=3) for c in sent]
    survivors = {c.client_id for c in sent}
    dropped = set(keys) - survivors
    answers = {c.client_id: c.reveal(dropped=dropped, survivors=survivors) for c in sent
               if c.client_id not in drop_after}
    return unmask_sum(masked, answers, keys, threshold=threshold, round_number=3), masked


def test_no_dropout_gives_the_exact_sum():
    clients, keys, inputs = _setup()
    total, masked = _round(clients, keys, inputs)
    assert np.array_equal(total, _sum(inputs, range(N)))
    naive = _sum([m.values for m in masked], range(N))  # the self-masks do not cancel on their own
    assert not np.array_equal(naive, total)


@pytest.mark.parametrize("drop_before", [(2,), (0, 5)])
def test_clients_dropping_before_sending_are_recovered_from_shares(drop_before):
    clients, keys, inputs = _setup()
    total, _ = _round(clients, keys, inputs, drop_before=drop_before)
    assert np.array_equal(total, _sum(inputs, [i for i in range(N) if i not in drop_before]))


def test_clients_dropping_after_sending_still_count_and_their_self_masks_are_removed():
    clients, keys, inputs = _setup()
    total, _ = _round(clients, keys, inputs, drop_after=(1, 3))
    assert np.array_equal(total, _sum(inputs, range(N)))


def test_dropouts_at_both_stages_together():
    clients, keys, inputs = _setup()
    total, _ = _round(clients, keys, inputs, drop_before=(4,), drop_after=(0,))
    assert np.array_equal(total, _sum(inputs, [0, 1, 2, 3, 5]))


def test_too_many_dropouts_abort_with_a_clear_error():
    clients, keys, inputs = _setup()
    masked = [c.masked_input(inputs[c.client_id], keys, bits=BITS) for c in clients[3:]]  # 0, 1, 2 dropped
    with pytest.raises(TooFewSurvivorsError, match=r"threshold=4 clients; got 3 \(clients \[0, 1, 2\] dropped\)"):
        unmask_sum(masked, {}, keys, threshold=THRESHOLD)
    with pytest.raises(TooFewSurvivorsError, match="survivors must number at least threshold=4; got 3"):
        _round(clients, keys, inputs, drop_before=(0, 1, 2))  # the honest clients refuse to reveal anything
    clients, keys, inputs = _setup()
    with pytest.raises(TooFewSurvivorsError, match="answers must come from at least threshold=4"):
        _round(clients, keys, inputs, drop_before=(5,), drop_after=(0, 1))
    clients, keys, _ = _setup()
    with pytest.raises(TooFewSurvivorsError, match="survivors"):  # an honest client refuses as well
        clients[0].reveal(dropped={3, 4, 5}, survivors={0, 1, 2})


def test_a_client_never_reveals_both_secrets_of_the_same_peer():
    clients, _, _ = _setup()
    clients[0].reveal(dropped={5}, survivors={0, 1, 2, 3, 4})
    with pytest.raises(ValueError, match="already revealed the mask_key share of client 5"):
        clients[0].reveal(dropped=set(), survivors={0, 1, 2, 3, 4, 5})
    with pytest.raises(ValueError, match="disjoint"):
        clients[1].reveal(dropped={2}, survivors={1, 2, 3, 4})
    with pytest.raises(ValueError, match="disjoint"):
        clients[1].reveal(dropped={1}, survivors={0, 2, 3, 4})


def test_a_late_message_from_a_dropped_client_stays_hidden():
    # The server declared client 2 dropped and rebuilt its mask key, so it can strip the pairwise masks
    # from client 2's late message; the self-mask, whose seed nobody revealed, still hides the input.
    n = 2**14
    clients, keys, _ = _setup(length=n)
    structured = quantize(np.linspace(-0.01, 0.01, n), clip=1.0, scale=2.0**24)
    late = clients[2].masked_input(structured, keys, bits=BITS).values
    others = [clients[k].masked_input(np.zeros(n, dtype=np.uint64), keys, bits=BITS) for k in (0, 1, 3, 4, 5)]
    answers = {c.client_id: c.reveal(dropped={2}, survivors={0, 1, 3, 4, 5}) for c in clients if c.client_id != 2}
    assert np.array_equal(unmask_sum(others, answers, keys, threshold=THRESHOLD), np.zeros(n, dtype=np.uint64))
    # what the server can compute from the late message: x + PRG(b_2), the pairwise masks removed
    from ppml_lessons.federated.secagg_dropouts import _pair_mask
    from ppml_lessons.federated.shamir import reconstruct_secret

    key = reconstruct_secret({k: a["mask_key"][2] for k, a in answers.items()}).to_bytes(32, "big")
    stripped = late.copy()
    for peer in (0, 1, 3, 4, 5):
        mask = _pair_mask(key, 2, peer, keys[peer], length=n, bits=BITS, round_number=0)
        stripped = stripped - mask if 2 < peer else stripped + mask
    stripped &= np.uint64(2**BITS - 1)

    def chi_square(values):
        return stats.chisquare(np.bincount((values >> np.uint64(26)).astype(np.int64), minlength=64)).statistic

    assert chi_square(stripped) < CRITICAL
    assert chi_square(structured) > 100 * CRITICAL  # the test sees the input when nothing hides it
    # positive control: with the self-mask seed as well (both secrets), the input would come back exactly
    seed = reconstruct_secret({k: c._held[2].self_seed for k, c in enumerate(clients) if k != 2})
    from ppml_lessons.federated.secure_aggregation import prg_mask

    self_mask = prg_mask(seed.to_bytes(32, "big"), length=n, bits=BITS, context=b"round=0|self=2")
    assert np.array_equal((stripped - self_mask) & np.uint64(2**BITS - 1), structured)


def test_masks_change_with_the_round_and_unseeded_clients_use_fresh_keys():
    clients, keys, inputs = _setup()
    a = clients[0].masked_input(inputs[0], keys, bits=BITS, round_number=1).values
    b = clients[0].masked_input(inputs[0], keys, bits=BITS, round_number=2).values
    assert not np.array_equal(a, b)
    assert DropoutResilientClient(0).public_key != DropoutResilientClient(0).public_key


def test_bad_input():
    clients, keys, inputs = _setup()
    with pytest.raises(TypeError, match="encoded"):
        clients[0].masked_input(inputs[0].astype(np.int64), keys)
    with pytest.raises(ValueError, match="threshold"):
        clients[0].make_shares([0, 1], threshold=3)
    with pytest.raises(ValueError, match="share must be addressed to client 1"):
        clients[1].receive(clients[0].make_shares([0, 2], threshold=2)[0])
    masked = [c.masked_input(x, keys, bits=BITS) for c, x in zip(clients, inputs)]
    partial = clients[0].masked_input(inputs[0], {k: keys[k] for k in (0, 1, 2)}, bits=BITS)
    with pytest.raises(ValueError, match="participant list"):
        unmask_sum([partial, *masked[1:]], {}, keys, threshold=THRESHOLD)
