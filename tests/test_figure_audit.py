"""ppml_lessons.figure_audit: what counts as a readable figure, and the draw hook the suite uses."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ppml_lessons import figure_audit  # noqa: E402
from ppml_lessons.plotting import image_grid  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    figure_audit.stop()
    plt.close("all")


def test_a_titled_labelled_figure_has_no_problems():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="t", xlabel="x", ylabel="y")
    assert figure_audit.figure_problems(fig) == []


def test_missing_title_and_labels_are_named():
    fig, axes = plt.subplots(1, 2)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
    axes[0].set(title="left", xlabel="x", ylabel="y")
    problems = figure_audit.figure_problems(fig)
    assert problems == ["Axes 2 of 2 has no title (and the figure no suptitle)",
                        "Axes 2 of 2: the x axis has tick labels but no label",
                        "Axes 2 of 2: the y axis has tick labels but no label"]


def test_a_suptitle_stands_for_the_titles_and_a_shared_axis_label_for_its_row():
    fig, axes = plt.subplots(1, 2, sharey=True)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    fig.suptitle("both panels")
    assert figure_audit.figure_problems(fig) == []


def test_hidden_ticks_switched_off_axes_and_colour_bars_need_no_labels():
    fig, (ax, image) = plt.subplots(1, 2)
    ax.scatter([0, 1], [0, 1])
    ax.set_title("PCA")
    ax.set_xticks([])
    ax.set_yticks([])
    shown = image.imshow([[0, 1], [1, 0]])
    image.axis("off")
    image.set_title("an image")
    colorbar = fig.colorbar(shown, ax=image)
    assert not colorbar.ax.get_ylabel()
    assert figure_audit.figure_problems(fig) == []


def test_image_grid_passes():
    import torch

    fig = image_grid(torch.rand(4, 1, 28, 28), titles=["a", "b", "c", "d"], ncols=2)
    assert figure_audit.figure_problems(fig) == []


def test_the_hook_records_drawn_figures_and_report_raises():
    figure_audit.start()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set_title("Loss")
    fig.canvas.draw()
    ok, ax2 = plt.subplots()
    ax2.plot([0, 1], [1, 0])
    ax2.set(title="fine", xlabel="x", ylabel="y")
    ok.canvas.draw()
    with pytest.raises(AssertionError, match=r"figure 'Loss': Axes 1 of 1 \('Loss'\): the x axis") as caught:
        figure_audit.report()
    assert "fine" not in str(caught.value)
    fig.canvas.draw()  # after report() the hook is gone: nothing is recorded
    assert figure_audit.stop() == []


def test_a_fixed_figure_is_forgiven_when_drawn_again():
    figure_audit.start()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    fig.canvas.draw()
    ax.set(title="t", xlabel="x", ylabel="y")
    fig.canvas.draw()
    figure_audit.report()  # does not raise


def test_rejects_what_is_not_a_figure():
    with pytest.raises(TypeError, match="figure must be a matplotlib Figure; got int"):
        figure_audit.figure_problems(3)


def test_twin_axes_count_as_one():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="two scales", xlabel="x", ylabel="left")
    twin = ax.twinx()
    twin.plot([0, 1], [5, 3])
    assert figure_audit.figure_problems(fig) == []  # the twin's y axis: its ticks are labelled by the left axis' label
    fig, (a, b) = plt.subplots(1, 2)
    for panel in (a, b):
        panel.plot([0, 1], [0, 1])
    a.set(title="left", xlabel="x", ylabel="y")
    assert "Axes 2 of 2 has no title (and the figure no suptitle)" in figure_audit.figure_problems(fig)
