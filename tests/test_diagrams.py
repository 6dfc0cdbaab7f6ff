"""Tests of `course_lib.diagrams`: every diagram draws, carries its labels and renders.

The mechanism diagrams are checked for what they must show: their labels (the mathtext
source passed to `ax.text`), the number of arrows and boxes of each kind (the drawing
functions give them a `gid`), and for the stream and scan layouts, agreement with the
library functions that compute those layouts.
"""

import io
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

from course_lib import diagrams  # noqa: E402
from course_lib.batching import stream_windows  # noqa: E402
from course_lib.diagrams import alignments, cells, sequences, through_time  # noqa: E402

BOOK = Path(__file__).resolve().parents[1] / "book"

# Labels each diagram must show (mathtext source, as passed to `ax.text`).
EXPECTED_LABELS = {
    "draw_ctc_lattice": ["$\\epsilon$", "3", "frame", "1", "6"],
    "draw_rnn_cell": ["$x_t$", "$h_{t-1}$", "$h_t$", "$W_x$", "$W_h$", "$\\tanh$"],
    "draw_unrolled_rnn": ["$x_{1}$", "$x_{4}$", "$h_0$", "$h_{4}$", "$W_x$", "$W_h$", "same"],
    "draw_lstm_cell": [
        "$f_t$",
        "$i_t$",
        "$o_t$",
        "$\\tilde{c}_t$",
        "$c_{t-1}$",
        "$c_t$",
        "$h_{t-1}$",
        "$h_t$",
        "$x_t$",
        "cell state",
        "forget gate",
        "input gate",
        "output gate",
        "candidate",
    ],
    "draw_gru_cell": [
        "$z_t$",
        "$r_t$",
        "$\\tilde{h}_t$",
        "$1-z_t$",
        "$h_{t-1}$",
        "$h_t$",
        "$x_t$",
        "update gate",
        "reset gate",
        "candidate",
    ],
    "draw_bptt": [
        "$h_0$",
        "$x_{1}$",
        "$x_{4}$",
        "$h_{4}$",
        "loss $L$",
        "$\\partial L / \\partial h_{4}$",
        "$\\partial h_{2} / \\partial h_{1}$",
        "$\\partial h_{4} / \\partial h_{3}$",
        "$\\delta_{1} h_{0}^\\top$",
        "$\\partial L / \\partial W_h",
        "\\mathrm{diag}(1 - h_k^2)\\, W_h",
        "forward pass",
        "backward pass",
    ],
    "draw_rnn_taxonomy": [
        "one to one",
        "one to many",
        "many to one",
        "many to many, aligned",
        "many to many, encoder-decoder",
        "6a: linear autoregression",
        "6b: sampling",
        "2: the adding problem",
        "6c:",
        "6b: the next character",
        "8a:",
        "return_sequences=False",
        "return_sequences=True",
        "encoder",
        "decoder",
    ],
    "draw_teacher_forcing": [
        "Training: teacher forcing",
        "Inference: free running",
        "the true previous token",
        "its own previous prediction",
        "<start>",
        "<end>",
        "seven",
        "triple",
        "$h$",
        "target",
        "predicted",
        "a mistake, fed back",
    ],
    "draw_attention": [
        "seven",
        "$k_{1}$",
        "$k_{3}$",
        "score $e_{1}$",
        "softmax over the source words",
        "$a_{3}$",
        "context",
        "query $s_t$",
        "$s_{t-1}$",
        "$y_{t-1}$",
        "GRU",
        "$\\tanh(W_c",
        "Dense, softmax",
        "next token $y_t$",
        "v^\\top \\tanh(W_1 s_t + W_2 k_j)",
    ],
    "draw_stream_windows": [
        "text",
        "stream 0",
        "stream 2",
        "batch 0",
        "batch 3",
        "row 0\n(stream 0)",
        "row 2\n(stream 2)",
        "ids 0\u20133",
        "ids 4\u20137",
        "the state $h$",
        "the gradient stops",
    ],
    "draw_blocked_scan": [
        "pass 1\n4 steps",
        "pass 2\n4 steps",
        "fix-up\n1 step",
        "block 1",
        "block 4",
        "4 + 4 = 8 sequential steps",
        "instead of 16",
        "h_t = \\tilde h_t + P_t",
    ],
}
MECHANISMS = [
    "draw_attention",
    "draw_blocked_scan",
    "draw_bptt",
    "draw_rnn_taxonomy",
    "draw_stream_windows",
    "draw_teacher_forcing",
]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _arrows(ax, gid):
    """The arrow heads of one kind (`wire` gives a head the gid of its line)."""
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid() == gid]


def _boxes(ax, gid):
    return [
        p for p in ax.patches if isinstance(p, FancyBboxPatch | Rectangle) and p.get_gid() == gid
    ]


def _has_label(ax, label):
    return any(label in text for text in _texts(ax))


def _render(ax):
    """Render the figure to PNG bytes; mathtext errors only show up at draw time."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax.figure.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", sorted(EXPECTED_LABELS))
def test_diagram_draws_its_labels_and_renders(name):
    ax = getattr(diagrams, name)()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.patches) > 5, f"{name} drew only {len(ax.patches)} patches"
    assert len(ax.texts) > 5, f"{name} wrote only {len(ax.texts)} texts"
    assert any(isinstance(p, FancyArrowPatch) for p in ax.patches), "no arrows"
    assert any(isinstance(p, FancyBboxPatch) for p in ax.patches), "no boxes"
    missing = [label for label in EXPECTED_LABELS[name] if not _has_label(ax, label)]
    assert not missing, f"{name} lacks labels {missing}; has {_texts(ax)}"
    assert not ax.axison, "a diagram has no axis frame"
    png = _render(ax)
    assert png.startswith(b"\x89PNG") and len(png) > 1000


@pytest.mark.parametrize("name", sorted(EXPECTED_LABELS))
def test_diagram_draws_on_the_given_axes(name):
    fig, axes = plt.subplots(1, 2)
    ax = getattr(diagrams, name)(ax=axes[1])
    assert ax is axes[1]
    assert len(axes[0].patches) == 0 and len(axes[1].patches) > 0
    assert len(fig.axes) == 2, "no extra figure or axes may be created"


def test_lstm_has_three_sigmoid_gates_and_one_tanh_layer():
    ax = diagrams.draw_lstm_cell()
    texts = _texts(ax)
    assert texts.count("$\\sigma$") == 3
    assert texts.count("$\\tanh$") == 1


def test_gru_has_two_sigmoid_gates_and_one_tanh_layer():
    ax = diagrams.draw_gru_cell()
    texts = _texts(ax)
    assert texts.count("$\\sigma$") == 2
    assert texts.count("$\\tanh$") == 1


@pytest.mark.parametrize("timesteps", [1, 3, 6])
def test_unrolled_rnn_draws_one_cell_per_step(timesteps):
    ax = diagrams.draw_unrolled_rnn(timesteps=timesteps, folded=False)
    texts = _texts(ax)
    assert texts.count("$\\tanh$") == timesteps
    assert [f"$x_{{{t}}}$" in texts for t in range(1, timesteps + 1)] == [True] * timesteps
    assert f"$x_{{{timesteps + 1}}}$" not in texts
    assert "RNN" not in texts, "folded=False must not draw the folded cell"
    folded = _texts(diagrams.draw_unrolled_rnn(timesteps=timesteps, folded=True))
    assert "RNN" in folded and "=" in folded


@pytest.mark.parametrize("bad", [0, 11, 2.5, "4"])
def test_unrolled_rnn_rejects_bad_timesteps(bad):
    with pytest.raises(ValueError, match="`timesteps`"):
        diagrams.draw_unrolled_rnn(timesteps=bad)


def test_the_package_exports_every_diagram():
    for module in (cells, sequences, through_time, alignments):
        for name in module.__all__:
            assert getattr(diagrams, name) is getattr(module, name)
    assert set(diagrams.__all__) == set(EXPECTED_LABELS)


@pytest.mark.parametrize("name", sorted(EXPECTED_LABELS))
@pytest.mark.parametrize("bad", ["ax", 3, np.zeros(2)])
def test_every_diagram_rejects_an_ax_that_is_not_an_axes(name, bad):
    with pytest.raises(ValueError, match="`ax` must be a matplotlib Axes or None; got"):
        getattr(diagrams, name)(ax=bad)


# Backpropagation through time.


@pytest.mark.parametrize("timesteps", [3, 4, 8])
def test_bptt_draws_a_forward_and_a_backward_arrow_per_link(timesteps):
    ax = diagrams.draw_bptt(timesteps=timesteps)
    texts = _texts(ax)
    # Forward: h_0 in, x_t up into every cell, every state on (the last one to the loss).
    assert len(_arrows(ax, "forward")) == 1 + 2 * timesteps
    # Backward: from L and from every state back to the one before, and one weight
    # gradient term per step.
    assert len(_arrows(ax, "gradient")) == 2 * timesteps
    assert texts.count("$\\tanh$") == timesteps
    jacobians = [t for t in texts if t.startswith("$\\partial h_{")]
    assert jacobians == [
        f"$\\partial h_{{{t + 1}}} / \\partial h_{{{t}}}$" for t in range(1, timesteps)
    ]
    assert f"$\\partial L / \\partial h_{{{timesteps}}}$" in texts
    terms = [t for t in texts if t.startswith("$\\delta_")]
    assert terms == [f"$\\delta_{{{t}}} h_{{{t - 1}}}^\\top$" for t in range(1, timesteps + 1)]


@pytest.mark.parametrize("bad", [2, 9, 3.0, "4", None])
def test_bptt_rejects_bad_timesteps(bad):
    with pytest.raises(ValueError, match="`timesteps`"):
        diagrams.draw_bptt(timesteps=bad)


# The taxonomy.


def test_taxonomy_draws_each_shape_with_its_inputs_and_outputs():
    ax = diagrams.draw_rnn_taxonomy()
    # Per shape (one-one, one-many, many-one, aligned, encoder-decoder), plus the legend.
    assert len(_boxes(ax, "input")) == 1 + 1 + 3 + 3 + 3
    assert len(_boxes(ax, "output")) == 1 + 3 + 1 + 3 + 3
    assert len(_boxes(ax, "cell")) == 1 + 3 + 3 + 3 + 6
    # Every example names a chapter that exists.
    chapters = re.findall(r"(?m)^(\d+[a-z]?):", "\n".join(_texts(ax)))
    assert sorted(chapters) == ["2", "6a", "6b", "6b", "6c", "8a"]
    for chapter in set(chapters):
        assert list(BOOK.glob(f"{int(chapter[0]):02d}{chapter[1:]}_*.ipynb")), chapter


# Teacher forcing against free running.


def test_teacher_forcing_feeds_the_truth_on_top_and_the_predictions_below():
    ax = diagrams.draw_teacher_forcing(source="four two", target="42", predicted="47")
    texts = _texts(ax)
    # target "42" + <end>: 3 decoder steps, 2 tokens fed to the next step in each panel.
    assert len(_arrows(ax, "teacher")) == 2
    assert len(_arrows(ax, "fed back")) == 2
    # <start> is read and <end> written once per panel.
    assert texts.count("<start>") == 2 and texts.count("<end>") == 2
    assert texts.count("7") == 2, "the wrong digit is written, then read as the next input"
    assert texts.count("4") == 4 and texts.count("2") == 2
    assert "a mistake, fed back" in texts
    right = _texts(diagrams.draw_teacher_forcing(target="42", predicted="42"))
    assert "a mistake, fed back" not in right


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"target": ""}, "`target` must be a string of 1 to 6 digits"),
        ({"target": "1234567", "predicted": "1234567"}, "`target` must be a string of 1 to 6"),
        ({"target": "4a"}, "`target` must be a string of 1 to 6 digits"),
        ({"target": 42}, "`target` must be a string of 1 to 6 digits; got int 42"),
        ({"target": "42", "predicted": "421"}, "`predicted` must have as many digits as"),
        ({"source": ""}, "`source` must be a string of 1 to 5 words"),
        ({"source": "one two three four five six"}, "`source` must be a string of 1 to 5"),
    ],
)
def test_teacher_forcing_rejects_bad_tokens(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diagrams.draw_teacher_forcing(**kwargs)


# Attention.


def test_attention_scores_every_encoder_state_and_weights_the_sum():
    weights = [0.1, 0.2, 0.7]
    ax = diagrams.draw_attention(source="oh double six", weights=weights)
    assert len(_boxes(ax, "score")) == 3
    bars = _boxes(ax, "weight")
    assert [round(bar.get_height(), 6) for bar in bars] == weights
    arrows = _arrows(ax, "weighted")
    assert len(arrows) == 3
    widths = [arrow.get_linewidth() for arrow in arrows]
    assert widths == sorted(widths) and widths[0] < widths[-1], "arrows as thick as their weight"
    texts = _texts(ax)
    assert [w in texts for w in ("oh", "double", "six")] == [True] * 3
    assert "$k_{4}$" not in texts and "score $e_{4}$" not in texts


def test_attention_default_weights_sum_to_one_and_grow():
    ax = diagrams.draw_attention(source="one two three four")
    heights = np.array([bar.get_height() for bar in _boxes(ax, "weight")])
    assert len(heights) == 4 and np.isclose(heights.sum(), 1.0)
    assert np.all(np.diff(heights) > 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"weights": [0.5, 0.5]}, "`weights` must hold 3 non-negative numbers"),
        ({"weights": [0.5, 0.7, -0.2]}, "`weights` must hold 3 non-negative numbers"),
        ({"weights": [0.2, 0.2, 0.2]}, "summing to 1; got \\[0.2, 0.2, 0.2\\]"),
        ({"weights": [np.nan, 0.5, 0.5]}, "`weights` must hold finite numbers"),
        ({"weights": [[0.5, 0.5]]}, "`weights` must be 1-D \\(words,\\)"),
        ({"source": "a b c d e f g"}, "`source` must be a string of 2 to 6 words"),
        ({"source": "seven"}, "`source` must be a string of 2 to 6 words; got str 'seven'"),
        ({"source": ["seven", "five"]}, "`source` must be a string of 2 to 6 words; got list"),
    ],
)
def test_attention_rejects_bad_weights_and_sources(kwargs, message):
    with pytest.raises(ValueError, match=message):
        diagrams.draw_attention(**kwargs)


# The stream layout of a stateful layer.


@pytest.mark.parametrize("streams, windows, window", [(3, 4, 4), (2, 3, 10), (1, 2, 1)])
def test_stream_layout_is_the_one_stream_windows_returns(streams, windows, window):
    ax = diagrams.draw_stream_windows(streams=streams, windows=windows, window=window)
    boxes = _boxes(ax, "window")
    assert len(boxes) == streams * windows
    assert len(_arrows(ax, "state")) == streams * (windows - 1)
    # Read each drawn window back: its first id, by batch (column) and row.
    drawn = {}
    for text in ax.texts:
        if text.get_text().startswith("id"):
            x, y = text.get_position()
            drawn[round(x, 3), round(-y, 3)] = int(text.get_text().split()[1].split("\u2013")[0])
    columns = sorted({x for x, _ in drawn})
    rows = sorted({y for _, y in drawn})
    assert len(columns) == windows and len(rows) == streams
    X, _ = stream_windows(np.arange(streams * windows * window + 1), streams, window)
    for k, x in enumerate(columns):
        for b, y in enumerate(rows):
            assert drawn[x, y] == X[k * streams + b, 0]
            if k:  # row b of batch k continues row b of batch k - 1
                assert drawn[x, y] == drawn[columns[k - 1], y] + window


@pytest.mark.parametrize(
    "kwargs, name",
    [({"streams": 0}, "streams"), ({"windows": 7}, "windows"), ({"window": 0}, "window"),
     ({"streams": 2.0}, "streams")],
)  # fmt: skip
def test_stream_layout_rejects_bad_sizes(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        diagrams.draw_stream_windows(**kwargs)


# The blocked scan.


@pytest.mark.parametrize(
    "timesteps, block, blocks", [(16, 4, 4), (12, 4, 3), (13, 4, 4), (17, 8, 3), (32, 8, 4)]
)
def test_blocked_scan_draws_the_blocks_of_the_library(timesteps, block, blocks):
    from course_lib.mingru import scan_blocks

    assert scan_blocks(timesteps) == (block, blocks)
    ax = diagrams.draw_blocked_scan(timesteps=timesteps)
    padding = blocks * block - timesteps
    assert len(_boxes(ax, "pass 1")) == timesteps
    assert len(_boxes(ax, "pass 2")) == blocks
    assert len(_boxes(ax, "fix-up")) == timesteps
    assert len(_boxes(ax, "padding")) == 2 * padding  # in pass 1 and in the fix-up
    assert len(_arrows(ax, "incoming")) == timesteps - block  # every step after block 1
    texts = _texts(ax)
    # Pass 1 numbers the steps inside each block 1..C, pass 2 the blocks 1..n.
    assert texts.count("1") == blocks + 1 + timesteps  # pass 1, pass 2, the fix-up
    assert texts.count(str(block)) == blocks + (block <= blocks)
    assert f"{block} + {blocks} = {block + blocks} sequential steps" in " ".join(texts)
    assert any(f"padded with {padding} identity steps" in t for t in texts) == bool(padding)


@pytest.mark.parametrize("bad", [11, 33, 16.0])
def test_blocked_scan_rejects_bad_timesteps(bad):
    with pytest.raises(ValueError, match="`timesteps`"):
        diagrams.draw_blocked_scan(timesteps=bad)
