import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from ppml_lessons.explain.plots import attribution_overlay, lime_stability_plot


def test_overlay_has_one_column_per_image_and_a_shared_colour_scale():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(3, 1, 28, 28))
    fig = attribution_overlay(rng.random((3, 1, 28, 28)), maps, titles=list("abc"))
    images = [ax.images[-1] for ax in fig.axes[3:6]]
    limit = np.percentile(np.abs(maps), 99)  # the documented end of the scale
    assert all(im.get_clim() == (-limit, limit) for im in images)
    plt.close(fig)
    with pytest.raises(ValueError, match="attributions must have the shape"):
        attribution_overlay(rng.random((3, 28, 28)), maps[:2])
    with pytest.raises(ValueError, match="titles"):
        attribution_overlay(rng.random((3, 28, 28)), maps, titles=["a"])


def test_stability_plot_has_one_panel_per_sample_size():
    runs = pd.DataFrame({"num_samples": [10, 10, 20, 20], "seed": [0, 1, 0, 1], "feature": ["a"] * 4,
                         "weight": [0.1, 0.2, 0.15, 0.15], "rank": [1] * 4})
    fig = lime_stability_plot(runs)
    assert [ax.get_title() for ax in fig.axes] == ["num_samples = 10", "num_samples = 20"]
    plt.close(fig)
    with pytest.raises(TypeError, match="runs"):
        lime_stability_plot([1, 2])
