"""Secure aggregation by pairwise masking: the server learns the sum of the updates and nothing else.

A teaching version of the masking core of Bonawitz et al. (2017), used by
lesson 06:

1. every client holds an X25519 key pair and publishes its public key;
2. clients ``i < j`` agree on a shared secret by X25519 key agreement
   (``cryptography``), stretch it with HKDF-SHA256 into a key, and expand that
   key with the ChaCha20 stream cipher, a seeded cryptographic PRG, into a mask
   ``m_ij``, one integer per coordinate;
3. each client quantizes its update to integers modulo ``2**bits``
   (:func:`quantize`) and sends ``x_i + sum_{j > i} m_ij - sum_{j < i} m_ji``
   (mod ``2**bits``): ``i`` adds the pair's mask and ``j`` subtracts it;
4. in the server's sum every mask appears once with ``+`` and once with ``-``,
   so they cancel *exactly* and the sum of the quantized updates remains
   (:func:`secure_sum`).

A single masked update is uniformly distributed, whatever the update: it
carries no signal. What this version lacks is dropout recovery: if a client
masks its update for a peer that then sends nothing, the peer's masks never
cancel and :func:`secure_sum` raises :class:`MaskMismatchError`.
:mod:`ppml_lessons.federated.secagg_dropouts` adds what the real protocol
does: Shamir shares of every client's mask seeds, so that the survivors can
remove a dropped client's masks, and a self-mask, so that a late message
reveals nothing. Both assume a semi-honest server (see that module for the
threat model: an active server relaying the keys can sit in the middle).
Keys drawn from a seeded ``rng`` are for reproducible teaching only; real
keys come from the operating system (``rng=None``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .._validation import check_number, check_type
from ..environment import make_rng

__all__ = [
    "quantize",
    "dequantize",
    "fixed_point_scale",
    "prg_mask",
    "SecAggClient",
    "MaskedUpdate",
    "MaskMismatchError",
    "secure_sum",
]


def _check_bits(bits: int) -> int:
    return check_number("bits", bits, low=2, high=64, integer=True)


def _check_masking_arguments(
    encoded: np.ndarray, public_keys: Mapping, bits: int, round_number: int
) -> tuple[int, int]:
    """Validate a client's masking inputs (shared by both secure-aggregation protocols); returns bits, round."""
    check_type("encoded", encoded, np.ndarray, "a numpy array of uint64 (from quantize)")
    if encoded.dtype != np.uint64:
        raise TypeError(f"encoded must be a numpy array of dtype uint64 (from quantize); got dtype {encoded.dtype}")
    check_type("public_keys", public_keys, Mapping, "a dict mapping client ids to public keys")
    return _check_bits(bits), check_number("round_number", round_number, low=0, integer=True)


def _modulus_mask(bits: int) -> np.uint64:
    return np.uint64((1 << bits) - 1)


def fixed_point_scale(*, clip: float, num_clients: int, bits: int = 32) -> float:
    """The largest power of two ``scale`` for which the sum of ``num_clients`` quantized values cannot overflow.

    Every value lies in ``[-clip, clip]``, so a sum of ``n`` encodings lies in
    ``[-n * clip * scale, n * clip * scale]``; it must fit in the signed range
    of ``bits``-bit integers, ``(-2**(bits-1), 2**(bits-1))``. Used by lesson 06.

    Parameters
    ----------
    clip : float
        In (0, inf).
    num_clients : int
        In [1, inf).
    bits : int, default 32
        In [2, 64].

    Returns
    -------
    float
        A power of two; the rounding error of one value is at most ``1 / (2 * scale)``.

    Examples
    --------
    >>> fixed_point_scale(clip=1.0, num_clients=100, bits=32)
    16777216.0
    """
    clip = check_number("clip", clip, low=0, low_open=True)
    num_clients = check_number("num_clients", num_clients, low=1, integer=True)
    bits = _check_bits(bits)
    exponent = np.floor(np.log2((2.0 ** (bits - 1) - 1) / (num_clients * clip)))
    scale = 2.0**exponent
    while num_clients * (round(clip * scale)) >= 2 ** (bits - 1):  # floating-point edge cases
        scale /= 2
    if scale < 1:
        raise ValueError(
            f"bits must leave room for {num_clients} values in [-{clip}, {clip}] at one unit per integer; "
            f"got {bits} (use more bits or a smaller clip)"
        )
    return float(scale)


def quantize(values: np.ndarray, *, clip: float, scale: float, bits: int = 32) -> np.ndarray:
    """Encode real values as integers modulo ``2**bits``: clip to ``[-clip, clip]``, round ``value * scale``.

    Negative numbers wrap around (two's complement), so sums modulo ``2**bits``
    decode correctly as long as they do not overflow (see
    :func:`fixed_point_scale`). Used by lesson 06.

    Parameters
    ----------
    values : array-like of float
    clip : float
        In (0, inf).
    scale : float
        In (0, inf), with ``clip * scale < 2**(bits-1)``.
    bits : int, default 32

    Returns
    -------
    numpy.ndarray of uint64, values in ``[0, 2**bits)``

    Examples
    --------
    >>> quantize(np.array([0.5, -0.25, 3.0]), clip=1.0, scale=4, bits=8)
    array([  2, 255,   4], dtype=uint64)
    """
    clip = check_number("clip", clip, low=0, low_open=True)
    scale = check_number("scale", scale, low=0, low_open=True)
    bits = _check_bits(bits)
    if round(clip * scale) >= 2 ** (bits - 1):
        raise ValueError(f"scale must be below 2**(bits-1) / clip = {2 ** (bits - 1) / clip:g}; got {scale:g}")
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError("values must be finite numbers; got NaN or infinity")
    integers = np.rint(np.clip(array, -clip, clip) * scale).astype(np.int64)
    return integers.view(np.uint64) & _modulus_mask(bits)


def dequantize(encoded: np.ndarray, *, scale: float, bits: int = 32) -> np.ndarray:
    """Decode integers modulo ``2**bits`` (e.g. a secure sum) back to real numbers.

    Values of ``2**(bits-1)`` or more are negative numbers in two's complement.
    The sign is restored in integer arithmetic (a sign-extending shift), and
    only the signed integer is converted to float: going through float64 first
    would round ``2**bits - 1`` to ``2**bits`` above 53 bits and decode -1 as 0.

    Examples
    --------
    >>> dequantize(quantize(np.array([0.5, -0.25]), clip=1.0, scale=4, bits=8), scale=4, bits=8)
    array([ 0.5 , -0.25])
    """
    check_type("encoded", encoded, np.ndarray, "a numpy array of unsigned integers")
    scale = check_number("scale", scale, low=0, low_open=True)
    bits = _check_bits(bits)
    if encoded.dtype != np.uint64:
        raise TypeError(f"encoded must be a numpy array of dtype uint64; got dtype {encoded.dtype}")
    shift = np.uint64(64 - bits)
    signed = ((encoded & _modulus_mask(bits)) << shift).view(np.int64) >> np.int64(64 - bits)
    return signed.astype(np.float64) / scale


def prg_mask(shared_secret: bytes, *, length: int, bits: int = 32, context: bytes = b"") -> np.ndarray:
    """Expand a shared secret into ``length`` pseudo-random integers in ``[0, 2**bits)``.

    HKDF-SHA256 (with ``context`` as its ``info``) turns the secret into a
    256-bit key; the ChaCha20 keystream under that key is the PRG output, read
    as little-endian 64-bit integers and reduced modulo ``2**bits``. The same
    secret and context always give the same mask: that is what lets the two
    clients of a pair cancel each other's masks. Used by lesson 06.

    Examples
    --------
    >>> a = prg_mask(b"0" * 32, length=3, bits=16, context=b"round 1")
    >>> bool((a == prg_mask(b"0" * 32, length=3, bits=16, context=b"round 1")).all()), a.dtype
    (True, dtype('uint64'))
    """
    check_type("shared_secret", shared_secret, bytes, "bytes (an X25519 shared secret)")
    check_type("context", context, bytes, "bytes")
    length = check_number("length", length, low=0, integer=True)
    bits = _check_bits(bits)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ppml-lessons secagg mask|" + context).derive(
        shared_secret
    )
    keystream = Cipher(algorithms.ChaCha20(key, b"\x00" * 16), mode=None).encryptor().update(b"\x00" * (8 * length))
    return np.frombuffer(keystream, dtype="<u8").astype(np.uint64) & _modulus_mask(bits)


class MaskMismatchError(ValueError):
    """The masked updates do not fit together: some pairwise masks cannot cancel (e.g. a client dropped out)."""


@dataclass(frozen=True)
class MaskedUpdate:
    """What a client sends the server: its id, the peers whose masks it used, and the masked integers."""

    client_id: int
    peers: frozenset[int]
    values: np.ndarray
    bits: int


class SecAggClient:
    """One client of the pairwise-masking protocol: an X25519 key pair and the masking step.

    Parameters
    ----------
    client_id : int
        In [0, inf); pairs are ordered by id (the smaller id adds the mask).
    rng : numpy.random.Generator, int or None
        ``None`` (the default) draws the private key from the operating system,
        as real clients must. A seed makes the keys reproducible, for teaching only.

    Examples
    --------
    >>> clients = [SecAggClient(i, rng=i) for i in range(3)]
    >>> keys = {c.client_id: c.public_key for c in clients}
    >>> updates = [np.array([1, 2], dtype=np.uint64), np.array([3, 4], dtype=np.uint64),
    ...            np.array([5, 6], dtype=np.uint64)]
    >>> masked = [c.mask(u, keys, bits=16) for c, u in zip(clients, updates)]
    >>> secure_sum(masked)
    array([ 9, 12], dtype=uint64)
    """

    def __init__(self, client_id: int, *, rng: np.random.Generator | int | None = None) -> None:
        self.client_id = check_number("client_id", client_id, low=0, integer=True)
        if rng is None:
            self._private_key = X25519PrivateKey.generate()
        else:
            self._private_key = X25519PrivateKey.from_private_bytes(make_rng(rng).bytes(32))

    @property
    def public_key(self) -> bytes:
        """The 32-byte X25519 public key this client publishes."""
        return self._private_key.public_key().public_bytes_raw()

    def shared_secret(self, peer_public_key: bytes) -> bytes:
        """The X25519 shared secret with a peer: both ends of a pair compute the same 32 bytes."""
        check_type("peer_public_key", peer_public_key, bytes, "32 bytes (a peer's X25519 public key)")
        return self._private_key.exchange(X25519PublicKey.from_public_bytes(peer_public_key))

    def pair_mask(
        self, peer_id: int, peer_public_key: bytes, *, length: int, bits: int, round_number: int = 0
    ) -> np.ndarray:
        """The mask this client shares with ``peer_id`` (identical at both ends of the pair)."""
        low, high = sorted((self.client_id, int(peer_id)))
        context = f"round={round_number}|pair={low},{high}".encode()
        return prg_mask(self.shared_secret(peer_public_key), length=length, bits=bits, context=context)

    def mask(
        self, encoded: np.ndarray, public_keys: Mapping[int, bytes], *, bits: int = 32, round_number: int = 0
    ) -> MaskedUpdate:
        """Add the masks shared with every other client in ``public_keys`` to a quantized update.

        Parameters
        ----------
        encoded : numpy.ndarray of uint64
            The update, quantized with :func:`quantize` using the same ``bits``.
        public_keys : mapping of client id to bytes
            Every participant's public key (this client's own entry is skipped).
        bits : int, default 32
        round_number : int, default 0
            Fresh masks every round: a mask reused for two updates would reveal their difference.

        Returns
        -------
        MaskedUpdate
        """
        bits, round_number = _check_masking_arguments(encoded, public_keys, bits, round_number)
        total = encoded.astype(np.uint64).ravel().copy()
        peers = set()
        for peer_id, key in public_keys.items():
            if peer_id == self.client_id:
                continue
            mask = self.pair_mask(peer_id, key, length=total.size, bits=bits, round_number=round_number)
            total = total + mask if self.client_id < peer_id else total - mask  # uint64 wraps modulo 2**64
            peers.add(int(peer_id))
        values = (total & _modulus_mask(bits)).reshape(encoded.shape)
        return MaskedUpdate(client_id=self.client_id, peers=frozenset(peers), values=values, bits=bits)


def secure_sum(masked: Sequence[MaskedUpdate]) -> np.ndarray:
    """The server's step: add the masked updates modulo ``2**bits``; the pairwise masks cancel.

    Before adding, the server checks that every client masked for exactly the
    clients that sent something. Otherwise some mask has no partner to cancel
    it and the "sum" would be uniform noise, so it raises
    :class:`MaskMismatchError` naming the missing clients. Used by lesson 06.

    Parameters
    ----------
    masked : sequence of MaskedUpdate
        One per client, all with the same ``bits`` and shape.

    Returns
    -------
    numpy.ndarray of uint64
        The sum of the quantized updates modulo ``2**bits`` (decode with :func:`dequantize`).
    """
    check_type("masked", masked, (list, tuple), "a list of MaskedUpdate, one per client")
    if not masked:
        raise ValueError("masked must hold at least one MaskedUpdate; got an empty list")
    for i, update in enumerate(masked):
        check_type(f"masked[{i}]", update, MaskedUpdate, "a MaskedUpdate (from SecAggClient.mask)")
    senders = [update.client_id for update in masked]
    if len(set(senders)) != len(senders):
        raise MaskMismatchError(f"masked must hold one update per client; got client ids {sorted(senders)}")
    bits = masked[0].bits
    shape = masked[0].values.shape
    for update in masked:
        if update.bits != bits or update.values.shape != shape:
            raise MaskMismatchError(
                f"masked updates must share bits and shape; client {update.client_id} has bits={update.bits}, "
                f"shape {update.values.shape}, client {senders[0]} has bits={bits}, shape {shape}"
            )
        missing = update.peers - set(senders)
        unexpected = set(senders) - update.peers - {update.client_id}
        if missing:
            raise MaskMismatchError(
                f"client {update.client_id} masked its update for clients {sorted(missing)} that sent nothing: "
                "those pairwise masks cannot cancel and the sum would be noise. Real protocols recover dropped "
                "clients' masks from secret shares (Bonawitz et al., 2017; ppml_lessons.federated.secagg_dropouts); "
                "here every client must send"
            )
        if unexpected:
            raise MaskMismatchError(
                f"client {update.client_id} did not mask for clients {sorted(unexpected)}: "
                "all clients must mask with the same participant list"
            )
    total = np.zeros(shape, dtype=np.uint64)
    for update in masked:
        total = total + update.values
    return total & _modulus_mask(bits)
