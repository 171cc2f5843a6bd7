"""Check that every figure a lesson draws can be read: a title, and a label on every axis it shows.

The test suite runs each lesson notebook under nbval; the suite's ``conftest.py`` starts
:func:`start` in the notebook's kernel before the first cell and calls :func:`report` after
the last one, so a figure without a title or an axis label fails the run, naming the lesson's
figure. The rules (:func:`figure_problems`):

- every Axes that shows data has a title, or its figure has a ``suptitle``;
- every axis whose tick labels are shown has a label, unless an axis it is shared with (the
  same row's y axis, the same column's x axis) has one;
- Axes drawn in the same place (twins, e.g. a second y axis, or the extra tick labels of
  ``shap.plots.waterfall``) count as one: a title or label on any of them serves all;
- Axes that are switched off (``ax.axis("off")``, e.g. the images of
  :func:`ppml_lessons.plotting.image_grid`) and colour bars need neither.

A learner never sees any of this: nothing is checked unless :func:`start` is called.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["figure_problems", "start", "stop", "report"]

_original_draw = None
_seen: dict[int, list[str]] = {}


def _label_of(figure: Figure) -> str:
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    suptitle = figure._suptitle.get_text() if figure._suptitle is not None else ""
    name = suptitle or (titles[0] if titles else "")
    return f"figure {name!r}" if name else "an untitled figure"


def _shows_ticks(axis) -> bool:
    return axis.get_visible() and any(label.get_visible() and label.get_text() for label in axis.get_ticklabels())


def _has_data(ax: Axes) -> bool:
    return bool(ax.lines or ax.collections or ax.patches or ax.images or ax.containers or ax.texts)


def figure_problems(figure: Figure) -> list[str]:
    """What a figure lacks: a title, or an axis label, as sentences naming the Axes.

    Parameters
    ----------
    figure : matplotlib.figure.Figure

    Returns
    -------
    list of str
        Empty when the figure follows the rules of this module.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> figure_problems(fig)
    ['Axes 1 of 1 has no title (and the figure no suptitle)', 'Axes 1 of 1: the x axis has tick labels but no label', 'Axes 1 of 1: the y axis has tick labels but no label']
    >>> _ = ax.set(title="Loss", xlabel="epoch", ylabel="loss")
    >>> figure_problems(fig)
    []
    >>> plt.close(fig)
    """
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure; got {type(figure).__name__}")
    problems = []
    has_suptitle = figure._suptitle is not None and bool(figure._suptitle.get_text().strip())
    axes = [ax for ax in figure.axes if ax.get_visible() and ax.axison and not hasattr(ax, "_colorbar")]
    total = len(axes)
    place = {id(ax): tuple(round(v, 3) for v in ax.get_position().bounds) for ax in axes}
    twins = {id(ax): [other for other in axes if place[id(other)] == place[id(ax)]] for ax in axes}

    def titled(ax: Axes) -> bool:
        return any(other.get_title(loc=loc).strip() for other in twins[id(ax)] for loc in ("left", "center", "right"))

    def labelled(ax: Axes, name: str) -> bool:
        shared = ax.get_shared_x_axes() if name == "x" else ax.get_shared_y_axes()
        near = {id(o): o for o in [*twins[id(ax)], *shared.get_siblings(ax)]}
        return any((o.xaxis if name == "x" else o.yaxis).get_label_text().strip() for o in near.values())

    for number, ax in enumerate(axes, start=1):
        where = f"Axes {number} of {total}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        if _has_data(ax) and not titled(ax) and not has_suptitle:
            problems.append(f"{where} has no title (and the figure no suptitle)")
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if _shows_ticks(axis) and not labelled(ax, name):
                problems.append(f"{where}: the {name} axis has tick labels but no label")
    return problems


def _checked_draw(self: Figure, renderer) -> None:
    problems = figure_problems(self)
    if problems:
        _seen[id(self)] = [f"{_label_of(self)}: {problem}" for problem in problems]
    else:
        _seen.pop(id(self), None)
    return _original_draw(self, renderer)


def start() -> None:
    """Check every figure when it is drawn (shown, saved or rendered inline) from now on."""
    global _original_draw
    if _original_draw is None:
        _original_draw = Figure.draw
        Figure.draw = _checked_draw
    _seen.clear()


def stop() -> list[str]:
    """Stop checking; return the problems of every figure drawn since :func:`start` (its last drawing)."""
    global _original_draw
    if _original_draw is not None:
        Figure.draw = _original_draw
        _original_draw = None
    found = [problem for problems in _seen.values() for problem in problems]
    _seen.clear()
    return found


def report() -> None:
    """Stop checking and raise ``AssertionError`` listing every problem found (the test suite's hook)."""
    found = stop()
    if found:
        raise AssertionError("figures that cannot be read without their code:\n- " + "\n- ".join(found))
