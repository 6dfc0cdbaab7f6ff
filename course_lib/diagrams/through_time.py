"""Diagrams of how a recurrent network's steps are computed, forwards and backwards.

- `draw_bptt`: backpropagation through time, the unrolled chain with its gradients;
- `draw_stream_windows`: how `course_lib.batching.stream_windows` lays a long text out
  for a stateful layer, the state carried from batch to batch;
- `draw_blocked_scan`: the blocked scan of `course_lib.mingru.blocked_scan`, its two
  sequential passes and its fix-up.

The stream and scan diagrams ask the library for their layout (`stream_windows`,
`scan_blocks`), so they draw what the code does.

Introduced in Chapter 2 (Training through time); the stream layout in Chapter 7b
(Batching and long texts), the blocked scan in Chapter 9a (From gates to linear
recurrences).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.diagrams._shapes import (
    GRADIENT,
    INK,
    INPUT,
    MUTED,
    OUTPUT,
    STATE,
    STREAMS,
    TANH,
    box,
    dot,
    finish,
    label,
    new_axes,
    wire,
)
from course_lib.validation import check_int

__all__ = ["draw_blocked_scan", "draw_bptt", "draw_stream_windows"]


def draw_bptt(timesteps: int = 4, ax: Any = None) -> Any:
    """Draw backpropagation through time: the unrolled RNN, its loss and its gradients.

    The forward pass (solid arrows) runs the chain `h_0 -> h_1 -> ... -> h_T` and computes
    the loss `L` from the last state. The backward pass (dashed arrows, in the gradient
    colour) starts at `L` and goes back one step at a time, through one Jacobian factor
    `dh_k/dh_{k-1} = diag(1 - h_k^2) W_h` per step. Every step also adds its own term
    `delta_t h_{t-1}^T` to the gradient of the shared weights `W_h`.

    Args:
        timesteps: number of steps to draw, 3 to 8. Defaults to 4.
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram. Its forward arrows have the gid `"forward"`, the
        backward ones `"gradient"`.

    Raises:
        ValueError: if `timesteps` is not an integer in [3, 8], or `ax` is not an Axes.

    Example:
    >>> from course_lib.diagrams import draw_bptt
    >>> ax = draw_bptt(timesteps=3)

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    timesteps = check_int(timesteps, "timesteps", minimum=3, maximum=8)
    ax = new_axes(ax, (2.1 + 1.55 * (timesteps + 1), 5.6))
    step, half_w, half_h = 3.0, 0.7, 0.5
    xs = step * np.arange(timesteps)  # centres of the cells
    x_loss = xs[-1] + step
    y_fwd, y_bwd = 0.22, -0.22  # the forward arrows above the middle, the backward below
    forward = {"gid": "forward"}
    backward = {"color": GRADIENT, "linestyle": (0, (4, 2.5)), "gid": "gradient"}

    label(ax, (xs[0] - 2.05, y_fwd), "$h_0$")
    wire(ax, [(xs[0] - 1.7, y_fwd), (xs[0] - half_w, y_fwd)], **forward)
    for t, x in enumerate(xs, start=1):
        box(ax, (x, 0.0), "$\\tanh$", width=2 * half_w, height=2 * half_h, fontsize=13)
        wire(ax, [(x, -1.55), (x, -half_h)], **forward)
        label(ax, (x, -1.85), f"$x_{{{t}}}$")
        # This step's share of the gradient of the shared weights.
        wire(ax, [(x, half_h), (x, 1.75)], **backward)
        label(
            ax, (x + 0.12, 1.12), f"$\\delta_{{{t}}} h_{{{t - 1}}}^\\top$", ha="left", fontsize=11
        )
        right = x_loss - 0.8 if t == timesteps else xs[t] - half_w
        mid = (x + half_w + right) / 2
        wire(ax, [(x + half_w, y_fwd), (right, y_fwd)], **forward)
        wire(ax, [(right, y_bwd), (x + half_w, y_bwd)], **backward)
        label(ax, (mid, y_fwd + 0.32), f"$h_{{{t}}}$", fontsize=12)
        if t == timesteps:
            text = f"$\\partial L / \\partial h_{{{t}}}$"
        else:
            text = f"$\\partial h_{{{t + 1}}} / \\partial h_{{{t}}}$"
        label(ax, (mid, y_bwd - 0.4), text, fontsize=11, color=GRADIENT)

    box(ax, (x_loss, 0.0), "loss $L$", width=1.6, height=1.0, color=OUTPUT, fontsize=12)
    label(ax, (x_loss, -0.8), "(Dense, then\nthe error)", fontsize=9, color=MUTED, va="top")
    # The gradient of the shared weights: one term per step, summed.
    x0, x1 = xs[0] - 0.9, xs[-1] + 0.9
    box(
        ax,
        ((x0 + x1) / 2, 2.2),
        "$\\partial L / \\partial W_h = \\Sigma_t\\, \\delta_t\\, h_{t-1}^\\top$"
        "   (the weights are shared: one term per step)",
        width=x1 - x0,
        height=0.8,
        color="white",
        edgecolor=GRADIENT,
        fontsize=11,
    )

    # Legend and the Jacobian factor, under the chain.
    y = -2.75
    wire(ax, [(xs[0] - 1.7, y), (xs[0] - 0.6, y)], arrow=False)
    label(ax, (xs[0] - 0.45, y), "forward pass: states", fontsize=11, ha="left")
    xm = xs[0] + 0.55 * (x_loss - xs[0])
    wire(ax, [(xm - 1.1, y), (xm, y)], arrow=False, color=GRADIENT, linestyle=(0, (4, 2.5)))
    label(ax, (xm + 0.15, y), "backward pass: gradients", fontsize=11, ha="left")
    label(
        ax,
        ((xs[0] - 1.7 + x_loss + 0.8) / 2, -3.45),
        "one Jacobian factor per step back:  "
        "$\\partial h_k / \\partial h_{k-1} = \\mathrm{diag}(1 - h_k^2)\\, W_h$",
        fontsize=12,
    )
    return finish(ax, (xs[0] - 2.5, x_loss + 1.1), (-3.9, 2.85))


def draw_stream_windows(streams: int = 3, windows: int = 4, window: int = 4, ax: Any = None) -> Any:
    """Draw the stream layout of a stateful layer: row b of batch k+1 continues row b of batch k.

    The layout is the one `course_lib.batching.stream_windows` returns for a text of
    `streams * windows * window + 1` ids. Top: the text, cut into `streams` contiguous
    parts (the streams, one colour each), each cut into `windows` windows, every window
    marked with the batch it goes to. Bottom: the batches, one column each; row `b` of
    every batch is the next window of stream `b`, and the state a `stateful=True` layer
    ends a batch with starts the same row of the next batch. The gradient stops at the
    start of every window (truncated backpropagation through time).

    Args:
        streams: number of streams, the batch size, 1 to 6. Defaults to 3.
        windows: windows per stream, the number of batches, 1 to 6. Defaults to 4.
        window: ids per window, 1 to 99. Defaults to 4.
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram. The window boxes of the batches have the gid
        `"window"`, the arrows carrying the state `"state"`.

    Raises:
        ValueError: if an argument is not an integer in its range, or `ax` is not an Axes.

    Example:
    >>> from course_lib.diagrams import draw_stream_windows
    >>> ax = draw_stream_windows(streams=2, windows=3, window=5)

    Introduced in Chapter 7b (Batching and long texts: bucketing, stateful layers,
    truncated BPTT).
    """
    from course_lib.batching import stream_windows

    streams = check_int(streams, "streams", minimum=1, maximum=6)
    windows = check_int(windows, "windows", minimum=1, maximum=6)
    window = check_int(window, "window", minimum=1, maximum=99)
    ids = np.arange(streams * windows * window + 1)
    X, _ = stream_windows(ids, streams, window)  # (windows * streams, window)
    ax = new_axes(ax, (1.0 + 2.1 * max(windows, 3), 2.2 + 0.75 * streams))

    # The text strip: one cell per window, in text order, coloured by stream.
    col, row = 2.6, 0.9  # distance between two batch columns, two batch rows
    width = max(col * (windows - 1) + 1.9, 1.7 * streams)  # room for the streams' labels
    cell = width / (streams * windows)
    y_strip = 1.55
    label(ax, (-0.95 - 0.25, y_strip), "text", fontsize=11, ha="right")
    for s in range(streams):
        for k in range(windows):
            x = -0.95 + (s * windows + k + 0.5) * cell
            box(ax, (x, y_strip), str(k), width=cell, height=0.55, color=STREAMS[s], fontsize=10)
        x_mid = -0.95 + (s + 0.5) * windows * cell
        label(ax, (x_mid, y_strip + 0.55), f"stream {s}", fontsize=10)
    label(
        ax,
        (-0.95, y_strip - 0.6),
        "each window of the text is marked with the batch it goes to",
        fontsize=10,
        color=MUTED,
        style="italic",
        ha="left",
    )

    # The batches: column k is batch k, row b its row b = window k of stream b.
    y_top = y_strip - 1.55
    for k in range(windows):
        x = k * col
        label(ax, (x, y_top + 0.55), f"batch {k}", fontsize=11)
        for b in range(streams):
            y = y_top - b * row
            first, last = X[k * streams + b, 0], X[k * streams + b, -1]
            text = f"ids {first}\u2013{last}" if window > 1 else f"id {first}"
            box(
                ax, (x, y), text, width=1.9, height=0.6, color=STREAMS[b], fontsize=10, gid="window"
            )
            if k + 1 < windows:
                wire(ax, [(x + 0.95, y), (x + col - 0.95, y)], color=STATE, lw=2, gid="state")
            if k == 0:
                label(ax, (x - 1.2, y), f"row {b}\n(stream {b})", fontsize=10.5, ha="right")
    y_note = y_top - (streams - 1) * row - 0.75
    note = "$\\rightarrow$  the state $h$ that ends a row starts the same row of the next batch"
    label(ax, (-0.95, y_note), note, fontsize=10, ha="left", color=STATE)
    label(
        ax,
        (-0.95, y_note - 0.45),
        "the gradient stops at the start of every window; targets: the same ids, one later",
        fontsize=10,
        ha="left",
        color=MUTED,
    )
    left = -0.95 - 1.6
    return finish(ax, (left, max(width - 0.95, 9.0) + 0.3), (y_note - 0.75, y_strip + 0.9))


def draw_blocked_scan(timesteps: int = 16, ax: Any = None) -> Any:
    """Draw the blocked scan of `h_t = a_t h_{t-1} + b_t`: two short passes and a fix-up.

    The steps are cut the way `course_lib.mingru.blocked_scan` cuts them
    (`course_lib.mingru.scan_blocks`): `n` blocks of `C` steps, the last one padded with
    identity steps. Pass 1 runs the recurrence inside every block at once, from a zero
    state (`C` sequential steps, each on all blocks); pass 2 carries the state from block
    end to block end (`n` steps); the fix-up adds to every step its block's incoming
    state times the product `P_t` of `a` since the block began (one step, all at once).
    The numbers in the squares say in which sequential step a value is computed.

    Args:
        timesteps: number of steps T to draw, 12 to 32 (3 or 4 blocks). Defaults to 16.
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram. The squares of pass 1 have the gid `"pass 1"`,
        those of pass 2 `"pass 2"`, of the fix-up `"fix-up"`, and padded steps `"padding"`.

    Raises:
        ValueError: if `timesteps` is not an integer in [12, 32], or `ax` is not an Axes.

    Example:
    >>> from course_lib.diagrams import draw_blocked_scan
    >>> ax = draw_blocked_scan(timesteps=12)

    Introduced in Chapter 9a (From gates to linear recurrences).
    """
    from course_lib.mingru import scan_blocks

    timesteps = check_int(timesteps, "timesteps", minimum=12, maximum=32)
    block, n_blocks = scan_blocks(timesteps)
    size, pitch, gap = 0.7, 0.98, 1.0  # a step's square, its distance to the next, between blocks
    block_width = (block - 1) * pitch + size
    x_of = [k * (block_width + gap) + j * pitch for k in range(n_blocks) for j in range(block)]
    half = size / 2
    right = x_of[-1] + half
    x_title = x_of[0] - half - 1.0  # the row titles end here
    ax = new_axes(ax, (0.5 * (right - x_title + 2.6), 4.4))
    y1, y2, y3 = 0.0, -1.7, -3.6  # pass 1, pass 2, fix-up

    # Pass 1: inside all blocks at once, each from a zero state.
    for k in range(n_blocks):
        start = k * block
        label(ax, (x_of[start] - half - 0.62, y1), "0", fontsize=10, color=MUTED)
        wire(ax, [(x_of[start] - half - 0.45, y1), (x_of[start] - half, y1)], lw=1.0, color=MUTED)
        for j in range(block):
            t = start + j
            padded = t >= timesteps
            box(
                ax,
                (x_of[t], y1),
                str(j + 1),
                width=size,
                height=size,
                fontsize=10,
                color="white" if padded else INPUT,
                edgecolor=MUTED if padded else INK,
                linestyle="--" if padded else "-",
                gid="padding" if padded else "pass 1",
            )
            if j + 1 < block:
                wire(ax, [(x_of[t] + half, y1), (x_of[t + 1] - half, y1)], lw=1.0)
        middle = (x_of[start] + x_of[start + block - 1]) / 2
        label(ax, (middle, y1 + 0.68), f"block {k + 1}", fontsize=10, color=MUTED)
    label(ax, (x_title, y1), f"pass 1\n{block} steps", fontsize=11, ha="right")

    # Pass 2: the state from block end to block end, from 0.
    ends = [x_of[(k + 1) * block - 1] for k in range(n_blocks)]
    label(ax, (x_of[0] - half - 0.62, y2), "0", fontsize=10, color=MUTED)
    wire(ax, [(x_of[0] - half - 0.45, y2), (ends[0] - half, y2)], lw=1.0, color=MUTED)
    for k, x in enumerate(ends):
        wire(ax, [(x, y1 - half), (x, y2 + half)], lw=1.0, color=MUTED)
        box(ax, (x, y2), str(k + 1), width=size, height=size, color=TANH, fontsize=10, gid="pass 2")
        if k + 1 < n_blocks:
            wire(ax, [(x + half, y2), (ends[k + 1] - half, y2)], color=STATE, lw=2)
    label(ax, (x_title, y2), f"pass 2\n{n_blocks} steps", fontsize=11, ha="right")

    # Fix-up: every step of block k adds the state that ends block k - 1, times P_t.
    y_bar = y3 + half + 0.38
    for k in range(n_blocks):
        xs = x_of[k * block : (k + 1) * block]
        if k:
            x_turn = xs[0] - half - gap / 2
            dot(ax, (x_turn, y2), color=STATE)
            last = x_of[min((k + 1) * block, timesteps) - 1]  # the last real step
            wire(
                ax,
                [(x_turn, y2), (x_turn, y_bar), (last, y_bar)],
                arrow=False,
                color=STATE,
                lw=1.4,
                halo=True,
            )
        for j, x in enumerate(xs):
            t = k * block + j
            if k and t < timesteps:
                wire(ax, [(x, y_bar), (x, y3 + half)], color=STATE, lw=1.0, gid="incoming")
            if t >= timesteps:
                box(
                    ax,
                    (x, y3),
                    "",
                    width=size,
                    height=size,
                    color="white",
                    edgecolor=MUTED,
                    linestyle="--",
                    gid="padding",
                )
            else:
                box(
                    ax,
                    (x, y3),
                    "1",
                    width=size,
                    height=size,
                    color=OUTPUT,
                    fontsize=10,
                    gid="fix-up",
                )
    label(ax, (x_title, y3), "fix-up\n1 step", fontsize=11, ha="right")

    left = x_title - 2.2
    padding = n_blocks * block - timesteps
    lines = [
        f"T = {timesteps} steps in {n_blocks} blocks of C = {block}: {block} + {n_blocks} ="
        f" {block + n_blocks} sequential steps and a fix-up,",
        f"instead of {timesteps}. The number in a square says in which sequential step it is"
        " computed.",
        "Pass 1: inside every block at once, each from 0 ($\\tilde h_t$). Pass 2: from block"
        " end to block end.",
        "Fix-up: $h_t = \\tilde h_t + P_t\\, h^{\\mathrm{in}}$, where $h^{\\mathrm{in}}$ ends"
        " the block before and $P_t$",
        "is the product of $a$ since the block began.",
    ]
    if padding:
        lines.insert(2, f"The last block is padded with {padding} identity steps (dashed).")
    for i, line in enumerate(lines):
        label(ax, (left, y3 - 1.0 - 0.52 * i), line, fontsize=10.5, ha="left")
    return finish(ax, (left, right + 0.4), (y3 - 1.0 - 0.52 * len(lines), y1 + 1.1))
