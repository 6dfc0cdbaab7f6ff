"""How a short label sequence lines up with many frames: the CTC alignment lattice.

Connectionist temporal classification (CTC) never says which frame carries which label.
It sums over every *alignment*: one symbol per frame, a label or the blank, which collapses
to the labels (merge repeats, then drop blanks). The alignments are the paths through a
lattice whose rows are the labels with a blank before, between and after them, and whose
columns are the frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.diagrams._shapes import (
    GRADIENT,
    MUTED,
    NODE,
    STATE,
    TRUTH,
    box,
    finish,
    label,
    new_axes,
    wire,
)
from course_lib.validation import check_int, describe

BLANK = "-"
"""The blank in an alignment string such as `"-33-3"` (it collapses to `"33"`)."""

BLANK_LABEL = "$\\epsilon$"
"""How the diagram writes the blank."""


def extended_labels(labels: str) -> list[str]:
    """The lattice's rows: `labels` with a blank before, between and after them (2 L + 1)."""
    rows = [BLANK]
    for symbol in labels:
        rows += [symbol, BLANK]
    return rows


def lattice_transitions(labels: str) -> list[tuple[int, int]]:
    """The moves allowed from one frame to the next, as pairs (row, next row).

    Stay on a row, move one row down, or skip a blank between two different labels
    (between two equal labels the blank is required: without it they would merge).
    """
    rows = extended_labels(labels)
    moves = []
    for s in range(len(rows)):
        moves.append((s, s))
        if s + 1 < len(rows):
            moves.append((s, s + 1))
        if s + 2 < len(rows) and rows[s + 2] != BLANK and rows[s + 2] != rows[s]:
            moves.append((s, s + 2))
    return moves


def lattice_nodes(labels: str, frames: int) -> np.ndarray:
    """Which lattice nodes lie on at least one complete alignment.

    Returns:
        A boolean array of shape `(2 L + 1, frames)`: True where a path that starts in one of
        the first two rows at frame 1 and ends in one of the last two rows at the last frame
        can pass.
    """
    rows = len(extended_labels(labels))
    moves = lattice_transitions(labels)
    forward = np.zeros((rows, frames), dtype=bool)  # (S, T): reachable from the start
    forward[: min(2, rows), 0] = True
    for t in range(1, frames):
        for s, s_next in moves:
            forward[s_next, t] |= forward[s, t - 1]
    backward = np.zeros((rows, frames), dtype=bool)  # (S, T): can still reach the end
    backward[max(0, rows - 2) :, frames - 1] = True
    for t in range(frames - 2, -1, -1):
        for s, s_next in moves:
            backward[s, t] |= backward[s_next, t + 1]
    return forward & backward


def minimum_frames(labels: str) -> int:
    """The fewest frames that can carry `labels`: one per label, one per blank between repeats."""
    repeats = sum(a == b for a, b in zip(labels[:-1], labels[1:], strict=True))
    return len(labels) + repeats


def alignment_rows(alignment: str, labels: str) -> list[int]:
    """The lattice row of every frame of `alignment` (a string such as `"-33-3"`).

    Raises:
        ValueError: if `alignment` does not collapse to `labels`.
    """
    rows, position, previous = [], -1, BLANK  # position: index of the last label emitted
    for symbol in alignment:
        if symbol == BLANK:
            rows.append(2 * position + 2)
        else:
            if symbol != previous:
                position += 1
                if position >= len(labels) or labels[position] != symbol:
                    break
            rows.append(2 * position + 1)
        previous = symbol
    if len(rows) != len(alignment) or position != len(labels) - 1:
        raise ValueError(
            f"`path` must be an alignment that collapses to {labels!r} (merge repeats, "
            f"then drop the blank {BLANK!r}); got {alignment!r}."
        )
    return rows


def draw_ctc_lattice(
    labels: str = "33",
    frames: int = 6,
    path: str | None = None,
    ax: Any = None,
) -> Any:
    """Draw the CTC alignment lattice of `labels` over `frames` frames.

    One row per symbol of the extended sequence (the blank, written epsilon, before,
    between and after the labels; its header is a box), one column per frame. A dot is a node that some complete
    alignment passes through (grey rings are nodes no alignment can use); a thin arrow is
    an allowed move to the next frame: stay, step down one row, or skip the blank between
    two different labels. CTC's loss adds up the probabilities of all these paths.
    `path`, an alignment string with `-` for the blank (`"-3-33-"`), is drawn bold.

    Args:
        labels: the label sequence, 1 to 7 characters other than `-`. Defaults to `"33"`.
        frames: number of frames, from the fewest that can carry the labels (one per
            label, plus one per pair of equal neighbours) to 24. Defaults to 6.
        path: one alignment to highlight, `frames` characters long, that collapses to
            `labels`. Defaults to None (no path).
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram. The row headers have the gid `"row"`, the usable
        nodes `"node"`, the others `"unusable"`, the allowed moves `"move"` and the arrows
        of `path` `"path"`.

    Raises:
        ValueError: if `labels`, `frames`, `path` or `ax` is not as described.

    Example:
    >>> from course_lib.diagrams import draw_ctc_lattice
    >>> ax = draw_ctc_lattice("33", frames=6, path="-3-33-")

    Introduced in Chapter 10a (Listening to digits).
    """
    if not isinstance(labels, str) or not 1 <= len(labels) <= 7 or BLANK in labels:
        raise ValueError(
            f"`labels` must be a string of 1 to 7 labels without the blank {BLANK!r}, such as "
            f"'33' or '4072'; got {describe(labels)}."
        )
    fewest = minimum_frames(labels)
    frames = check_int(frames, "frames", minimum=fewest, maximum=24)
    rows = extended_labels(labels)
    path_rows = None
    if path is not None:
        if not isinstance(path, str) or len(path) != frames:
            raise ValueError(
                f"`path` must be a string of `frames` = {frames} symbols; got {describe(path)}."
            )
        path_rows = alignment_rows(path, labels)
    ax = new_axes(ax, figsize=(0.55 * frames + 1.6, 0.5 * len(rows) + 1.0))

    usable = lattice_nodes(labels, frames)  # (S, T)
    step_x, step_y = 1.0, 0.8

    def xy(s: int, t: int) -> tuple[float, float]:
        return t * step_x, -s * step_y

    for t in range(frames - 1):
        for s, s_next in lattice_transitions(labels):
            if usable[s, t] and usable[s_next, t + 1]:
                (x0, y0), (x1, y1) = xy(s, t), xy(s_next, t + 1)
                shorten = 0.16 / np.hypot(x1 - x0, y1 - y0)
                start = (x0 + (x1 - x0) * shorten, y0 + (y1 - y0) * shorten)
                end = (x1 - (x1 - x0) * shorten, y1 - (y1 - y0) * shorten)
                wire(ax, [start, end], color=MUTED, lw=0.6, gid="move")
    if path_rows is not None:
        for t in range(frames - 1):
            (x0, y0), (x1, y1) = xy(path_rows[t], t), xy(path_rows[t + 1], t + 1)
            shorten = 0.16 / np.hypot(x1 - x0, y1 - y0)
            start = (x0 + (x1 - x0) * shorten, y0 + (y1 - y0) * shorten)
            end = (x1 - (x1 - x0) * shorten, y1 - (y1 - y0) * shorten)
            wire(ax, [start, end], color=GRADIENT, lw=2.4, gid="path")
    for s in range(len(rows)):
        for t in range(frames):
            x, y = xy(s, t)
            on_path = path_rows is not None and path_rows[t] == s
            if usable[s, t]:
                ax.plot(x, y, "o", ms=8 if on_path else 6, color=GRADIENT if on_path else STATE,
                        zorder=3, gid="node")  # fmt: skip
            else:
                ax.plot(x, y, "o", ms=6, markerfacecolor="white", markeredgecolor=MUTED,
                        zorder=3, gid="unusable")  # fmt: skip
    for s, symbol in enumerate(rows):  # the row headers: the extended label sequence
        text, color = (BLANK_LABEL, NODE) if symbol == BLANK else (symbol, TRUTH)
        box(ax, (-0.8, -s * step_y), text, width=0.6, height=0.6, color=color, fontsize=12,
            gid="row")  # fmt: skip
    for t in range(frames):
        label(ax, (t * step_x, 0.65), str(t + 1), fontsize=9, color=MUTED)
    label(ax, (-0.8, 0.65), "frame", fontsize=9, color=MUTED, ha="center")
    if path is not None:
        for t, symbol in enumerate(path):
            text = BLANK_LABEL if symbol == BLANK else symbol
            label(ax, (t * step_x, -(len(rows) - 1) * step_y - 0.7), text, fontsize=11,
                  color=GRADIENT)  # fmt: skip
    bottom = -(len(rows) - 1) * step_y - (1.1 if path is not None else 0.5)
    return finish(ax, (-1.3, (frames - 1) * step_x + 0.5), (bottom, 1.0))


__all__ = ["draw_ctc_lattice"]
