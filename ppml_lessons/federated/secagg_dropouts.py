"""Secure aggregation that survives dropouts: double masking and Shamir-shared seeds (Bonawitz et al., 2017).

The teaching protocol of :mod:`ppml_lessons.federated.secure_aggregation`
fails as soon as one client drops out. This one follows the semi-honest
version of Bonawitz et al. (2017), in four stages; used by lesson 06.

1. **Keys.** Every client draws an X25519 key pair for pairwise masks and a
   32-byte self-mask seed ``b_u``, and publishes its public key.
2. **Shares.** Every client splits its private mask key and its seed ``b_u``
   into Shamir shares, ``threshold`` out of ``n`` (:mod:`.shamir`), one of each
   per participant. (In the real protocol the shares travel through the server
   encrypted for their holder; here they are handed over directly.)
3. **Masked inputs.** Client ``u`` sends
   ``y_u = x_u + PRG(b_u) + sum_{v > u} m_uv - sum_{v < u} m_vu (mod 2**bits)``:
   the pairwise masks of :class:`~.secure_aggregation.SecAggClient` plus a
   self-mask. Clients that drop out now send nothing.
4. **Unmasking.** The server announces who sent (the survivors) and who did
   not (the dropped). Each responding survivor returns, for every dropped
   client, its share of that client's *mask key*, and for every survivor its
   share of the *self-mask seed*; never both for the same client
   (:meth:`DropoutResilientClient.reveal` refuses). From ``threshold`` shares
   the server rebuilds a dropped client's key and recomputes, then removes,
   its pairwise masks with the survivors; and it removes each survivor's
   self-mask. What is left is the sum of the survivors' inputs.

A client that sent its masked input and dropped out during stage 4 is still a
survivor: the others reveal its self-mask seed and its input counts. A client
that the server declares dropped but whose message arrives late stays hidden:
its pairwise masks become known, but its self-mask never does.

**Threat model.** Semi-honest: the server and the clients follow the protocol
and try to learn from what they see; the server learns the sum and nothing
else, even together with fewer than ``threshold`` clients. It is *not* secure
against an active server: one that relays the public keys can replace them
with its own and sit in the middle of every pair (the real protocol
authenticates keys with signatures and a PKI); one that invents clients
(Sybils) can make the "sum" a sum of one real input and its own; and a
threshold at most half the cohort would let it ask two halves for different
shares. The protocol aborts (:class:`TooFewSurvivorsError`) when fewer than
``threshold`` clients remain, so no sum over fewer than ``threshold`` inputs
is ever revealed: ``threshold`` is also the minimum cohort size, and should
exceed ``n / 2`` (``2n / 3`` against an active server, Bonawitz et al.).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .._validation import check_number, check_type
from ..environment import make_rng
from .secure_aggregation import MaskedUpdate, _check_masking_arguments, _modulus_mask, prg_mask
from .shamir import reconstruct_secret, split_secret

__all__ = ["KeyShares", "DropoutResilientClient", "TooFewSurvivorsError", "unmask_sum"]


class TooFewSurvivorsError(ValueError):
    """Fewer than ``threshold`` clients are left: the masks cannot (and must not) be removed."""


@dataclass(frozen=True)
class KeyShares:
    """What client ``owner`` gives client ``holder``: a share of its mask key and one of its self-mask seed."""

    owner: int
    holder: int
    mask_key: int
    self_seed: int


def _pair_context(low: int, high: int, round_number: int) -> bytes:
    return f"round={round_number}|pair={low},{high}".encode()


def _self_context(client_id: int, round_number: int) -> bytes:
    return f"round={round_number}|self={client_id}".encode()


def _pair_mask(private: bytes, me: int, peer: int, peer_key: bytes, *, length: int, bits: int, round_number: int):
    secret = X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(peer_key))
    low, high = sorted((me, peer))
    return prg_mask(secret, length=length, bits=bits, context=_pair_context(low, high, round_number))


class DropoutResilientClient:
    """A client of the double-masking protocol: keys, Shamir shares, masked input, and its unmasking answers.

    Parameters
    ----------
    client_id : int
        In [0, inf).
    rng : numpy.random.Generator, int or None
        ``None`` (the default) draws keys, seeds and share polynomials from the
        operating system, as real clients must; a seed is for teaching only.

    Notes
    -----
    One client object serves one round, as in Bonawitz et al., where keys and
    seeds are fresh every round: once a client's mask key has been rebuilt its
    pairwise masks are public, so the survivors refuse ever to reveal its
    self-mask seed as well (:meth:`reveal`), and a later round with the same
    object would abort.

    Examples
    --------
    >>> clients = [DropoutResilientClient(i, rng=i) for i in range(4)]
    >>> keys = {c.client_id: c.public_key for c in clients}
    >>> for c in clients:
    ...     for share in c.make_shares(list(keys), threshold=3):
    ...         clients[share.holder].receive(share)
    >>> inputs = [np.full(2, 10 * i, dtype=np.uint64) for i in range(4)]
    >>> masked = [c.masked_input(x, keys, bits=16) for c, x in zip(clients[:3], inputs)]  # client 3 drops
    >>> answers = {c.client_id: c.reveal(dropped={3}, survivors={0, 1, 2}) for c in clients[:3]}
    >>> unmask_sum(masked, answers, keys, threshold=3)
    array([30, 30], dtype=uint64)
    """

    def __init__(self, client_id: int, *, rng: np.random.Generator | int | None = None) -> None:
        self.client_id = check_number("client_id", client_id, low=0, integer=True)
        self._rng = None if rng is None else make_rng(rng)
        draw = secrets.token_bytes if self._rng is None else self._rng.bytes
        self._mask_key = draw(32)
        self._self_seed = draw(32)
        self._held: dict[int, KeyShares] = {}
        self._revealed: dict[int, str] = {}
        self._threshold: int | None = None

    @property
    def public_key(self) -> bytes:
        """The 32-byte X25519 public key for pairwise masks."""
        return X25519PrivateKey.from_private_bytes(self._mask_key).public_key().public_bytes_raw()

    def make_shares(self, participants: Sequence[int], *, threshold: int) -> list[KeyShares]:
        """Stage 2: split the mask key and the self-mask seed, one :class:`KeyShares` per participant."""
        check_type("participants", participants, (list, tuple), "a list of client ids")
        self._threshold = check_number("threshold", threshold, low=1, high=max(len(participants), 1), integer=True)
        keys = split_secret(int.from_bytes(self._mask_key, "big"), threshold=threshold, holders=participants,
                            rng=self._rng)
        seeds = split_secret(int.from_bytes(self._self_seed, "big"), threshold=threshold, holders=participants,
                             rng=self._rng)
        return [KeyShares(self.client_id, int(k), keys[k], seeds[k]) for k in participants]

    def receive(self, share: KeyShares) -> None:
        """Keep a share that another client (or this one) made for this client."""
        check_type("share", share, KeyShares, "a KeyShares from make_shares")
        if share.holder != self.client_id:
            raise ValueError(f"share must be addressed to client {self.client_id}; got holder {share.holder}")
        self._held[share.owner] = share

    def masked_input(
        self, encoded: np.ndarray, public_keys: Mapping[int, bytes], *, bits: int = 32, round_number: int = 0
    ) -> MaskedUpdate:
        """Stage 3: the quantized update plus the self-mask and the pairwise masks with every other participant."""
        bits, round_number = _check_masking_arguments(encoded, public_keys, bits, round_number)
        length = encoded.size
        total = encoded.ravel() + prg_mask(self._self_seed, length=length, bits=bits,
                                           context=_self_context(self.client_id, round_number))
        for peer, key in public_keys.items():
            if peer != self.client_id:
                mask = _pair_mask(self._mask_key, self.client_id, peer, key, length=length, bits=bits,
                                  round_number=round_number)
                total = total + mask if self.client_id < peer else total - mask  # uint64 wraps modulo 2**64
        peers = frozenset(int(p) for p in public_keys if p != self.client_id)
        return MaskedUpdate(self.client_id, peers, (total & _modulus_mask(bits)).reshape(encoded.shape), bits)

    def reveal(self, *, dropped: set[int], survivors: set[int]) -> dict[str, dict[int, int]]:
        """Stage 4: shares of the dropped clients' mask keys and of the survivors' self-mask seeds.

        Refuses (ValueError) a request that names a client in both sets, names
        this client as dropped, or names fewer than ``threshold`` survivors
        (checked by the server too), and one that would reveal both secrets of the same client.
        """
        dropped, survivors = {int(v) for v in dropped}, {int(v) for v in survivors}
        if dropped & survivors or self.client_id in dropped:
            raise ValueError(f"dropped and survivors must be disjoint and exclude client {self.client_id}; "
                             f"got dropped {sorted(dropped)}, survivors {sorted(survivors)}")
        if self._threshold is not None and len(survivors) < self._threshold:
            raise TooFewSurvivorsError(f"survivors must number at least threshold={self._threshold}; "
                                       f"got {len(survivors)}: client {self.client_id} reveals nothing")
        answer: dict[str, dict[int, int]] = {"mask_key": {}, "self_seed": {}}
        for kind, clients in (("mask_key", dropped), ("self_seed", survivors)):
            for owner in clients:
                if self._revealed.get(owner, kind) != kind:
                    raise ValueError(f"client {self.client_id} already revealed the {self._revealed[owner]} share "
                                     f"of client {owner}; revealing its {kind} share too would unmask its input")
                if owner in self._held:
                    answer[kind][owner] = getattr(self._held[owner], kind)
        for kind, shares in answer.items():
            for owner in shares:
                self._revealed[owner] = kind
        return answer


def unmask_sum(
    masked: Sequence[MaskedUpdate],
    answers: Mapping[int, Mapping[str, Mapping[int, int]]],
    public_keys: Mapping[int, bytes],
    *,
    threshold: int,
    round_number: int = 0,
) -> np.ndarray:
    """The server's stages 3-4: add the masked inputs that arrived, then remove every mask left in the sum.

    Parameters
    ----------
    masked : sequence of MaskedUpdate
        The masked inputs that arrived (stage 3); their senders are the survivors.
    answers : mapping of client id to its :meth:`DropoutResilientClient.reveal` answer
        From the survivors that responded in stage 4 (some may have dropped by then).
    public_keys : mapping of client id to bytes
        Every participant's public key (stage 1).
    threshold : int
        t of the Shamir sharing, in [1, number of participants].
    round_number : int, default 0

    Returns
    -------
    numpy.ndarray of uint64
        The sum of the survivors' quantized inputs modulo ``2**bits``.

    Raises
    ------
    TooFewSurvivorsError
        If fewer than ``threshold`` clients sent masked inputs, or fewer than
        ``threshold`` answered in stage 4.
    """
    check_type("masked", masked, (list, tuple), "a list of MaskedUpdate")
    check_type("answers", answers, Mapping, "a dict mapping client ids to reveal() answers")
    threshold = check_number("threshold", threshold, low=1, high=max(len(public_keys), 1), integer=True)
    for i, update in enumerate(masked):
        check_type(f"masked[{i}]", update, MaskedUpdate, "a MaskedUpdate (from masked_input)")
        first = masked[0]
        if (update.bits, update.values.shape) != (first.bits, first.values.shape) or (
                update.peers | {update.client_id} != set(public_keys)):
            raise ValueError(f"masked updates must share bits, shape and the participant list {sorted(public_keys)}; "
                             f"client {update.client_id} differs")
    survivors = {m.client_id for m in masked}
    dropped = set(public_keys) - survivors
    if len(survivors) < threshold:
        raise TooFewSurvivorsError(
            f"masked inputs must come from at least threshold={threshold} clients; got {len(survivors)} "
            f"(clients {sorted(dropped)} dropped): the round is aborted and no sum is revealed")
    responders = set(answers) & survivors
    if len(responders) < threshold:
        raise TooFewSurvivorsError(
            f"answers must come from at least threshold={threshold} surviving clients; got {len(responders)}: "
            "too few shares to remove the masks, and the round is aborted")
    bits, shape, length = masked[0].bits, masked[0].values.shape, masked[0].values.size
    total = np.zeros(length, dtype=np.uint64)
    for update in masked:
        total = total + update.values.ravel()

    def rebuild(kind: str, owner: int) -> bytes:
        shares = {k: answers[k][kind][owner] for k in responders if owner in answers[k][kind]}
        if len(shares) < threshold:
            raise TooFewSurvivorsError(f"the {kind} of client {owner} needs threshold={threshold} shares; "
                                       f"got {len(shares)}")
        return reconstruct_secret(shares).to_bytes(32, "big")

    for owner in sorted(survivors):
        total = total - prg_mask(rebuild("self_seed", owner), length=length, bits=bits,
                                 context=_self_context(owner, round_number))
    for gone in sorted(dropped):
        private = rebuild("mask_key", gone)
        for owner in sorted(survivors):  # undo what each survivor added (+) or subtracted (-) for its pair
            mask = _pair_mask(private, gone, owner, public_keys[owner], length=length, bits=bits,
                              round_number=round_number)
            total = total - mask if owner < gone else total + mask
    return (total & _modulus_mask(bits)).reshape(shape)
