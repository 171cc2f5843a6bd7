"""Shamir's t-out-of-n secret sharing over a prime field (Shamir, 1979), for secure aggregation (lesson 06).

A secret ``s`` becomes the constant term of a random polynomial
``f(x) = s + a_1 x + ... + a_{t-1} x^{t-1}`` modulo a prime ``p``; holder
``k`` gets the share ``f(k + 1)``. Any ``t`` shares determine ``f``, and so
``s = f(0)``, by Lagrange interpolation; any ``t - 1`` shares are uniformly
distributed whatever the secret, so they reveal nothing about it.

:mod:`ppml_lessons.federated.secagg_dropouts` shares each client's mask seeds
this way, so that the survivors of a round can remove the masks of clients
that dropped out (Bonawitz et al., 2017).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

import numpy as np

from .._validation import check_number, check_type
from ..environment import make_rng

__all__ = ["PRIME", "split_secret", "reconstruct_secret"]

PRIME = 2**521 - 1
"""The Mersenne prime 2**521 - 1: larger than any 256-bit secret (an X25519 key, a 32-byte seed)."""


def _random_below(prime: int, rng: np.random.Generator | None) -> int:
    if rng is None:
        return secrets.randbelow(prime)
    nbytes = (prime.bit_length() + 7) // 8 + 16  # 128 extra bits make the modulo bias negligible
    return int.from_bytes(rng.bytes(nbytes), "big") % prime


def split_secret(
    secret: int,
    *,
    threshold: int,
    holders: Sequence[int],
    prime: int = PRIME,
    rng: np.random.Generator | int | None = None,
) -> dict[int, int]:
    """Split ``secret`` into one share per holder, any ``threshold`` of which recover it.

    Used by lesson 06, through :mod:`ppml_lessons.federated.secagg_dropouts`.

    Parameters
    ----------
    secret : int
        In [0, prime).
    threshold : int
        t, in [1, len(holders)]: how many shares recover the secret.
    holders : sequence of int
        Distinct ids in [0, prime - 1); holder ``k``'s share is ``f(k + 1)``.
    prime : int, default PRIME
        The field's modulus (a prime; tests use small ones).
    rng : numpy.random.Generator, int or None
        ``None`` (the default) draws the polynomial from the operating system, as
        real clients must; a seed is for reproducible teaching only.

    Returns
    -------
    dict of int to int
        Holder id to share.

    Examples
    --------
    >>> shares = split_secret(42, threshold=2, holders=[0, 1, 2], rng=0)
    >>> reconstruct_secret({k: shares[k] for k in (0, 2)})
    42
    """
    check_type("secret", secret, int, "an int in [0, prime)")
    check_type("prime", prime, int, "a prime int")
    if prime < 3:
        raise ValueError(f"prime must be a prime of at least 3; got {prime}")
    if not 0 <= secret < prime:
        raise ValueError(f"secret must be an int in [0, prime) = [0, {prime}); got {secret}")
    check_type("holders", holders, (list, tuple, range), "a sequence of distinct int ids")
    ids = [check_number(f"holders[{i}]", k, low=0, high=prime - 2, integer=True) for i, k in enumerate(holders)]
    if len(set(ids)) != len(ids):
        raise ValueError(f"holders must be distinct ids; got {sorted(ids)}")
    threshold = check_number("threshold", threshold, low=1, high=max(len(ids), 1), integer=True)
    generator = None if rng is None else make_rng(rng)
    coefficients = [secret] + [_random_below(prime, generator) for _ in range(threshold - 1)]
    shares = {}
    for k in ids:
        x, value = k + 1, 0
        for coefficient in reversed(coefficients):  # Horner's rule
            value = (value * x + coefficient) % prime
        shares[k] = value
    return shares


def reconstruct_secret(shares: Mapping[int, int], *, prime: int = PRIME) -> int:
    """Recover the secret from shares ``{holder id: share}`` by Lagrange interpolation at 0.

    With at least ``threshold`` shares of one secret the result is the secret;
    with fewer it is an unrelated field element (the shares carry no
    information about the secret), so the caller must count the shares first.
    Used by lesson 06.

    Examples
    --------
    >>> reconstruct_secret(split_secret(7, threshold=3, holders=range(5), rng=1))
    7
    """
    check_type("shares", shares, Mapping, "a dict mapping holder ids to shares")
    if not shares:
        raise ValueError("shares must hold at least one share; got none")
    points = [(int(k) + 1, int(v) % prime) for k, v in shares.items()]
    secret = 0
    for i, (x_i, y_i) in enumerate(points):
        numerator, denominator = 1, 1
        for j, (x_j, _) in enumerate(points):
            if i != j:
                numerator = numerator * (-x_j) % prime
                denominator = denominator * (x_i - x_j) % prime
        secret = (secret + y_i * numerator * pow(denominator, -1, prime)) % prime
    return secret
