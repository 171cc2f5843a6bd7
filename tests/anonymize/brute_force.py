"""Independent, slow implementations the package is cross-checked against (no pandas groupby)."""

import numpy as np
import pandas as pd


def brute_force_class_sizes(frame, columns):
    """An independent implementation: count tuples with a dict, NaN as its own value."""
    def key(row):
        return tuple("<NaN>" if pd.isna(v) else v for v in row)

    keys = [key(row) for row in frame[columns].itertuples(index=False)]
    counts = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    return np.array([counts[k] for k in keys]), keys


def brute_force_distinct(frame, columns, sensitive):
    """Distinct sensitive values per record's class, by dict of sets."""
    _, keys = brute_force_class_sizes(frame, columns)
    values = {}
    for k, v in zip(keys, frame[sensitive]):
        values.setdefault(k, set()).add("<NaN>" if pd.isna(v) else v)
    return np.array([len(values[k]) for k in keys])


def brute_force_linkage(auxiliary, released, on, id_column):
    """Nested loops: for each auxiliary row, the ids of the released rows equal on every column."""
    def same(a, b):
        return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)

    n_unique = n_correct = 0
    released_rows = list(released[on + [id_column]].itertuples(index=False))
    for target in auxiliary[on + [id_column]].itertuples(index=False):
        ids = [row[-1] for row in released_rows if all(same(row[i], target[i]) for i in range(len(on)))]
        if len(ids) == 1:
            n_unique += 1
            n_correct += int(ids[0] == target[-1])
    return n_unique, n_correct
