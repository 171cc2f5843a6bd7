"""Model inputs shared by lessons 07-09: Adult encoded (scaling, one-hot, optional dropped columns), COMPAS's decisions.

Lessons 07, 08 and 09 share one model and one split: Adult's original
train/test split, every numeric column standardized, every categorical column
one-hot encoded (a missing value becomes its own category), and a logistic
regression fitted with lbfgs. That reference model reaches accuracy 0.853 on
the test split. ``drop`` removes columns before encoding, e.g. the sensitive
attributes, to show that dropping them does not remove a disparity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .._validation import check_type
from .tabular import ADULT_COLUMNS, load_compas

__all__ = [
    "ADULT_TARGET",
    "ADULT_SENSITIVE",
    "ADULT_NUMERIC",
    "ADULT_CATEGORICAL",
    "EncodedSplit",
    "adult_preprocessor",
    "adult_logistic_regression",
    "encode_adult",
    "COMPAS_HIGH_RISK_DECILE",
    "compas_decisions",
]

ADULT_TARGET = "income_over_50k"
#: The protected attributes the fairness lessons study.
ADULT_SENSITIVE: tuple[str, ...] = ("sex", "race")
ADULT_NUMERIC: tuple[str, ...] = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")
ADULT_CATEGORICAL: tuple[str, ...] = tuple(c for c in ADULT_COLUMNS if c not in ADULT_NUMERIC and c != "income")


def _check_drop(drop: Sequence[str]) -> list[str]:
    check_type("drop", drop, (list, tuple), "a list or tuple of Adult column names")
    features = [*ADULT_NUMERIC, *ADULT_CATEGORICAL]
    for column in drop:
        if column not in features:
            raise ValueError(f"drop must hold Adult feature columns ({', '.join(features)}); got {column!r}")
    if len(set(drop)) == len(features):
        raise ValueError("drop must leave at least one feature column; got every column")
    return list(drop)


def adult_preprocessor(*, drop: Sequence[str] = ()) -> ColumnTransformer:
    """An unfitted transformer: standardize numeric columns, one-hot encode categorical ones.

    Columns not listed in :data:`ADULT_NUMERIC` or :data:`ADULT_CATEGORICAL`
    (such as the target) are dropped, and so are those in ``drop``. Categories
    unseen in training are encoded as all zeros. The output is sparse, which
    keeps the logistic regression fast.

    Parameters
    ----------
    drop : list or tuple of str, default ()
        Feature columns to leave out, e.g. ``ADULT_SENSITIVE``.

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> train, _ = load_adult()
    >>> adult_preprocessor(drop=["sex"]).fit_transform(train).shape
    (32561, 106)
    """
    drop = _check_drop(drop)
    numeric = [c for c in ADULT_NUMERIC if c not in drop]
    categorical = [c for c in ADULT_CATEGORICAL if c not in drop]
    return ColumnTransformer(
        [("scale", StandardScaler(), numeric), ("one_hot", OneHotEncoder(handle_unknown="ignore"), categorical)],
        remainder="drop",
    )


def adult_logistic_regression(*, drop: Sequence[str] = ()) -> Pipeline:
    """The course's reference model on Adult: :func:`adult_preprocessor`, then lbfgs logistic regression.

    Deterministic: the same data gives the same model. Fitted on the training
    split with every column it reaches accuracy 0.853 on the test split
    (lesson 07), which lessons 08 and 09 take as their baseline.

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> train, test = load_adult()
    >>> model = adult_logistic_regression().fit(train, train[ADULT_TARGET])
    >>> round(float((model.predict(test) == test[ADULT_TARGET]).mean()), 3)
    0.853
    """
    return make_pipeline(adult_preprocessor(drop=drop), LogisticRegression(max_iter=1000))


@dataclass(frozen=True)
class EncodedSplit:
    """Dense model inputs for torch: ``x_*`` float32 arrays, ``y_*`` int64 labels.

    Returned by :func:`encode_adult` (lessons 07-09).
    """

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]


def encode_adult(train: pd.DataFrame, test: pd.DataFrame, *, drop: Sequence[str] = ()) -> EncodedSplit:
    """Fit :func:`adult_preprocessor` on ``train`` and encode both splits as dense arrays.

    The scaling and the categories come from the training split only, so
    nothing about the test split leaks into the inputs.

    Parameters
    ----------
    train, test : pandas.DataFrame
        From :func:`ppml_lessons.data.load_adult`.
    drop : list or tuple of str, default ()

    Returns
    -------
    EncodedSplit

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> encoded = encode_adult(*load_adult())
    >>> encoded.x_train.shape, encoded.x_test.dtype
    ((32561, 108), dtype('float32'))
    """
    for name, frame in (("train", train), ("test", test)):
        check_type(name, frame, pd.DataFrame, "a DataFrame from load_adult")
        missing = [c for c in [*ADULT_NUMERIC, *ADULT_CATEGORICAL, ADULT_TARGET] if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} must have Adult's columns as load_adult returns them; got no {missing}")
    preprocessor = adult_preprocessor(drop=drop).fit(train)

    def dense(frame: pd.DataFrame) -> np.ndarray:
        matrix = preprocessor.transform(frame)
        return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=np.float32)

    return EncodedSplit(
        x_train=dense(train),
        x_test=dense(test),
        y_train=np.array(train[ADULT_TARGET], dtype=np.int64),  # a writable copy (torch.from_numpy needs one)
        y_test=np.array(test[ADULT_TARGET], dtype=np.int64),
        feature_names=[str(n) for n in preprocessor.get_feature_names_out()],
    )


#: ProPublica's cut: a COMPAS decile score of 5 or more ("Medium" or "High") counts as high risk.
COMPAS_HIGH_RISK_DECILE = 5


def compas_decisions(*, races: Sequence[str] | None = None) -> pd.DataFrame:
    """COMPAS (ProPublica's filter) with the decision ``high_risk`` = 1 when ``decile_score >= 5``.

    That is how ProPublica turned the scores into a yes/no decision ("Medium"
    or "High" risk), so that error rates can be compared (lesson 07).

    Parameters
    ----------
    races : list or tuple of str, optional
        Keep only these values of ``race`` (unused categories are removed,
        so group reports see no empty group). All rows by default.

    Examples
    --------
    >>> compas = compas_decisions(races=["African-American", "Caucasian"])
    >>> len(compas), list(compas["race"].cat.categories)
    (5278, ['African-American', 'Caucasian'])
    >>> bool(((compas["score_text"] != "Low") == (compas["high_risk"] == 1)).all())
    True
    """
    frame = load_compas()
    if races is not None:
        check_type("races", races, (list, tuple), "a list or tuple of race names")
        known = list(frame["race"].cat.categories)
        for race in races:
            if race not in known:
                raise ValueError(f"races must hold values of COMPAS's race column ({', '.join(known)}); got {race!r}")
        frame = frame[frame["race"].isin(races)].reset_index(drop=True)
        frame["race"] = frame["race"].cat.remove_unused_categories()
    frame["high_risk"] = (frame["decile_score"] >= COMPAS_HIGH_RISK_DECILE).astype(np.int64)
    return frame
