"""Loaders for the course's tables: Adult, German credit and COMPAS.

Each reads a checksum-verified file from ``data/`` (see :mod:`.files`) and
returns a tidy pandas DataFrame: snake_case column names, categorical columns
as ``category`` dtype, missing values as ``NaN`` and a 0/1 target column.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .._validation import check_bool
from .files import data_path

__all__ = ["ADULT_COLUMNS", "adult_domain", "load_adult", "load_german", "load_compas"]

#: Column names of the Adult files, in order (``adult.names`` documents them).
ADULT_COLUMNS: list[str] = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def adult_domain(column: str) -> list[str]:
    """The values a categorical Adult column can take, read from the dataset's documentation (``adult.names``).

    This is *public* knowledge: it comes from the data's published
    description, not from the records. A differentially private histogram
    must take its bins from such a public domain: bins read off the private
    data (``value_counts()``) appear or disappear with one person, e.g. the
    single person born in the Netherlands. Used by lesson 03.

    Parameters
    ----------
    column : str
        A categorical column in snake_case, e.g. ``"native_country"``.

    Returns
    -------
    list of str
        The documented values, in the documentation's order.

    Examples
    --------
    >>> adult_domain("sex")
    ['Female', 'Male']
    >>> len(adult_domain("native_country"))
    41
    """
    documented = {}
    for line in data_path("adult/adult.names").read_text().splitlines():
        name, colon, values = line.partition(":")
        if colon and values.strip().endswith(".") and "," in values and not line.startswith("|"):
            documented[name.strip().replace("-", "_")] = [v.strip() for v in values.strip().rstrip(".").split(",")]
    if column not in documented:
        raise ValueError(f"column must be a categorical Adult column, one of {sorted(documented)}; got {column!r}")
    return documented[column]


def _read_adult(name: str, *, skip_first_line: bool) -> pd.DataFrame:
    frame = pd.read_csv(
        data_path(name),
        header=None,
        names=ADULT_COLUMNS,
        skiprows=1 if skip_first_line else 0,
        sep=",",
        skipinitialspace=True,
        na_values="?",
        keep_default_na=False,
        dtype=str,
    )
    return frame.dropna(how="all")


def load_adult(*, drop_missing: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load UCI Adult (Census Income, 1994) with its original train/test split.

    The test file's first line (``|1x3 Cross validator``) is skipped and the
    trailing period of its labels (``<=50K.``) removed. Missing values (``?``)
    become ``NaN``. Text columns are ``category`` dtype with the same
    categories in train and test, so one-hot encodings line up. The target is
    ``income_over_50k`` (1 if income is >50K, else 0); the raw ``income``
    column is dropped. Used by lessons 00, 02, 03, 07, 08 and 09.

    Parameters
    ----------
    drop_missing : bool, default False
        Drop rows with any missing value (leaves 30,162 train and 15,060 test rows).

    Returns
    -------
    train, test : pandas.DataFrame
        32,561 and 16,281 rows.

    Examples
    --------
    >>> train, test = load_adult()
    >>> len(train), len(test)
    (32561, 16281)
    >>> round(float(train["income_over_50k"].mean()), 3)
    0.241
    """
    check_bool("drop_missing", drop_missing)
    train = _read_adult("adult/adult.data.gz", skip_first_line=False)
    test = _read_adult("adult/adult.test.gz", skip_first_line=True)
    test["income"] = test["income"].str.rstrip(".")
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    categorical = [c for c in ADULT_COLUMNS if c not in numeric and c != "income"]
    out = []
    for frame in (train, test):
        unknown = set(frame["income"]) - {"<=50K", ">50K"}
        if unknown:  # pragma: no cover - guarded by the checksum
            raise ValueError(f"unexpected income labels in Adult: {sorted(unknown)}")
        frame = frame.copy()
        frame[numeric] = frame[numeric].astype("int64")
        frame["income_over_50k"] = (frame["income"] == ">50K").astype("int64")
        out.append(frame.drop(columns="income"))
    train, test = out
    for column in categorical:
        levels = sorted(set(train[column].dropna()) | set(test[column].dropna()))
        dtype = pd.CategoricalDtype(levels)
        train[column] = train[column].astype(dtype)
        test[column] = test[column].astype(dtype)
    if drop_missing:
        train, test = train.dropna(), test.dropna()
    return train.reset_index(drop=True), test.reset_index(drop=True)


#: (column name, key in values_maps.json or None for numeric), in file order.
_GERMAN_COLUMNS: list[tuple[str, str | None]] = [
    ("checking_account", "status"),
    ("duration_months", None),
    ("credit_history", "credit_history"),
    ("purpose", "purpose"),
    ("credit_amount", None),
    ("savings", "savings"),
    ("employment_since", "present_employment"),
    ("installment_rate", None),
    ("personal_status_sex", "status_sex"),
    ("other_debtors", "other_debtors"),
    ("residence_since", None),
    ("property", "property"),
    ("age", None),
    ("other_installment_plans", "installment_plans"),
    ("housing", "housing"),
    ("existing_credits", None),
    ("job", "job"),
    ("people_liable", None),
    ("telephone", "telephone"),
    ("foreign_worker", "foreign_worker"),
    ("credit", "credit"),
]


def load_german() -> pd.DataFrame:
    """Load UCI Statlog (German Credit Data), with A-codes mapped to their meanings.

    The coded attributes (``A11``, ``A43``, ...) are replaced by the
    descriptions in ``values_maps.json`` and stored as ``category`` dtype;
    ``telephone`` and ``foreign_worker`` become booleans. The target
    ``good_credit`` is 1 for a good risk (700 rows) and 0 for a bad one (300
    rows). Lesson 00 shows it; no lesson builds on it.

    The labels are UCI's documentation, which Grömping (2019) showed to be
    wrong for several attributes. Attribute 9 (``personal_status_sex``) is the
    one that matters for fairness: code A92, documented as "female :
    divorced/separated/married", also holds single men, and A94, documented
    as "male : married/widowed", holds single women (A93 holds married or
    widowed men, not single ones). Sex therefore cannot be read off this
    column, and the loader derives no ``sex`` column; compare groups on Adult
    or COMPAS instead, or use the corrected South German Credit data.

    Returns
    -------
    pandas.DataFrame
        1,000 rows.

    Examples
    --------
    >>> german = load_german()
    >>> len(german), int(german["good_credit"].sum()), "sex" in german
    (1000, 700, False)
    """
    maps = json.loads(data_path("german/values_maps.json").read_text())
    raw = pd.read_csv(
        data_path("german/german.data"), sep=" ", header=None, names=[c for c, _ in _GERMAN_COLUMNS], dtype=str
    )
    frame = pd.DataFrame(index=raw.index)
    for column, key in _GERMAN_COLUMNS:
        if key is None:
            frame[column] = raw[column].astype("int64")
        elif column == "credit":
            frame["good_credit"] = (raw[column].map(maps[key]) == "good").astype("int64")
        else:
            meaning = {code: v.strip() if isinstance(v, str) else v for code, v in maps[key].items()}
            mapped = raw[column].map(meaning)
            if mapped.isna().any():  # pragma: no cover - guarded by the checksum
                raise ValueError(f"German credit column {column} has codes missing from values_maps.json")
            values = list(meaning.values())
            if all(isinstance(v, bool) for v in values):
                frame[column] = mapped.astype(bool)
            else:
                frame[column] = mapped.astype(pd.CategoricalDtype(values))
    return frame


def load_compas(*, propublica_filter: bool = True) -> pd.DataFrame:
    """Load ProPublica's COMPAS two-year recidivism data (Broward County, FL).

    With ``propublica_filter=True`` (the default) the rows are filtered as in
    ProPublica's analysis "Machine Bias" (Angwin et al., 2016), keeping those
    with

    - ``days_b_screening_arrest`` between -30 and 30 (the COMPAS screening
      happened within 30 days of the arrest, so it concerns that offence),
    - ``is_recid != -1`` (a recidivism record was found),
    - ``c_charge_degree != "O"`` (ordinary traffic offences, which carry no
      jail time, are removed),
    - ``score_text != "N/A"`` (a score exists),

    which leaves 6,172 of the 7,214 rows. The file has two columns named
    ``decile_score`` and two named ``priors_count`` with equal values; the
    duplicates are dropped. ``sex``, ``race``, ``age_cat``, ``c_charge_degree``
    and ``score_text`` are ``category`` dtype; the target is
    ``two_year_recid`` (0/1). Used by lesson 07.

    Parameters
    ----------
    propublica_filter : bool, default True
        Apply the filter above; ``False`` returns all 7,214 rows.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> len(load_compas()), len(load_compas(propublica_filter=False))
    (6172, 7214)
    """
    check_bool("propublica_filter", propublica_filter)
    frame = pd.read_csv(data_path("compas/compas-scores-two-years.csv.gz"))
    duplicates = [c for c in frame.columns if c.endswith(".1")]
    for column in duplicates:
        original = column[:-2]
        if not np.array_equal(frame[column].to_numpy(), frame[original].to_numpy()):  # pragma: no cover
            raise ValueError(f"COMPAS column {column} differs from {original}")
    frame = frame.drop(columns=duplicates)
    if propublica_filter:
        keep = (
            frame["days_b_screening_arrest"].between(-30, 30)
            & (frame["is_recid"] != -1)
            & (frame["c_charge_degree"] != "O")
            & (frame["score_text"] != "N/A")
        )
        frame = frame[keep].reset_index(drop=True)
    for column in ["sex", "race", "age_cat", "c_charge_degree", "score_text"]:
        frame[column] = frame[column].astype("category")
    return frame
