"""Diagrams of recurrent cells, drawn with matplotlib: the course's own figures.

Every function draws on an `Axes` (a new figure when `ax` is None), turns the axis
frame off and returns the `Axes`, so a notebook can place a diagram in a grid of
subplots or give it a title. The drawings follow Keras's conventions: an LSTM's gates
are i, f, c (candidate), o and a GRU keeps the old state in proportion `z`,
`h_t = z_t * h_{t-1} + (1 - z_t) * candidate`.

Boxes are layers with weights (a matrix product then an activation); circles are
element-wise operations (multiply, add, `1 -`, `tanh`).

Introduced in Chapter 1 (Sequences and the hidden state); the LSTM and GRU diagrams in
Chapters 4 (LSTM) and 5 (GRU).
"""

from __future__ import annotations

import numpy as np

from course_lib.validation import check_int

# Colours of the diagrams (colour-blind friendly, readable in print).
_INK = "#2b2b2b"  # lines, text
_CELL_BG = "#f3f6fa"  # the cell's background
_CELL_EDGE = "#9aa8b8"
_SIGMOID = "#f2b36b"  # sigmoid gate layers
_TANH = "#6fb7a8"  # tanh layers
_NODE = "#ffffff"  # element-wise operations
_STATE = "#1f4e79"  # the LSTM cell-state highway / the GRU state line
_WEIGHT = "#8c2d3c"  # weight labels

_GATE_W, _GATE_H = 1.0, 0.7  # size of a gate box
_NODE_R = 0.28  # radius of an element-wise node


def _new_axes(ax, figsize):
    """Return `ax`, or the Axes of a new figure of size `figsize` when `ax` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def _finish(ax, xlim, ylim):
    """Fix the limits, keep circles round and hide the axis frame."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _box(ax, center, text, *, width=_GATE_W, height=_GATE_H, color=_TANH, fontsize=12, **kw):
    """A rounded box (a layer with weights) centred at `center`, with `text` inside."""
    from matplotlib.patches import FancyBboxPatch

    x, y = center
    pad = 0.08
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2 + pad, y - height / 2 + pad),
            width - 2 * pad,
            height - 2 * pad,
            boxstyle=f"round,pad={pad}",
            facecolor=color,
            edgecolor=_INK,
            linewidth=1.2,
            zorder=3,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=_INK, zorder=4, **kw)


def _node(ax, center, symbol, *, radius=_NODE_R, fontsize=13):
    """A circle (an element-wise operation) centred at `center`, with `symbol` inside."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(center, radius, facecolor=_NODE, edgecolor=_INK, linewidth=1.2, zorder=3))
    ax.text(*center, symbol, ha="center", va="center", fontsize=fontsize, color=_INK, zorder=4)


def _dot(ax, center):
    """A small filled dot where a line splits in two."""
    from matplotlib.patches import Circle

    ax.add_patch(Circle(center, 0.07, facecolor=_INK, edgecolor=_INK, zorder=3))


def _wire(ax, points, *, arrow=True, color=_INK, lw=1.5):
    """A polyline through `points`, with an arrow head at its end when `arrow` is True."""
    from matplotlib.patches import FancyArrowPatch

    points = [tuple(map(float, p)) for p in points]
    if len(points) > 2:
        xs, ys = zip(*points[:-1], strict=True)
        ax.plot(xs, ys, color=color, lw=lw, solid_capstyle="round", zorder=2)
    ax.add_patch(
        FancyArrowPatch(
            points[-2],
            points[-1],
            arrowstyle="-|>" if arrow else "-",
            mutation_scale=13,
            color=color,
            lw=lw,
            shrinkA=0,
            shrinkB=0,
            zorder=2,
        )
    )


def _label(ax, xy, text, *, fontsize=13, color=_INK, **kw):
    """A text label centred at `xy` unless `ha`/`va` say otherwise."""
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    ax.text(*xy, text, fontsize=fontsize, color=color, zorder=5, **kw)


def _cell_background(ax, x0, y0, x1, y1):
    """The light rounded rectangle that marks the inside of a cell."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            boxstyle="round,pad=0.15",
            facecolor=_CELL_BG,
            edgecolor=_CELL_EDGE,
            linewidth=1.2,
            zorder=0,
        )
    )


def draw_rnn_cell(ax=None):
    """Draw one step of a simple recurrent cell: `x_t` and `h_{t-1}` in, `h_t` out.

    The cell computes `h_t = tanh(W_x x_t + W_h h_{t-1} + b)`. The new state leaves to
    the right, where it becomes `h_{t-1}` of the next step, and upwards as the output.

    Args:
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram.

    Example:
    >>> from course_lib.diagrams import draw_rnn_cell
    >>> ax = draw_rnn_cell()

    Introduced in Chapter 1 (Sequences and the hidden state).
    """
    ax = _new_axes(ax, (7.0, 4.2))
    _box(
        ax,
        (0.0, 0.0),
        "$\\tanh$",
        width=2.2,
        height=1.2,
        color=_TANH,
        fontsize=16,
    )
    # Input from below, previous state from the left, new state right and up.
    _wire(ax, [(0.0, -2.0), (0.0, -0.6)])
    _label(ax, (0.0, -2.35), "input $x_t$")
    _label(ax, (0.15, -1.3), "$W_x$", color=_WEIGHT, ha="left")
    _wire(ax, [(-3.6, 0.0), (-1.1, 0.0)])
    _label(ax, (-3.7, 0.0), "$h_{t-1}$", ha="right")
    _label(ax, (-2.35, 0.3), "$W_h$", color=_WEIGHT)
    _wire(ax, [(1.1, 0.0), (3.6, 0.0)])
    _label(ax, (3.7, 0.0), "$h_t$", ha="left")
    _label(ax, (2.55, -0.32), "to step $t+1$", fontsize=10)
    _dot(ax, (1.6, 0.0))
    _wire(ax, [(1.6, 0.0), (1.6, 1.7)])
    _label(ax, (1.6, 2.05), "output $h_t$")
    _label(
        ax,
        (0.0, -3.1),
        "$h_t = \\tanh(W_x\\, x_t + W_h\\, h_{t-1} + b)$",
        fontsize=13,
    )
    return _finish(ax, (-5.0, 5.0), (-3.5, 2.5))


def _folded_rnn(ax, x):
    """The folded RNN (a cell with a loop) centred at horizontal position `x`."""
    _box(ax, (x, 0.0), "RNN", width=1.4, height=1.0, color=_TANH, fontsize=12)
    _wire(ax, [(x, -1.6), (x, -0.5)])
    _label(ax, (x, -1.9), "$x_t$")
    _wire(ax, [(x, 0.5), (x, 1.6)])
    _label(ax, (x, 1.9), "$h_t$")
    # The loop: out of the right side, round the top, back into the left side.
    _dot(ax, (x, 1.05))
    _wire(
        ax,
        [(x, 1.05), (x + 1.1, 1.05), (x + 1.1, -0.9), (x - 1.1, -0.9), (x - 1.1, 0.0)],
        arrow=False,
    )
    _wire(ax, [(x - 1.1, 0.0), (x - 0.7, 0.0)])
    _label(ax, (x + 1.25, 0.05), "$W_h$", color=_WEIGHT, ha="left")


def draw_unrolled_rnn(timesteps=4, ax=None, *, folded=True):
    """Draw a recurrent layer unrolled over `timesteps` steps, with shared weights.

    Every step is the same cell: the input weights `W_x`, the recurrent weights `W_h`
    and the bias are shared by all steps. With `folded=True` the compact view (one cell
    with a loop) is drawn on the left, followed by "=" and the unrolled chain.

    Args:
        timesteps: number of steps to draw, 1 to 10. Defaults to 4.
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).
        folded: whether to draw the folded view first. Defaults to True.

    Returns:
        The `Axes` holding the diagram.

    Raises:
        ValueError: if `timesteps` is not an integer in [1, 10].

    Example:
    >>> from course_lib.diagrams import draw_unrolled_rnn
    >>> ax = draw_unrolled_rnn(timesteps=3)

    Introduced in Chapter 1 (Sequences and the hidden state).
    """
    timesteps = check_int(timesteps, "timesteps", minimum=1, maximum=10)
    step = 2.8  # distance between two unrolled cells
    start = 0.0
    left = -2.2
    ax = _new_axes(ax, (1.2 + 2.1 * (timesteps + (1.6 if folded else 0.0)), 3.6))
    if folded:
        _folded_rnn(ax, -4.6)
        _label(ax, (-2.2, 0.0), "=", fontsize=22)
        left = -6.2
    xs = start + step * np.arange(timesteps) + 0.9  # centres of the cells
    # Initial state on the left.
    _label(ax, (xs[0] - 1.95, 0.0), "$h_0$", ha="center")
    for t, x in enumerate(xs, start=1):
        _box(ax, (x, 0.0), "$\\tanh$", width=1.4, height=1.0, color=_TANH, fontsize=13)
        _wire(ax, [(x, -1.6), (x, -0.5)])
        _label(ax, (x, -1.9), f"$x_{{{t}}}$")
        _label(ax, (x + 0.12, -1.05), "$W_x$", color=_WEIGHT, ha="left", fontsize=11)
        _wire(ax, [(x, 0.5), (x, 1.6)])
        _label(ax, (x, 1.9), f"$h_{{{t}}}$")
        prev = xs[0] - 1.65 if t == 1 else xs[t - 2] + 0.7
        _wire(ax, [(prev, 0.0), (x - 0.7, 0.0)])
        _label(ax, ((prev + x - 0.7) / 2, 0.27), "$W_h$", color=_WEIGHT, fontsize=11)
    right = xs[-1] + 1.2
    _label(
        ax,
        ((xs[0] + xs[-1]) / 2, -2.65),
        "the same $W_x$, $W_h$ and $b$ at every step",
        fontsize=11,
        style="italic",
    )
    return _finish(ax, (left, right), (-3.0, 2.3))


def draw_lstm_cell(ax=None):
    """Draw an LSTM cell: the gates i, f, o, the candidate and the cell-state highway.

    The cell state `c` runs along the top, changed only by an element-wise multiply
    (forget gate `f_t`) and an add (input gate `i_t` times the candidate `~c_t`). The
    output gate `o_t` decides how much of `tanh(c_t)` becomes the new hidden state
    `h_t`. All four layers read the same input: `[h_{t-1}, x_t]`.

    Args:
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram.

    Example:
    >>> from course_lib.diagrams import draw_lstm_cell
    >>> ax = draw_lstm_cell()

    Introduced in Chapter 4 (LSTM).
    """
    ax = _new_axes(ax, (9.0, 6.0))
    y_top, y_gate, y_mid, y_bus = 5.0, 2.4, 3.7, 1.1
    x_f, x_i, x_g, x_o, x_out = 2.0, 3.6, 5.1, 6.9, 8.4
    _cell_background(ax, -0.1, 0.45, 9.3, 5.6)

    # Cell-state highway along the top.
    _wire(ax, [(-1.0, y_top), (x_f - _NODE_R, y_top)], arrow=False, color=_STATE, lw=3)
    _wire(ax, [(x_f + _NODE_R, y_top), (x_g - _NODE_R, y_top)], arrow=False, color=_STATE, lw=3)
    _wire(ax, [(x_g + _NODE_R, y_top), (10.3, y_top)], color=_STATE, lw=3)
    _node(ax, (x_f, y_top), "$\\times$")
    _node(ax, (x_g, y_top), "$+$")
    _label(ax, (-1.1, y_top), "$c_{t-1}$", ha="right")
    _label(ax, (10.4, y_top), "$c_t$", ha="left")
    _label(
        ax,
        ((x_f + x_g) / 2, y_top + 1.05),
        "cell state $c$: the highway",
        fontsize=10,
        style="italic",
        color=_STATE,
    )

    # Input bus: h_{t-1} from the left, x_t from below, read by all four gates.
    _wire(ax, [(-1.0, y_bus), (x_o, y_bus)], arrow=False)
    _label(ax, (-1.1, y_bus), "$h_{t-1}$", ha="right")
    _wire(ax, [(0.7, -0.5), (0.7, y_bus)], arrow=False)
    _dot(ax, (0.7, y_bus))
    _label(ax, (0.7, -0.8), "$x_t$")
    gates = [
        (x_f, "$\\sigma$", _SIGMOID, "$f_t$"),
        (x_i, "$\\sigma$", _SIGMOID, "$i_t$"),
        (x_g, "$\\tanh$", _TANH, "$\\tilde{c}_t$"),
        (x_o, "$\\sigma$", _SIGMOID, "$o_t$"),
    ]
    for x, text, color, _ in gates:
        _dot(ax, (x, y_bus))
        _wire(ax, [(x, y_bus), (x, y_gate - _GATE_H / 2)])
        _box(ax, (x, y_gate), text, color=color)

    top = y_gate + _GATE_H / 2
    # Forget gate multiplies the old cell state.
    _wire(ax, [(x_f, top), (x_f, y_top - _NODE_R)])
    _label(ax, (x_f + 0.12, top + 0.45), "$f_t$", ha="left")
    # Input gate times candidate, added to the highway.
    _node(ax, (x_g, y_mid), "$\\times$")
    _wire(ax, [(x_i, top), (x_i, y_mid), (x_g - _NODE_R, y_mid)])
    _label(ax, (x_i - 0.12, top + 0.45), "$i_t$", ha="right")
    _wire(ax, [(x_g, top), (x_g, y_mid - _NODE_R)])
    _label(ax, (x_g + 0.12, top + 0.3), "$\\tilde{c}_t$", ha="left")
    _wire(ax, [(x_g, y_mid + _NODE_R), (x_g, y_top - _NODE_R)])
    # Output: o_t * tanh(c_t) is the new hidden state.
    _dot(ax, (x_out, y_top))
    _node(ax, (x_out, y_mid), "tanh", radius=0.38, fontsize=9)
    _wire(ax, [(x_out, y_top), (x_out, y_mid + 0.38)])
    _node(ax, (x_out, y_gate), "$\\times$")
    _wire(ax, [(x_out, y_mid - 0.38), (x_out, y_gate + _NODE_R)])
    _wire(ax, [(x_o + _GATE_W / 2, y_gate), (x_out - _NODE_R, y_gate)])
    _label(ax, ((x_o + x_out) / 2 + 0.2, y_gate + 0.3), "$o_t$")
    _wire(ax, [(x_out, y_gate - _NODE_R), (x_out, y_bus), (10.3, y_bus)])
    _label(ax, (10.4, y_bus), "$h_t$", ha="left")

    _label(
        ax,
        (4.6, -1.45),
        "$f$: forget gate    $i$: input gate    $\\tilde{c}$: candidate    $o$: output gate",
        fontsize=11,
    )
    _label(
        ax,
        (4.6, -2.0),
        "boxes: layers with weights, reading $[h_{t-1}, x_t]$    circles: element-wise",
        fontsize=10,
        style="italic",
    )
    return _finish(ax, (-2.3, 11.3), (-2.3, 6.4))


def draw_gru_cell(ax=None):
    """Draw a GRU cell: the update gate z, the reset gate r and the candidate.

    The state runs along the top. The update gate keeps a share `z_t` of the old state
    and fills the rest with the candidate, `h_t = z_t * h_{t-1} + (1 - z_t) * ~h_t`
    (Keras's convention). The reset gate `r_t` decides how much of the old state the
    candidate may read: `~h_t = tanh(W x_t + r_t * (U h_{t-1}) + b)`.

    Args:
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram.

    Example:
    >>> from course_lib.diagrams import draw_gru_cell
    >>> ax = draw_gru_cell()

    Introduced in Chapter 5 (GRU).
    """
    ax = _new_axes(ax, (9.0, 6.0))
    y_top, y_gate, y_mid, y_bus = 5.0, 2.4, 3.7, 1.1
    x_z, x_r, x_n, x_c = 3.0, 4.9, 5.1, 6.9
    x_down = 0.4  # where the old state drops to the gates
    _cell_background(ax, -0.1, 0.45, 9.3, 5.6)

    # The state line along the top: h_{t-1} -> (x z_t) -> (+) -> h_t.
    _wire(ax, [(-1.0, y_top), (x_z - _NODE_R, y_top)], arrow=False, color=_STATE, lw=3)
    _wire(ax, [(x_z + _NODE_R, y_top), (x_c - _NODE_R, y_top)], arrow=False, color=_STATE, lw=3)
    _wire(ax, [(x_c + _NODE_R, y_top), (10.3, y_top)], color=_STATE, lw=3)
    _node(ax, (x_z, y_top), "$\\times$")
    _node(ax, (x_c, y_top), "$+$")
    _label(ax, (-1.1, y_top), "$h_{t-1}$", ha="right")
    _label(ax, (10.4, y_top), "$h_t$", ha="left")

    # Input bus: the old state drops down, x_t comes from below; all three layers read it.
    _dot(ax, (x_down, y_top))
    _wire(ax, [(x_down, y_top), (x_down, y_bus), (x_c, y_bus)], arrow=False)
    _wire(ax, [(1.2, -0.5), (1.2, y_bus)], arrow=False)
    _dot(ax, (1.2, y_bus))
    _label(ax, (1.2, -0.8), "$x_t$")
    _label(ax, (x_down - 0.12, (y_top + y_bus) / 2), "$h_{t-1}$", ha="right", fontsize=11)
    for x, text, color in [
        (x_z, "$\\sigma$", _SIGMOID),
        (x_r, "$\\sigma$", _SIGMOID),
        (x_c, "$\\tanh$", _TANH),
    ]:
        _dot(ax, (x, y_bus))
        _wire(ax, [(x, y_bus), (x, y_gate - _GATE_H / 2)])
        _box(ax, (x, y_gate), text, color=color)

    top = y_gate + _GATE_H / 2
    # Reset gate: scales what the candidate reads from the old state.
    _wire(ax, [(x_r + _GATE_W / 2, y_gate), (x_c - _GATE_W / 2, y_gate)])
    _label(ax, ((x_r + x_c) / 2, y_gate + 0.3), "$r_t$")
    # Update gate: z_t keeps the old state, 1 - z_t lets the candidate in.
    _dot(ax, (x_z, y_mid))
    _wire(ax, [(x_z, top), (x_z, y_top - _NODE_R)])
    _label(ax, (x_z - 0.12, top + 0.45), "$z_t$", ha="right")
    _node(ax, (x_n, y_mid), "1$-$", radius=0.34, fontsize=10)
    _wire(ax, [(x_z, y_mid), (x_n - 0.34, y_mid)])
    _node(ax, (x_c, y_mid), "$\\times$")
    _wire(ax, [(x_n + 0.34, y_mid), (x_c - _NODE_R, y_mid)])
    _label(ax, ((x_n + x_c) / 2, y_mid + 0.3), "$1-z_t$", fontsize=11)
    _wire(ax, [(x_c, top), (x_c, y_mid - _NODE_R)])
    _label(ax, (x_c + 0.12, top + 0.3), "$\\tilde{h}_t$", ha="left")
    _wire(ax, [(x_c, y_mid + _NODE_R), (x_c, y_top - _NODE_R)])

    _label(
        ax,
        (4.6, -1.45),
        "$z$: update gate    $r$: reset gate    $\\tilde{h}$: candidate",
        fontsize=11,
    )
    _label(
        ax,
        (4.6, -2.0),
        "$h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot \\tilde{h}_t$",
        fontsize=11,
    )
    return _finish(ax, (-2.3, 11.3), (-2.3, 6.0))
