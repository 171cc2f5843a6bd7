#!/usr/bin/env python3
"""How long synthetic identifiers take: ``attach_identifiers`` (pools + NumPy) against one Faker call per row.

    .venv/bin/python benchmarks/attach_identifiers.py [--rows 48842] [--baseline-rows 2000]

The baseline calls Faker once per row for each identifier (``name``,
``ssn``, ``street_address``, ``zipcode_in_state``), as a first attempt
would; it is timed on ``--baseline-rows`` rows and scaled linearly to
``--rows``. Lesson 02 identifies Adult's 48,842 rows.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from faker import Faker

from ppml_lessons.anonymize import STATE_REGIONS, attach_identifiers


def per_row(n: int, seed: int) -> pd.DataFrame:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    states = list(STATE_REGIONS)
    rows = []
    for i in range(n):
        state = states[i % len(states)]
        rows.append((fake.name(), fake.ssn(), fake.street_address(), state, fake.zipcode_in_state(state)))
    return pd.DataFrame(rows, columns=["name", "ssn", "street_address", "state", "zip_code"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=48_842)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    args = parser.parse_args()
    frame = pd.DataFrame({"sex": np.where(np.arange(args.rows) % 3, "Male", "Female")})
    start = time.perf_counter()
    attach_identifiers(frame, rng=0)
    pooled = time.perf_counter() - start
    start = time.perf_counter()
    per_row(args.baseline_rows, seed=0)
    baseline = (time.perf_counter() - start) * args.rows / args.baseline_rows
    print(f"rows: {args.rows:,}")
    print(f"one Faker call per row and identifier (scaled from {args.baseline_rows:,} rows): {baseline:.1f} s")
    print(f"attach_identifiers (Faker pools + NumPy draws): {pooled:.2f} s")
    print(f"speed-up: {baseline / pooled:.0f}x")


if __name__ == "__main__":
    main()
