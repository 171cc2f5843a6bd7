"""Small hand-made tables whose answers are worked out by hand in the tests."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def inpatients():
    """The 4-anonymous inpatient table of Machanavajjhala et al. (2007, Table 4).

    Three classes of four records: (130**, <30), (1485*, >=40), (130**, 3*).
    k = 4; the third class is all "Cancer", so distinct l = 1 (the homogeneity attack).
    """
    return pd.DataFrame(
        {
            "zip": ["130**"] * 4 + ["1485*"] * 4 + ["130**"] * 4,
            "age": ["<30"] * 4 + [">=40"] * 4 + ["3*"] * 4,
            "nationality": ["*"] * 12,
            "condition": ["Heart Disease", "Heart Disease", "Viral Infection", "Viral Infection",
                          "Cancer", "Heart Disease", "Viral Infection", "Viral Infection",
                          "Cancer", "Cancer", "Cancer", "Cancer"],
        }
    )  # fmt: skip


@pytest.fixture
def random_table():
    """A seeded random table with repeats, rare values and missing values."""
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 30, size=n),
            "sex": rng.choice(["F", "M"], size=n),
            "zip": rng.choice(["13053", "13068", "14850", None], size=n, p=[0.5, 0.3, 0.15, 0.05]),
            "income": rng.integers(0, 2, size=n),
        }
    )
    frame["zip"] = frame["zip"].astype("category")
    return frame
