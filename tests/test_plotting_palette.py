"""The course palette: one colour-blind-safe colour cycle, applied by importing ppml_lessons.plotting."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ppml_lessons.plotting import PALETTE, bar_chart, use_palette  # noqa: E402

OKABE_ITO = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}


def test_palette_is_okabe_ito() -> None:
    assert set(PALETTE) == OKABE_ITO and len(PALETTE) == 8


def test_importing_plotting_sets_the_default_colour_cycle() -> None:
    plt.rcParams["axes.prop_cycle"] = plt.cycler(color=["#ff0000"])
    use_palette()
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == list(PALETTE)
    _, ax = plt.subplots()
    lines = [ax.plot(np.arange(3), np.arange(3) * k)[0] for k in range(3)]
    assert [mcolors.to_hex(line.get_color()).upper() for line in lines] == [c.upper() for c in PALETTE[:3]]
    plt.close("all")


def test_bar_chart_draws_with_the_first_palette_colour() -> None:
    import pandas as pd

    use_palette()
    ax = bar_chart(pd.Series({"a": 0.3, "b": 0.1}), title="t", xlabel="x")
    assert mcolors.to_hex(ax.patches[0].get_facecolor()).upper() == PALETTE[0].upper()
    plt.close("all")
