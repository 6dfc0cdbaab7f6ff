"""The colours and shapes every diagram of `course_lib.diagrams` is drawn with.

Boxes are layers with weights, circles element-wise operations, arrows the flow of
values. Coordinates are data units of an `Axes` whose aspect is fixed to 1 by `finish`,
so a circle stays round and a box of width 1 is as wide as it is tall.
"""

from __future__ import annotations

from typing import Any

from course_lib.validation import describe

# Colours (colour-blind friendly, readable in print; text colours reach 4.5:1 on white).
INK = "#2b2b2b"  # lines, text
CELL_BG = "#f3f6fa"  # the inside of a cell, a panel
CELL_EDGE = "#9aa8b8"
SIGMOID = "#f2b36b"  # sigmoid gate layers
TANH = "#6fb7a8"  # tanh layers, recurrent cells
NODE = "#ffffff"  # element-wise operations
STATE = "#1f4e79"  # the LSTM cell-state highway, the GRU state line, a carried state
WEIGHT = "#8c2d3c"  # weight labels
GRADIENT = "#b34a00"  # backward pass: gradients (5.4:1 on white)
INPUT = "#cfe3f3"  # data read by a network: tokens, inputs
OUTPUT = "#f6d7a7"  # what a network writes: outputs, predictions
TRUTH = "#cdebd9"  # a token from the data: a target
MUTED = "#666666"  # notes, padding (5.7:1 on white)
STREAMS = ("#cfe3f3", "#f6d7a7", "#cdebd9", "#ead1e3", "#f3e9a6", "#dddddd")  # light tints

GATE_W, GATE_H = 1.0, 0.7  # size of a gate box
NODE_R = 0.28  # radius of an element-wise node


def new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    """Return `ax`, or the Axes of a new figure of size `figsize` when `ax` is None.

    Raises:
        ValueError: if `ax` is neither None nor a matplotlib `Axes`.
    """
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise ValueError(f"`ax` must be a matplotlib Axes or None; got {describe(ax)}.")
    return ax


def finish(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float]) -> Any:
    """Fix the limits, keep circles round and hide the axis frame; return `ax`."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def box(
    ax: Any,
    center: tuple[float, float],
    text: str,
    *,
    width: float = GATE_W,
    height: float = GATE_H,
    color: str = TANH,
    edgecolor: str = INK,
    linestyle: str = "-",
    fontsize: float = 12,
    gid: str | None = None,
    **kw: Any,
) -> None:
    """A rounded box centred at `center` with `text` inside (a layer, a token, a window)."""
    from matplotlib.patches import FancyBboxPatch

    x, y = center
    pad = min(0.08, width / 4, height / 4)
    patch = FancyBboxPatch(
        (x - width / 2 + pad, y - height / 2 + pad),
        width - 2 * pad,
        height - 2 * pad,
        boxstyle=f"round,pad={pad}",
        facecolor=color,
        edgecolor=edgecolor,
        linewidth=1.2,
        linestyle=linestyle,
        zorder=3,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=INK, zorder=4, **kw)


def node(
    ax: Any, center: tuple[float, float], symbol: str, *, radius: float = NODE_R, fontsize=13
) -> None:
    """A circle (an element-wise operation) centred at `center`, with `symbol` inside."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(center, radius, facecolor=NODE, edgecolor=INK, linewidth=1.2, zorder=3))
    ax.text(*center, symbol, ha="center", va="center", fontsize=fontsize, color=INK, zorder=4)


def dot(ax: Any, center: tuple[float, float], *, color: str = INK) -> None:
    """A small filled dot where a line splits in two."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(center, 0.07, facecolor=color, edgecolor=color, zorder=3))


def wire(
    ax: Any,
    points: list[tuple[float, float]],
    *,
    arrow: bool = True,
    color: str = INK,
    lw: float = 1.5,
    linestyle: str = "-",
    halo: bool = False,
    gid: str | None = None,
) -> None:
    """A polyline through `points`, with an arrow head at its end when `arrow` is True.

    The head is a `FancyArrowPatch` with `gid` (so a test can count the arrows of one
    kind); a dashed line keeps a solid head. `halo=True` draws a white band under the
    line, so that it crosses another line with a visible gap instead of touching it.
    """
    import numpy as np
    from matplotlib import patheffects
    from matplotlib.patches import FancyArrowPatch

    points = np.array(points, dtype=float)  # (n, 2)
    effects = [patheffects.withStroke(linewidth=lw + 5, foreground="white")] if halo else None
    ax.plot(
        points[:, 0],
        points[:, 1],
        color=color,
        lw=lw,
        linestyle=linestyle,
        solid_capstyle="butt",
        zorder=2.5 if halo else 2,
        path_effects=effects,
        gid=gid,
    )
    if arrow:
        end, before = points[-1], points[-2]
        length = float(np.hypot(*(end - before)))
        start = end - (end - before) * min(1.0, 0.3 / length) if length else before
        head = FancyArrowPatch(
            tuple(start),
            tuple(end),
            arrowstyle="-|>",
            mutation_scale=13,
            color=color,
            lw=lw,
            shrinkA=0,
            shrinkB=0,
            zorder=2.5 if halo else 2,
        )
        head.set_gid(gid)
        ax.add_patch(head)


def label(ax: Any, xy: tuple[float, float], text: str, *, fontsize=13, color=INK, **kw) -> None:
    """A text label centred at `xy` unless `ha`/`va` say otherwise."""
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    ax.text(*xy, text, fontsize=fontsize, color=color, zorder=5, **kw)


def panel(
    ax: Any, x0: float, y0: float, x1: float, y1: float, *, color: str = CELL_BG, gid=None
) -> None:
    """The light rounded rectangle behind a cell or a panel of a diagram."""
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch(
        (x0, y0),
        x1 - x0,
        y1 - y0,
        boxstyle="round,pad=0.15",
        facecolor=color,
        edgecolor=CELL_EDGE,
        linewidth=1.2,
        zorder=0,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
