"""Tests of `course_lib.diagrams`: every diagram draws, carries its labels and renders."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from course_lib import diagrams  # noqa: E402

# Labels each diagram must show (mathtext source, as passed to `ax.text`).
EXPECTED_LABELS = {
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
}


def _texts(ax):
    return [t.get_text() for t in ax.texts]


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
