"""The course palette: one colour-blind-safe colour cycle, applied by importing ppml_lessons.plotting."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

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


NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
_PALETTE_PROBE = """
import matplotlib
matplotlib.use("Agg")
{setup}
import matplotlib.pyplot as plt
print("FIRST COLOUR", plt.rcParams["axes.prop_cycle"].by_key()["color"][0])
"""


def test_every_lesson_setup_applies_the_course_palette() -> None:
    """Issue 17 item 6: after a lesson's setup cell, matplotlib's colour cycle is the course palette."""
    import nbformat

    def probe(path: Path) -> tuple[str, str]:
        setup = next(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
        run = subprocess.run([sys.executable, "-c", _PALETTE_PROBE.format(setup=setup)], capture_output=True,
                             text=True, cwd=path.parent, timeout=300)
        assert run.returncode == 0, f"{path.name}: the setup cell failed:\n{run.stderr[-2000:]}"
        return path.name, run.stdout.rsplit("FIRST COLOUR", 1)[-1].strip()

    with ThreadPoolExecutor(max_workers=2) as pool:
        colours = dict(pool.map(probe, NOTEBOOKS))
    assert colours and all(colour == PALETTE[0] for colour in colours.values()), colours


def test_bar_charts_on_a_shared_y_axis_keep_the_first_group_on_top() -> None:
    fig, axes = plt.subplots(1, 2, sharey=True)
    for ax in axes:
        bar_chart(pd.Series({"first": 1.0, "second": 2.0, "third": 3.0}), ax=ax)
    for ax in axes:
        assert ax.yaxis_inverted()  # position 0 ("first") at the top
    plt.close(fig)
