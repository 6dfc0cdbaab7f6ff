"""The course's plots, in one style.

`use_style` sets the look of every figure (`course_lib.setup()` calls it); the other
functions draw the recurring plots of the course and return their Axes or Figure so
that a chapter can add to them. Time is always on the x axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler

from course_lib.validation import as_array, check_shape, describe

# Okabe-Ito colours: distinguishable with the common forms of colour blindness.
COLORS = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

# The one place the course's plot style is set: `use_style` applies it, and no chapter or
# module sets rcParams of its own. Backgrounds are opaque white, figure and axes, on
# screen and when saved: the book's pages can switch to a dark theme, and a transparent
# PNG would then show black ink on a dark page.
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "figure.figsize": (7.0, 3.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "axes.prop_cycle": cycler(color=list(COLORS)),
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "font.size": 11,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
}

_GRADIENT_LABEL = r"$\|\partial L / \partial h_t\|$"


def use_style() -> None:
    """Apply the course's matplotlib style to every figure drawn afterwards.

    Figures of 7 x 3.5 inches at 100 dpi on an opaque white background (readable on the
    book's light and dark themes alike), a light grid, no top and right spines, readable
    font sizes and a fixed colour-blind-safe colour cycle (`COLORS`).
    `course_lib.setup()` calls it; calling it again is harmless.

    Introduced in Chapter 0 (Introduction and set-up).
    """
    mpl.rcParams.update(STYLE)


def _axes(ax: Any) -> Any:
    """Return `ax`, or a new Axes on a new figure when `ax` is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _series(values: Any, name: str) -> np.ndarray:
    """A 1-D series; (n, 1) columns are accepted and flattened."""
    array = as_array(values, name, ndim=(1, 2), layout="(timesteps,)")
    if array.ndim == 2:
        if array.shape[1] != 1:
            raise ValueError(
                f"`{name}` must be 1-D (timesteps,) or a single column (timesteps, 1); "
                f"got {describe(array)}. Plot one column, e.g. `{name}[:, 0]`."
            )
        array = array[:, 0]  # (n,)
    return array


def _one_sequence(values: Any, name: str) -> np.ndarray:
    """A (timesteps, units) array; a batch of sequences gets a hint to pick one."""
    array = as_array(values, name)
    if array.ndim == 3:
        raise ValueError(
            f"`{name}` must be 2-D (timesteps, units) for one sequence; got "
            f"{describe(array)}. Pick one sequence, e.g. `{name}[0]`."
        )
    return as_array(array, name, ndim=2, layout="(timesteps, units)")


def _labelled(values: Any, name: str, default_label: str | None) -> dict:
    """`{label: values}` from either a dict or a single array."""
    if isinstance(values, Mapping):
        if not values:
            raise ValueError(f"`{name}` must not be an empty dict.")
        return dict(values)
    return {default_label: values}


def plot_series_prediction(
    y_true: Any,
    predictions: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    start: int = 0,
) -> Any:
    """Plot a series and one or more predictions of it against time.

    Args:
        y_true: the true values, (timesteps,) or (timesteps, 1).
        predictions: an array like `y_true`, or a dict label -> array for several models.
        ax: Axes to draw on. Defaults to `None`, a new figure.
        title: optional title. Defaults to `None`.
        start: time index of the first value, for the x axis. Defaults to 0.

    Returns:
        The matplotlib Axes, with one line for `y_true` and one per prediction.

    Example:
    >>> y_test = np.sin(np.linspace(0, 6, 40))
    >>> ax = plot_series_prediction(y_test, {"persistence": np.roll(y_test, 1), "RNN": y_test})
    >>> len(ax.lines)  # the series and two predictions
    3

    Introduced in Chapter 3 (SimpleRNN).
    """
    y_true = _series(y_true, "y_true")
    named = _labelled(predictions, "predictions", "prediction")
    time = start + np.arange(len(y_true))  # (n,)
    ax = _axes(ax)
    ax.plot(time, y_true, color="0.25", linewidth=2.0, label="true")
    for label, values in named.items():
        values = _series(
            values, f"predictions[{label!r}]" if label != "prediction" else "predictions"
        )
        if len(values) != len(y_true):
            raise ValueError(
                f"`predictions` must have the length of `y_true` ({len(y_true)}); "
                f"got {len(values)} values for {label!r}."
            )
        ax.plot(time, values, linestyle="--", label=str(label))
    ax.set_xlabel("time step")
    ax.set_ylabel("value")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def _history_dict(history: Any) -> dict | None:
    """The dict of lists of a Keras History or of a dict of lists; None otherwise."""
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        return dict(history.history)
    if isinstance(history, Mapping) and ("loss" in history or "val_loss" in history):
        return dict(history)
    return None


def plot_learning_curves(histories: Any, *, ax: Any = None, log: bool = True) -> Any:
    """Plot training (solid) and validation (dashed) loss against the epoch.

    Args:
        histories: a Keras `History`, a dict of lists such as
            `{"loss": [...], "val_loss": [...]}`, or a dict label -> History (or
            dict of lists, or list of losses) to compare several models.
        ax: Axes to draw on. Defaults to `None`, a new figure.
        log: whether the loss axis is logarithmic (used when every loss is positive).
            Defaults to True.

    Returns:
        The matplotlib Axes, with a line per model for `loss` and one for `val_loss`.

    Example:
    >>> rnn = {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6]}
    >>> lstm = {"loss": [0.9, 0.3, 0.1], "val_loss": [1.0, 0.4, 0.2]}
    >>> ax = plot_learning_curves({"SimpleRNN": rnn, "LSTM": lstm})
    >>> len(ax.lines)  # loss and val_loss of each model
    4

    Introduced in Chapter 3 (SimpleRNN).
    """
    single = _history_dict(histories)
    if single is not None:
        runs = {None: single}
    elif isinstance(histories, Mapping) and histories:
        runs = {}
        for label, history in histories.items():
            run = _history_dict(history)
            if run is None and isinstance(history, Sequence | np.ndarray):
                run = {"loss": history}
            if run is None:
                raise ValueError(
                    f"`histories[{label!r}]` must be a Keras History, a dict with 'loss' "
                    f"and 'val_loss' lists or a list of losses; got {describe(history)}."
                )
            runs[label] = run
    else:
        raise ValueError(
            "`histories` must be a Keras History, a dict of lists with 'loss' or "
            f"'val_loss', or a dict label -> History; got {describe(histories)}."
        )

    ax = _axes(ax)
    positive = True
    for index, (label, run) in enumerate(runs.items()):
        color = COLORS[index % len(COLORS)]
        for key, style, kind in (("loss", "-", "train"), ("val_loss", "--", "val")):
            if key not in run:
                continue
            values = as_array(run[key], f"histories {key}", ndim=1, layout="(epochs,)")
            positive = positive and bool(np.all(values > 0))
            name = kind if label is None else f"{label} ({kind})"
            epochs = np.arange(1, len(values) + 1)  # (epochs,)
            ax.plot(epochs, values, linestyle=style, color=color, label=name)
        if "loss" not in run and "val_loss" not in run:
            raise ValueError(f"`histories[{label!r}]` has neither 'loss' nor 'val_loss'.")
    if log and positive:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_gradient_norms(
    norms: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    ylabel: str = _GRADIENT_LABEL,
) -> Any:
    """Plot gradient norms against the time step, on a logarithmic scale.

    Args:
        norms: (timesteps,) values from `course_lib.gradients.hidden_state_gradient_norms`
            or `recurrent_jacobian_norms`, or a dict label -> array to compare models.
        ax: Axes to draw on. Defaults to `None`, a new figure.
        title: optional title. Defaults to `None`.
        ylabel: label of the y axis. Defaults to ||dL/dh_t||.

    Returns:
        The matplotlib Axes, one line per array, time steps 1 .. timesteps on x.

    Example:
    >>> steps = np.arange(20)
    >>> ax = plot_gradient_norms({"SimpleRNN": 0.5**steps, "LSTM": 0.95**steps})
    >>> len(ax.lines)
    2

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    named = _labelled(norms, "norms", None)
    ax = _axes(ax)
    for label, values in named.items():
        name = "norms" if label is None else f"norms[{label!r}]"
        values = as_array(values, name, ndim=1, layout="(timesteps,)")
        steps = np.arange(1, len(values) + 1)  # (timesteps,)
        ax.plot(
            steps, values, marker="o", markersize=3, label=None if label is None else str(label)
        )
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label is not None for label in named):
        ax.legend()
    return ax


def plot_gate_heatmap(gates: Any, *, title: str | None = None) -> Any:
    """Heat maps of gate activations over time, one panel per gate.

    Sigmoid gates (values in [0, 1]) use a 0-to-1 colour scale; gates with negative
    values, such as the tanh candidate, a symmetric scale around 0.

    Args:
        gates: (timesteps, units) activations of one sequence, or a dict name -> array
            such as the `return_gates=True` output of `course_lib.cells.lstm_forward`
            for one sequence: `{name: g[0] for name, g in gates.items()}`.
        title: optional title of the figure. Defaults to `None`.

    Returns:
        The matplotlib Figure, one panel per gate (time on x, units on y), the gate
        name as panel title and a colour bar each.

    Example:
    >>> from course_lib.cells import lstm_forward
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1, 12, 2))  # (batch, timesteps, features)
    >>> weights = rng.standard_normal((2, 12)), rng.standard_normal((3, 12)), np.zeros(12)
    >>> _, gates = lstm_forward(x, *weights, return_sequences=True, return_gates=True)
    >>> fig = plot_gate_heatmap({name: g[0] for name, g in gates.items()})
    >>> len(gates)
    4

    Introduced in Chapter 4 (LSTM).
    """
    import matplotlib.pyplot as plt

    named = _labelled(gates, "gates", None)
    arrays = {}
    for name, values in named.items():
        arg = "gates" if name is None else f"gates[{name!r}]"
        arrays[name] = _one_sequence(values, arg)
        # Panels share the time axis: every gate must have the first one's shape.
        check_shape(arrays[name], arg, next(iter(arrays.values())).shape)
    n = len(arrays)
    width, _ = mpl.rcParams["figure.figsize"]
    fig, axes = plt.subplots(
        n, 1, figsize=(width, 0.6 + 1.9 * n), sharex=True, squeeze=False, layout="constrained"
    )
    for ax, (name, array) in zip(axes[:, 0], arrays.items(), strict=True):
        timesteps, units = array.shape
        if np.min(array) < 0:
            limit = float(np.max(np.abs(array))) or 1.0
            vmin, vmax, cmap = -limit, limit, "RdBu_r"
        else:
            vmin, vmax, cmap = 0.0, max(1.0, float(np.max(array))), "viridis"
        image = ax.imshow(
            array.T,  # (units, timesteps): time on x
            aspect="auto",
            origin="lower",
            interpolation="nearest",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            extent=(0.5, timesteps + 0.5, -0.5, units - 0.5),
        )
        fig.colorbar(image, ax=ax)
        ax.grid(False)
        ax.set_ylabel("unit")
        if name is not None:
            ax.set_title(str(name))
    axes[-1, 0].set_xlabel("time step t")
    if title:
        fig.suptitle(title)
    return fig


def plot_hidden_states(h: Any, *, ax: Any = None) -> Any:
    """Plot each unit of a hidden-state sequence against time.

    Args:
        h: hidden states of one sequence, (timesteps, units), e.g.
            `layer(x, return_sequences=True)[0]`.
        ax: Axes to draw on. Defaults to `None`, a new figure.

    Returns:
        The matplotlib Axes, one line per unit, time steps 1 .. timesteps on x
        (a legend names the units when there are at most 10).

    Example:
    >>> from course_lib.cells import simple_rnn_forward
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1, 10, 2))  # (batch, timesteps, features)
    >>> kernel, recurrent_kernel = rng.standard_normal((2, 3)), 0.5 * np.eye(3)
    >>> h = simple_rnn_forward(x, kernel, recurrent_kernel, return_sequences=True)
    >>> ax = plot_hidden_states(h[0])
    >>> len(ax.lines)  # one line per unit
    3

    Introduced in Chapter 1 (Sequences and the hidden state).
    """
    h = _one_sequence(h, "h")
    timesteps, units = h.shape
    ax = _axes(ax)
    steps = np.arange(1, timesteps + 1)  # (timesteps,)
    for unit in range(units):
        ax.plot(steps, h[:, unit], label=f"unit {unit}")
    ax.set_xlabel("time step t")
    ax.set_ylabel("hidden state $h_t$")
    if units <= 10:
        ax.legend(ncols=min(units, 5))
    return ax
