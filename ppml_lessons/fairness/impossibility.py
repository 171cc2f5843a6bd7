"""Why fairness criteria conflict: Chouldechova's identity (lesson 07).

For any binary classifier and any group with base rate ``p = P(Y=1)``,
precision (PPV), false negative rate (FNR) and false positive rate (FPR) are
tied by (Chouldechova, 2017)::

    FPR = p / (1 - p) * (1 - PPV) / PPV * (1 - FNR)

It is only counting: ``p/(1-p) = P/N``, ``(1-PPV)/PPV = FP/TP`` and
``1 - FNR = TP/P``, so the product is ``FP/N``. Hence if two groups have
different base rates, equal PPV (*predictive parity*, Northpointe's defence of
the high-risk label) and equal FNR force *different* FPRs: ProPublica's
complaint.

Predictive parity is a property of a yes/no decision. It is not calibration,
which is a property of a score (among people scored ``s``, a share ``s`` is
positive, in every group): a calibrated score can give unequal PPVs at a
threshold, and equal PPVs need no calibrated score. The score version of the
conflict, calibration within groups against balance for the positive and
negative classes, is Kleinberg, Mullainathan & Raghavan (2016).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_number

__all__ = ["implied_false_positive_rate"]


def implied_false_positive_rate(base_rate: float | np.ndarray, *, ppv: float, fnr: float) -> float | np.ndarray:
    """The FPR that a group with ``base_rate`` must have, given its PPV and FNR.

    Parameters
    ----------
    base_rate : float or array of float
        Share of the group with a positive true label, in (0, 1). An array
        gives the curve that lesson 07 draws.
    ppv : float
        Precision, in (0, 1].
    fnr : float
        False negative rate, in [0, 1].

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> round(implied_false_positive_rate(0.5, ppv=0.75, fnr=0.25), 4)
    0.25
    """
    check_number("ppv", ppv, low=0, high=1, low_open=True)
    check_number("fnr", fnr, low=0, high=1)
    if np.ndim(base_rate) == 0:
        p = check_number("base_rate", base_rate, low=0, high=1, low_open=True, high_open=True)
    else:
        p = np.asarray(base_rate, dtype=float)
        if np.isnan(p).any() or (p <= 0).any() or (p >= 1).any():
            raise ValueError(f"base_rate must hold floats in (0, 1); got values from {np.nanmin(p)} to {np.nanmax(p)}")
    return p / (1 - p) * (1 - ppv) / ppv * (1 - fnr)
