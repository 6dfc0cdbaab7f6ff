"""Tests of `course_lib.plotting` (run with the Agg backend): objects, lines, scales, labels."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib.plotting import (
    COLORS,
    plot_gate_heatmap,
    plot_gradient_norms,
    plot_hidden_states,
    plot_learning_curves,
    plot_series_prediction,
    use_style,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class FakeHistory:
    """Stands in for keras.callbacks.History: only `.history` is used."""

    def __init__(self, history):
        self.history = history


def test_use_style_sets_the_course_style():
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        use_style()
        params = matplotlib.rcParams
        assert tuple(params["figure.figsize"]) == (7.0, 3.5)
        assert params["figure.dpi"] == 100
        assert params["axes.grid"] is True
        assert not params["axes.spines.top"] and not params["axes.spines.right"]
        assert params["axes.prop_cycle"].by_key()["color"] == list(COLORS)
        fig, ax = plt.subplots()
        assert tuple(fig.get_size_inches()) == (7.0, 3.5)
        assert not ax.spines["top"].get_visible()


def test_series_prediction_with_one_and_several_predictions():
    y = np.sin(np.arange(30) / 3.0)
    ax = plot_series_prediction(y, y + 0.1, title="Test", start=100)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2
    assert ax.lines[0].get_xdata()[0] == 100
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "Test"

    fig, ax = plt.subplots()
    out = plot_series_prediction(y[:, None], {"a": y, "b": y[:, None] * 2}, ax=ax)
    assert out is ax
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["true", "a", "b"]


def test_learning_curves_from_each_kind_of_history():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.7, 0.6]}
    ax = plot_learning_curves(FakeHistory(history))
    assert len(ax.lines) == 2
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    assert ax.lines[1].get_linestyle() == "--"

    ax = plot_learning_curves(history, log=False)
    assert len(ax.lines) == 2 and ax.get_yscale() == "linear"

    ax = plot_learning_curves({"rnn": FakeHistory(history), "lstm": history, "gru": [3.0, 2.0]})
    assert len(ax.lines) == 5
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["rnn (train)", "rnn (val)", "lstm (train)", "lstm (val)", "gru (train)"]
    assert ax.lines[0].get_color() == ax.lines[1].get_color()  # a model keeps its colour
    # A loss that is not positive cannot be drawn on a log scale: linear instead.
    assert plot_learning_curves({"loss": [1.0, 0.0]}).get_yscale() == "linear"


def test_gradient_norms_on_a_log_scale():
    norms = 0.5 ** np.arange(10)[::-1]
    ax = plot_gradient_norms(norms, title="vanishing")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 1
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "vanishing"
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, 11))
    ax = plot_gradient_norms({"SimpleRNN": norms, "LSTM": np.ones(10)})
    assert len(ax.lines) == 2 and ax.get_legend() is not None


def test_gate_heatmap_panels():
    rng = np.random.default_rng(0)
    gates = {
        "input": rng.uniform(size=(12, 4)),
        "forget": rng.uniform(size=(12, 4)),
        "candidate": rng.uniform(-1, 1, size=(12, 4)),
        "output": rng.uniform(size=(12, 4)),
    }
    fig = plot_gate_heatmap(gates, title="LSTM gates")
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == list(gates)
    assert len(fig.axes) == 8  # four panels and four colour bars
    image = panels[0].images[0]
    assert image.get_array().shape == (4, 12)  # (units, timesteps): time on x
    assert image.get_clim() == (0.0, 1.0)
    low, high = panels[2].images[0].get_clim()
    assert low == pytest.approx(-high) and low < 0  # a symmetric scale for tanh values
    assert panels[-1].get_xlabel() == "time step t"
    fig = plot_gate_heatmap(gates["forget"])
    assert len([ax for ax in fig.axes if ax.images]) == 1


def test_hidden_states_one_line_per_unit():
    h = np.tanh(np.random.default_rng(0).normal(size=(15, 3)))
    ax = plot_hidden_states(h)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), h[:, 2])
    assert ax.get_xlabel() and ax.get_ylabel()


def test_wrong_shapes_raise_errors_naming_the_argument():
    with pytest.raises(ValueError, match=r"`y_true` must be 1-D \(timesteps,\)"):
        plot_series_prediction(np.ones((5, 2)), np.ones(5))
    with pytest.raises(ValueError, match="`predictions` must have the length of `y_true`"):
        plot_series_prediction(np.ones(5), np.ones(4))
    with pytest.raises(ValueError, match=r"`norms` must be 1-D \(timesteps,\)"):
        plot_gradient_norms(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"`norms\['a'\]` must be 1-D"):
        plot_gradient_norms({"a": np.ones((3, 2))})
    with pytest.raises(ValueError, match=r"`h` must be 2-D \(timesteps, units\) for one sequence"):
        plot_hidden_states(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"`h` must be 2-D \(timesteps, units\)"):
        plot_hidden_states(np.ones(5))
    with pytest.raises(ValueError, match=r"`gates\['forget'\]` must be 2-D"):
        plot_gate_heatmap({"forget": np.ones((2, 5, 3))})
    with pytest.raises(
        ValueError, match=r"`gates\['output'\]` must have shape \(5, 3\); got shape \(5, 4\)"
    ):
        plot_gate_heatmap({"forget": np.ones((5, 3)), "output": np.ones((5, 4))})
    with pytest.raises(ValueError, match="`histories` must be a Keras History"):
        plot_learning_curves([1.0, 0.5])
    with pytest.raises(ValueError, match=r"`histories\['x'\]` must be a Keras History"):
        plot_learning_curves({"x": 3.0})


def test_figures_have_an_opaque_white_background_for_dark_pages(tmp_path):
    # The book can be read with a dark theme: a transparent figure would put dark ink on a
    # dark page. Every pixel of a saved figure, corners included, must be opaque.
    import matplotlib.image

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams["figure.facecolor"] = "none"  # what a careless default could be
        matplotlib.rcParams["savefig.transparent"] = True
        use_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        fig.savefig(tmp_path / "figure.png")
    pixels = matplotlib.image.imread(tmp_path / "figure.png")  # (height, width, RGBA)
    assert pixels.shape[-1] == 4 and np.all(pixels[..., 3] == 1.0), "transparent pixels"
    np.testing.assert_allclose(pixels[0, 0, :3], 1.0)  # the corner is white
