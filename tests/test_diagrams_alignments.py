"""Tests of `course_lib.diagrams.alignments`: the CTC lattice counts what CTC counts.

The lattice's paths are CTC's alignments, so the number of complete paths through the
drawn nodes and moves must equal the number of frame strings, enumerated by brute force,
that collapse to the labels (merge repeats, then drop blanks).
"""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from course_lib import diagrams  # noqa: E402
from course_lib.diagrams.alignments import (  # noqa: E402
    BLANK,
    alignment_rows,
    extended_labels,
    lattice_nodes,
    lattice_transitions,
    minimum_frames,
)


def collapse(alignment: str) -> str:
    merged = [s for i, s in enumerate(alignment) if i == 0 or s != alignment[i - 1]]
    return "".join(s for s in merged if s != BLANK)


def brute_force_alignments(labels: str, frames: int) -> list[str]:
    alphabet = sorted(set(labels)) + [BLANK]
    return [
        "".join(a)
        for a in itertools.product(alphabet, repeat=frames)
        if collapse("".join(a)) == labels
    ]


def lattice_paths(labels: str, frames: int) -> int:
    rows = len(extended_labels(labels))
    count = np.zeros(rows, dtype=int)  # (S,): paths reaching each row at this frame
    count[: min(2, rows)] = 1
    for _ in range(frames - 1):
        following = np.zeros(rows, dtype=int)
        for s, s_next in lattice_transitions(labels):
            following[s_next] += count[s]
        count = following
    return int(count[max(0, rows - 2) :].sum())


@pytest.mark.parametrize(
    "labels, frames", [("3", 1), ("3", 4), ("33", 3), ("33", 5), ("12", 4), ("121", 5), ("112", 6)]
)
def test_the_lattice_holds_exactly_the_alignments_that_collapse_to_the_labels(labels, frames):
    alignments = brute_force_alignments(labels, frames)
    assert lattice_paths(labels, frames) == len(alignments) > 0
    usable = lattice_nodes(labels, frames)  # (S, T)
    used = np.zeros_like(usable)
    for alignment in alignments:
        rows = alignment_rows(alignment, labels)
        used[rows, np.arange(frames)] = True
    np.testing.assert_array_equal(usable, used)


def test_equal_neighbours_need_a_blank_between_them():
    assert minimum_frames("33") == 3 and minimum_frames("34") == 2 and minimum_frames("3303") == 5
    assert (0, 2) not in lattice_transitions("33") and (1, 3) not in lattice_transitions("33")
    assert (1, 3) in lattice_transitions("34")
    for labels in ("33", "34", "3303", "1"):
        assert brute_force_alignments(labels, minimum_frames(labels))
        assert not brute_force_alignments(labels, minimum_frames(labels) - 1)


def test_alignment_rows_refuses_a_path_of_other_labels():
    assert alignment_rows("-3-33-", "33") == [0, 1, 2, 3, 3, 4]
    for wrong in ("-3333-", "-3-34-", "-3----"):
        with pytest.raises(ValueError, match="`path` must be an alignment that collapses to '33'"):
            alignment_rows(wrong, "33")


def _artists(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_the_drawing_shows_every_usable_node_move_and_the_path():
    ax = diagrams.draw_ctc_lattice("33", frames=6, path="-3-33-")
    usable = lattice_nodes("33", 6)
    nodes = [a for a in _artists(ax, "node") if isinstance(a, Line2D)]
    assert len(nodes) == usable.sum()
    assert len(_artists(ax, "unusable")) == usable.size - usable.sum()
    moves = sum(
        usable[s, t] and usable[s_next, t + 1]
        for t in range(5)
        for s, s_next in lattice_transitions("33")
    )
    assert len([a for a in _artists(ax, "move") if isinstance(a, FancyArrowPatch)]) == moves
    assert len([a for a in _artists(ax, "path") if isinstance(a, FancyArrowPatch)]) == 5
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("$\\epsilon$") == 3 + 3  # three blank rows, three blank frames of the path
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"labels": ""}, "`labels` must be a string of 1 to 7 labels"),
        ({"labels": "3-3"}, "`labels` must be a string of 1 to 7 labels"),
        ({"labels": 33}, "`labels` must be a string"),
        ({"labels": "33", "frames": 2}, "`frames`"),
        ({"labels": "3", "frames": 25}, "`frames`"),
        ({"labels": "33", "frames": 4, "path": "-33-"}, "`path` must be an alignment"),
        ({"labels": "33", "frames": 4, "path": "-3-3-"}, "`path` must be a string of `frames`"),
        ({"labels": "33", "frames": 4, "ax": "axes"}, "`ax` must be a matplotlib Axes"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diagrams.draw_ctc_lattice(**kwargs)
    plt.close("all")
