"""Diagrams of recurrent cells: one step of a SimpleRNN, the unrolled chain, LSTM and GRU.

The drawings follow Keras's conventions: an LSTM's gates are i, f, c (candidate), o and
a GRU keeps the old state in proportion `z`, `h_t = z_t * h_{t-1} + (1 - z_t) * candidate`.
Boxes are layers with weights (a matrix product then an activation); circles are
element-wise operations (multiply, add, `1 -`, `tanh`).

Introduced in Chapter 1 (Sequences and the hidden state); the LSTM and GRU diagrams in
Chapters 4 (LSTM) and 5 (GRU).
"""

from __future__ import annotations

import numpy as np

from course_lib.diagrams._shapes import (
    GATE_H,
    GATE_W,
    NODE_R,
    SIGMOID,
    STATE,
    TANH,
    WEIGHT,
    box,
    dot,
    finish,
    label,
    new_axes,
    node,
    panel,
    wire,
)
from course_lib.validation import check_int

__all__ = ["draw_gru_cell", "draw_lstm_cell", "draw_rnn_cell", "draw_unrolled_rnn"]


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
    ax = new_axes(ax, (7.0, 4.2))
    box(
        ax,
        (0.0, 0.0),
        "$\\tanh$",
        width=2.2,
        height=1.2,
        color=TANH,
        fontsize=16,
    )
    # Input from below, previous state from the left, new state right and up.
    wire(ax, [(0.0, -2.0), (0.0, -0.6)])
    label(ax, (0.0, -2.35), "input $x_t$")
    label(ax, (0.15, -1.3), "$W_x$", color=WEIGHT, ha="left")
    wire(ax, [(-3.6, 0.0), (-1.1, 0.0)])
    label(ax, (-3.7, 0.0), "$h_{t-1}$", ha="right")
    label(ax, (-2.35, 0.3), "$W_h$", color=WEIGHT)
    wire(ax, [(1.1, 0.0), (3.6, 0.0)])
    label(ax, (3.7, 0.0), "$h_t$", ha="left")
    label(ax, (2.55, -0.32), "to step $t+1$", fontsize=10)
    dot(ax, (1.6, 0.0))
    wire(ax, [(1.6, 0.0), (1.6, 1.7)])
    label(ax, (1.6, 2.05), "output $h_t$")
    label(
        ax,
        (0.0, -3.1),
        "$h_t = \\tanh(W_x\\, x_t + W_h\\, h_{t-1} + b)$",
        fontsize=13,
    )
    return finish(ax, (-5.0, 5.0), (-3.5, 2.5))


def _folded_rnn(ax, x):
    """The folded RNN (a cell with a loop) centred at horizontal position `x`."""
    box(ax, (x, 0.0), "RNN", width=1.4, height=1.0, color=TANH, fontsize=12)
    wire(ax, [(x, -1.6), (x, -0.5)])
    label(ax, (x, -1.9), "$x_t$")
    wire(ax, [(x, 0.5), (x, 1.6)])
    label(ax, (x, 1.9), "$h_t$")
    # The loop: out of the right side, round the top, back into the left side.
    dot(ax, (x, 1.05))
    wire(
        ax,
        [(x, 1.05), (x + 1.1, 1.05), (x + 1.1, -0.9), (x - 1.1, -0.9), (x - 1.1, 0.0)],
        arrow=False,
    )
    wire(ax, [(x - 1.1, 0.0), (x - 0.7, 0.0)])
    label(ax, (x + 1.25, 0.05), "$W_h$", color=WEIGHT, ha="left")


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
    ax = new_axes(ax, (1.2 + 2.1 * (timesteps + (1.6 if folded else 0.0)), 3.6))
    if folded:
        _folded_rnn(ax, -4.6)
        label(ax, (-2.2, 0.0), "=", fontsize=22)
        left = -6.2
    xs = start + step * np.arange(timesteps) + 0.9  # centres of the cells
    # Initial state on the left.
    label(ax, (xs[0] - 1.95, 0.0), "$h_0$", ha="center")
    for t, x in enumerate(xs, start=1):
        box(ax, (x, 0.0), "$\\tanh$", width=1.4, height=1.0, color=TANH, fontsize=13)
        wire(ax, [(x, -1.6), (x, -0.5)])
        label(ax, (x, -1.9), f"$x_{{{t}}}$")
        label(ax, (x + 0.12, -1.05), "$W_x$", color=WEIGHT, ha="left", fontsize=11)
        wire(ax, [(x, 0.5), (x, 1.6)])
        label(ax, (x, 1.9), f"$h_{{{t}}}$")
        prev = xs[0] - 1.65 if t == 1 else xs[t - 2] + 0.7
        wire(ax, [(prev, 0.0), (x - 0.7, 0.0)])
        label(ax, ((prev + x - 0.7) / 2, 0.27), "$W_h$", color=WEIGHT, fontsize=11)
    right = xs[-1] + 1.2
    label(
        ax,
        ((xs[0] + xs[-1]) / 2, -2.65),
        "the same $W_x$, $W_h$ and $b$ at every step",
        fontsize=11,
        style="italic",
    )
    return finish(ax, (left, right), (-3.0, 2.3))


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
    ax = new_axes(ax, (9.0, 6.0))
    y_top, y_gate, y_mid, y_bus = 5.0, 2.4, 3.7, 1.1
    x_f, x_i, x_g, x_o, x_out = 2.0, 3.6, 5.1, 6.9, 8.4
    panel(ax, -0.1, 0.45, 9.3, 5.6)

    # Cell-state highway along the top.
    wire(ax, [(-1.0, y_top), (x_f - NODE_R, y_top)], arrow=False, color=STATE, lw=3)
    wire(ax, [(x_f + NODE_R, y_top), (x_g - NODE_R, y_top)], arrow=False, color=STATE, lw=3)
    wire(ax, [(x_g + NODE_R, y_top), (10.3, y_top)], color=STATE, lw=3)
    node(ax, (x_f, y_top), "$\\times$")
    node(ax, (x_g, y_top), "$+$")
    label(ax, (-1.1, y_top), "$c_{t-1}$", ha="right")
    label(ax, (10.4, y_top), "$c_t$", ha="left")
    label(
        ax,
        ((x_f + x_g) / 2, y_top + 1.05),
        "cell state $c$: the highway",
        fontsize=10,
        style="italic",
        color=STATE,
    )

    # Input bus: h_{t-1} from the left, x_t from below, read by all four gates.
    wire(ax, [(-1.0, y_bus), (x_o, y_bus)], arrow=False)
    label(ax, (-1.1, y_bus), "$h_{t-1}$", ha="right")
    wire(ax, [(0.7, -0.5), (0.7, y_bus)], arrow=False)
    dot(ax, (0.7, y_bus))
    label(ax, (0.7, -0.8), "$x_t$")
    gates = [
        (x_f, "$\\sigma$", SIGMOID, "$f_t$"),
        (x_i, "$\\sigma$", SIGMOID, "$i_t$"),
        (x_g, "$\\tanh$", TANH, "$\\tilde{c}_t$"),
        (x_o, "$\\sigma$", SIGMOID, "$o_t$"),
    ]
    for x, text, color, _ in gates:
        dot(ax, (x, y_bus))
        wire(ax, [(x, y_bus), (x, y_gate - GATE_H / 2)])
        box(ax, (x, y_gate), text, color=color)

    top = y_gate + GATE_H / 2
    # Forget gate multiplies the old cell state.
    wire(ax, [(x_f, top), (x_f, y_top - NODE_R)])
    label(ax, (x_f + 0.12, top + 0.45), "$f_t$", ha="left")
    # Input gate times candidate, added to the highway.
    node(ax, (x_g, y_mid), "$\\times$")
    wire(ax, [(x_i, top), (x_i, y_mid), (x_g - NODE_R, y_mid)])
    label(ax, (x_i - 0.12, top + 0.45), "$i_t$", ha="right")
    wire(ax, [(x_g, top), (x_g, y_mid - NODE_R)])
    label(ax, (x_g + 0.12, top + 0.3), "$\\tilde{c}_t$", ha="left")
    wire(ax, [(x_g, y_mid + NODE_R), (x_g, y_top - NODE_R)])
    # Output: o_t * tanh(c_t) is the new hidden state.
    dot(ax, (x_out, y_top))
    node(ax, (x_out, y_mid), "tanh", radius=0.38, fontsize=9)
    wire(ax, [(x_out, y_top), (x_out, y_mid + 0.38)])
    node(ax, (x_out, y_gate), "$\\times$")
    wire(ax, [(x_out, y_mid - 0.38), (x_out, y_gate + NODE_R)])
    wire(ax, [(x_o + GATE_W / 2, y_gate), (x_out - NODE_R, y_gate)])
    label(ax, ((x_o + x_out) / 2 + 0.2, y_gate + 0.3), "$o_t$")
    wire(ax, [(x_out, y_gate - NODE_R), (x_out, y_bus), (10.3, y_bus)])
    label(ax, (10.4, y_bus), "$h_t$", ha="left")

    label(
        ax,
        (4.6, -1.45),
        "$f$: forget gate    $i$: input gate    $\\tilde{c}$: candidate    $o$: output gate",
        fontsize=11,
    )
    label(
        ax,
        (4.6, -2.0),
        "boxes: layers with weights, reading $[h_{t-1}, x_t]$    circles: element-wise",
        fontsize=10,
        style="italic",
    )
    return finish(ax, (-2.3, 11.3), (-2.3, 6.4))


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
    ax = new_axes(ax, (9.0, 6.0))
    y_top, y_gate, y_mid, y_bus = 5.0, 2.4, 3.7, 1.1
    x_z, x_r, x_n, x_c = 3.0, 4.9, 5.1, 6.9
    x_down = 0.4  # where the old state drops to the gates
    panel(ax, -0.1, 0.45, 9.3, 5.6)

    # The state line along the top: h_{t-1} -> (x z_t) -> (+) -> h_t.
    wire(ax, [(-1.0, y_top), (x_z - NODE_R, y_top)], arrow=False, color=STATE, lw=3)
    wire(ax, [(x_z + NODE_R, y_top), (x_c - NODE_R, y_top)], arrow=False, color=STATE, lw=3)
    wire(ax, [(x_c + NODE_R, y_top), (10.3, y_top)], color=STATE, lw=3)
    node(ax, (x_z, y_top), "$\\times$")
    node(ax, (x_c, y_top), "$+$")
    label(ax, (-1.1, y_top), "$h_{t-1}$", ha="right")
    label(ax, (10.4, y_top), "$h_t$", ha="left")

    # Input bus: the old state drops down, x_t comes from below; all three layers read it.
    dot(ax, (x_down, y_top))
    wire(ax, [(x_down, y_top), (x_down, y_bus), (x_c, y_bus)], arrow=False)
    wire(ax, [(1.2, -0.5), (1.2, y_bus)], arrow=False)
    dot(ax, (1.2, y_bus))
    label(ax, (1.2, -0.8), "$x_t$")
    label(ax, (x_down - 0.12, (y_top + y_bus) / 2), "$h_{t-1}$", ha="right", fontsize=11)
    for x, text, color in [
        (x_z, "$\\sigma$", SIGMOID),
        (x_r, "$\\sigma$", SIGMOID),
        (x_c, "$\\tanh$", TANH),
    ]:
        dot(ax, (x, y_bus))
        wire(ax, [(x, y_bus), (x, y_gate - GATE_H / 2)])
        box(ax, (x, y_gate), text, color=color)

    top = y_gate + GATE_H / 2
    # Reset gate: scales what the candidate reads from the old state.
    wire(ax, [(x_r + GATE_W / 2, y_gate), (x_c - GATE_W / 2, y_gate)])
    label(ax, ((x_r + x_c) / 2, y_gate + 0.3), "$r_t$")
    # Update gate: z_t keeps the old state, 1 - z_t lets the candidate in.
    dot(ax, (x_z, y_mid))
    wire(ax, [(x_z, top), (x_z, y_top - NODE_R)])
    label(ax, (x_z - 0.12, top + 0.45), "$z_t$", ha="right")
    node(ax, (x_n, y_mid), "1$-$", radius=0.34, fontsize=10)
    wire(ax, [(x_z, y_mid), (x_n - 0.34, y_mid)])
    node(ax, (x_c, y_mid), "$\\times$")
    wire(ax, [(x_n + 0.34, y_mid), (x_c - NODE_R, y_mid)])
    label(ax, ((x_n + x_c) / 2, y_mid + 0.3), "$1-z_t$", fontsize=11)
    wire(ax, [(x_c, top), (x_c, y_mid - NODE_R)])
    label(ax, (x_c + 0.12, top + 0.3), "$\\tilde{h}_t$", ha="left")
    wire(ax, [(x_c, y_mid + NODE_R), (x_c, y_top - NODE_R)])

    label(
        ax,
        (4.6, -1.45),
        "$z$: update gate    $r$: reset gate    $\\tilde{h}$: candidate",
        fontsize=11,
    )
    label(
        ax,
        (4.6, -2.0),
        "$h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot \\tilde{h}_t$",
        fontsize=11,
    )
    return finish(ax, (-2.3, 11.3), (-2.3, 6.0))
