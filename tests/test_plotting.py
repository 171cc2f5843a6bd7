import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ppml_lessons.plotting import bar_chart, image_grid, mean_band  # noqa: E402


def teardown_function():
    plt.close("all")


def test_image_grid_lays_out_images_with_titles():
    fig = image_grid(torch.rand(7, 1, 28, 28), titles=[str(i) for i in range(7)], ncols=3)
    assert len(fig.axes) == 7
    assert fig.axes[6].get_title() == "6"


def test_bar_chart_draws_intervals():
    values = pd.Series({"a": 0.3, "b": 0.1})
    ax = bar_chart(values, lower=values - 0.05, upper=values + 0.05, title="t")
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.3, 0.1])
    assert ax.get_title() == "t"


def test_mean_band_plots_the_mean():
    runs = np.array([[0.0, 1.0], [2.0, 3.0]])
    ax = mean_band([1, 2], runs)
    assert np.allclose(ax.lines[0].get_ydata(), [1.0, 2.0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: image_grid([1, 2]), "images"),
        (lambda: image_grid(np.zeros((2, 3))), "images"),
        (lambda: image_grid(np.zeros((2, 4, 4)), titles=["a"]), "titles"),
        (lambda: bar_chart([0.1]), "values"),
        (lambda: bar_chart(pd.Series([0.1]), lower=pd.Series([0.0])), "lower and upper"),
        (lambda: mean_band([1, 2, 3], np.zeros((2, 2))), "runs"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
