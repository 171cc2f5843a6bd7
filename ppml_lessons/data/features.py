"""Model inputs shared by lessons 07-09: Adult encoded (scaling, one-hot, optional dropped columns), COMPAS's decisions.

Lessons 07, 08 and 09 share one model and one split: Adult's original
train/test split, every numeric column standardized, every categorical column
one-hot encoded (a missing value becomes its own category), and a logistic
regression fitted with lbfgs.

Which columns go in is a named feature set (``features``, see
:data:`ADULT_FEATURE_SETS`). ``"all"`` (the default, lesson 09) takes every
column. ``"personal"`` leaves out the two columns that do not describe a
person: ``fnlwgt``, the census sampling weight (how many people of the
population the row stands for), and ``education``, which duplicates
``education_num`` one to one. ``"personal_without_sensitive"`` also leaves out
sex and race: the fairness lessons' reference model (07, 08), which uses the
sensitive attributes only to measure, weigh, constrain or post-process, never
as inputs. ``drop`` removes further columns before encoding, e.g. proxies of
sex, to show that dropping them does not remove a disparity.
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

from .._validation import check_number, check_option, check_type
from ..environment import make_rng
from .tabular import ADULT_COLUMNS, load_compas

__all__ = [
    "ADULT_TARGET",
    "ADULT_SENSITIVE",
    "ADULT_NUMERIC",
    "ADULT_CATEGORICAL",
    "ADULT_NOT_PERSONAL",
    "ADULT_FEATURE_SETS",
    "FAIRNESS_FEATURES",
    "adult_feature_columns",
    "EncodedSplit",
    "adult_preprocessor",
    "adult_logistic_regression",
    "encode_adult",
    "adult_validation_split",
    "COMPAS_HIGH_RISK_DECILE",
    "compas_decisions",
]

ADULT_TARGET = "income_over_50k"
#: The protected attributes the fairness lessons study.
ADULT_SENSITIVE: tuple[str, ...] = ("sex", "race")
ADULT_NUMERIC: tuple[str, ...] = ("age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week")
ADULT_CATEGORICAL: tuple[str, ...] = tuple(c for c in ADULT_COLUMNS if c not in ADULT_NUMERIC and c != "income")
#: Columns that are not attributes of a person: the census sampling weight, and the text twin of education_num.
ADULT_NOT_PERSONAL: tuple[str, ...] = ("fnlwgt", "education")
#: Named feature sets: name -> the feature columns it leaves out.
ADULT_FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "all": (),
    "personal": ADULT_NOT_PERSONAL,
    "personal_without_sensitive": (*ADULT_NOT_PERSONAL, *ADULT_SENSITIVE),
}
#: The feature set of the fairness lessons' reference model (lessons 07 and 08).
FAIRNESS_FEATURES = "personal_without_sensitive"


def adult_feature_columns(*, features: str = "all", drop: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The numeric and the categorical input columns of a feature set, less the columns in ``drop``.

    Used by every model of lessons 07-09 through :func:`adult_preprocessor`.

    Parameters
    ----------
    features : {"all", "personal", "personal_without_sensitive"}, default "all"
        A key of :data:`ADULT_FEATURE_SETS`.
    drop : list or tuple of str, default ()
        Further feature columns to leave out (one already left out by the set is fine).

    Examples
    --------
    >>> numeric, categorical = adult_feature_columns(features="personal_without_sensitive")
    >>> "fnlwgt" in numeric, "education" in categorical, "sex" in categorical
    (False, False, False)
    """
    check_option("features", features, list(ADULT_FEATURE_SETS))
    check_type("drop", drop, (list, tuple), "a list or tuple of Adult column names")
    every = [*ADULT_NUMERIC, *ADULT_CATEGORICAL]
    for column in drop:
        if column not in every:
            raise ValueError(f"drop must hold Adult feature columns ({', '.join(every)}); got {column!r}")
    left_out = {*ADULT_FEATURE_SETS[features], *drop}
    if left_out >= set(every):
        raise ValueError("drop must leave at least one feature column; got every column")
    return [c for c in ADULT_NUMERIC if c not in left_out], [c for c in ADULT_CATEGORICAL if c not in left_out]


def adult_preprocessor(*, features: str = "all", drop: Sequence[str] = ()) -> ColumnTransformer:
    """An unfitted transformer: standardize numeric columns, one-hot encode categorical ones.

    Columns not listed in :data:`ADULT_NUMERIC` or :data:`ADULT_CATEGORICAL`
    (such as the target) are dropped, and so are those in ``drop``. Categories
    unseen in training are encoded as all zeros. The output is sparse, which
    keeps the logistic regression fast.

    Parameters
    ----------
    features : {"all", "personal", "personal_without_sensitive"}, default "all"
        The named feature set (:data:`ADULT_FEATURE_SETS`).
    drop : list or tuple of str, default ()
        Further feature columns to leave out, e.g. ``["relationship"]``.

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> train, _ = load_adult()
    >>> adult_preprocessor(drop=["sex"]).fit_transform(train).shape
    (32561, 106)
    >>> adult_preprocessor(features=FAIRNESS_FEATURES).fit_transform(train).shape
    (32561, 84)
    """
    numeric, categorical = adult_feature_columns(features=features, drop=drop)
    return ColumnTransformer(
        [("scale", StandardScaler(), numeric), ("one_hot", OneHotEncoder(handle_unknown="ignore"), categorical)],
        remainder="drop",
    )


def adult_logistic_regression(*, features: str = "all", drop: Sequence[str] = ()) -> Pipeline:
    """The course's reference model on Adult: :func:`adult_preprocessor`, then lbfgs logistic regression.

    Deterministic: the same data gives the same model. Fitted on the training
    split with every column it reaches accuracy 0.853 on the test split
    (lesson 09's model). With ``features=FAIRNESS_FEATURES`` (no sampling
    weight, one education column, no sex or race) it is the reference model
    that lessons 07 and 08 audit and mitigate.

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> train, test = load_adult()
    >>> model = adult_logistic_regression().fit(train, train[ADULT_TARGET])
    >>> round(float((model.predict(test) == test[ADULT_TARGET]).mean()), 3)
    0.853
    """
    return make_pipeline(adult_preprocessor(features=features, drop=drop), LogisticRegression(max_iter=1000))


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


def encode_adult(
    train: pd.DataFrame, test: pd.DataFrame, *, features: str = "all", drop: Sequence[str] = ()
) -> EncodedSplit:
    """Fit :func:`adult_preprocessor` on ``train`` and encode both splits as dense arrays.

    The scaling and the categories come from the training split only, so
    nothing about the test split leaks into the inputs.

    Parameters
    ----------
    train, test : pandas.DataFrame
        From :func:`ppml_lessons.data.load_adult`.
    features : {"all", "personal", "personal_without_sensitive"}, default "all"
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
    preprocessor = adult_preprocessor(features=features, drop=drop).fit(train)

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


def adult_validation_split(
    train: pd.DataFrame, *, fraction: float = 0.25, rng: np.random.Generator | int | None = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a validation split from Adult's training split, stratified by sex and label (lesson 08).

    Anything chosen after training (a threshold, a post-processing rule) is
    fitted on the validation split, so that the test split only scores.
    Stratifying keeps every (sex, label) cell's share the same in both parts.

    Parameters
    ----------
    train : pandas.DataFrame
        Adult's training split, from :func:`ppml_lessons.data.load_adult`.
    fraction : float in (0, 1), default 0.25
        Share of the rows held out.
    rng : numpy.random.Generator, int or None, default 0
        Same seed, same split.

    Returns
    -------
    fit, validation : pandas.DataFrame
        Disjoint, with their original index, in the original order.

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> fit, validation = adult_validation_split(load_adult()[0])
    >>> len(fit), len(validation)
    (24420, 8141)
    """
    check_type("train", train, pd.DataFrame, "a DataFrame from load_adult")
    missing = [c for c in ("sex", ADULT_TARGET) if c not in train.columns]
    if missing:
        raise ValueError(f"train must have Adult's columns as load_adult returns them; got no {missing}")
    fraction = check_number("fraction", fraction, low=0, high=1, low_open=True, high_open=True)
    generator = make_rng(rng)
    cell = train["sex"].astype(str).to_numpy() + "/" + train[ADULT_TARGET].astype(str).to_numpy()
    held_out = np.zeros(len(train), dtype=bool)
    for key in np.unique(cell):
        rows = np.flatnonzero(cell == key)
        held_out[generator.choice(rows, size=int(round(fraction * len(rows))), replace=False)] = True
    return train[~held_out], train[held_out]
