"""Why floating-point noise leaks: which outputs the Laplace mechanism can produce (lesson 03).

:func:`ppml_lessons.dp.mechanisms.laplace_mechanism` returns ``value + noise`` in
double precision, with NumPy's sampler: a uniform ``U = k / 2**53`` (k an
integer) turned into Laplace noise by the inverse CDF, ``scale * log(2U)`` or
``-scale * log(2 - 2U)``. The possible noise values form a finite, irregular
set of doubles, and so do the possible outputs; shifted by a different true
value, the set changes. An output that one true value can produce and its
neighbour cannot reveals which one it was, whatever ε promised (Mironov, 2012).
:func:`laplace_can_output` decides that exactly, by searching the uniforms
that could have produced the output.
"""

from __future__ import annotations

import math

from .._validation import check_number

__all__ = ["laplace_can_output"]

_GRID = 2**53  # NumPy's next_double: (random 64-bit integer >> 11) / 2**53


def _output(k: int, value: float, scale: float) -> float:
    """What ``value + Generator.laplace(0, scale)`` returns when the uniform draw is k / 2**53.

    This mirrors NumPy's C code (``random_laplace`` in distributions.c) with ``loc = 0``:
    Python's ``math.log`` calls the same C library ``log``, and every step rounds as in C.
    """
    u = k * (1.0 / _GRID)
    noise = 0.0 - scale * math.log(2.0 - u - u) if u >= 0.5 else 0.0 + scale * math.log(u + u)
    return value + noise


def laplace_can_output(output: float, *, value: float, scale: float) -> bool:
    """Whether ``laplace_mechanism`` with true answer ``value`` and noise scale ``scale`` can return exactly ``output``.

    The noise is a non-decreasing function of the uniform's integer k, so the
    search starts at the k that exact arithmetic would need and widens until
    either some k gives ``output`` exactly (True) or two consecutive k give
    outputs on both sides of it (False: no uniform produces it). It assumes
    NumPy's sampler as of NumPy 2 (``Generator.laplace``), which the tests
    check. Used by lesson 03 to show Mironov's (2012) floating-point attack.

    Parameters
    ----------
    output : float
        A released answer.
    value : float
        A candidate true answer.
    scale : float
        The Laplace scale b = sensitivity / ε, in (0, inf).

    Returns
    -------
    bool

    Examples
    --------
    >>> from ppml_lessons.dp.mechanisms import laplace_mechanism
    >>> released = laplace_mechanism(0.0, sensitivity=1, epsilon=1, rng=3)
    >>> laplace_can_output(released, value=0.0, scale=1.0)
    True
    >>> laplace_can_output(released, value=1.0, scale=1.0)  # so the true answer was not 1
    False
    """
    output = check_number("output", output)
    value = check_number("value", value)
    scale = check_number("scale", scale, low=0, low_open=True, high=math.inf, high_open=True)
    if not (math.isfinite(output) and math.isfinite(value)):
        raise ValueError(f"output and value must be finite; got output={output!r}, value={value!r}")
    if not _output(1, value, scale) <= output <= _output(_GRID - 1, value, scale):
        return False  # beyond the largest noise the sampler can draw (about 37 scales)
    gap = output - value  # where exact arithmetic would put the noise
    u = 0.5 * math.exp(gap / scale) if gap < 0 else 1.0 - 0.5 * math.exp(-gap / scale)
    centre, width = int(u * _GRID), 16
    while True:
        first, last = max(centre - width, 1), min(centre + width, _GRID - 1)
        outputs = [_output(k, value, scale) for k in range(first, last + 1)]
        if output in outputs:
            return True
        if outputs[0] < output < outputs[-1]:
            return False  # bracketed by neighbouring uniforms, and never hit
        width *= 4
