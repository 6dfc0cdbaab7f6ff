"""A compact `fit`: early stopping, best weights restored and a tidy progress display.

Keras's own progress bars print one line per epoch (and redraw per batch), which
buries a notebook under hundreds of lines. `fit` wraps `model.fit` with `verbose=0`,
stops early when the monitored loss stops improving, and reports progress with
`ProgressDisplay`: one line updated in place in Jupyter, about ten lines in a terminal.
`BatchLosses` records the loss of every batch, for looking at training one step at a time.

Introduced in Chapter 2 (Training through time; vanishing and exploding gradients), where
`BatchLosses` records an exploding run; `fit` and `ProgressDisplay` from Chapter 3 (SimpleRNN).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from typing import Any

import keras

from course_lib.validation import check_choice, check_float, check_int, describe

__all__ = ["BatchLosses", "ProgressDisplay", "StopAtTarget", "fit"]


def _in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (where display updates work in place)."""
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is part of the course environment, but be safe
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _format_logs(logs: dict) -> str:
    """`loss 0.0123 - val_loss 0.015` from a Keras logs dict (learning rate left out)."""
    parts = []
    for key, value in logs.items():
        if key == "learning_rate":
            continue
        try:
            parts.append(f"{key} {float(value):.4g}")
        except (TypeError, ValueError):  # a metric that is not a number
            continue
    return " - ".join(parts)


class BatchLosses(keras.callbacks.Callback):
    """Keras callback that records the training loss of every batch in `self.losses`.

    During an epoch Keras 3 logs, after each batch, the running mean of the loss over the
    epoch's batches so far, weighted by their number of samples (its loss tracker is a
    `keras.metrics.Mean` updated with `sample_weight=batch_size`). `BatchLosses` undoes that
    average: with `N_k` samples seen after batch `k` and running means `m_k`, the loss of
    batch `k` is `(N_k * m_k - N_{k-1} * m_{k-1}) / n_k`. The last batch of an epoch holds
    fewer samples when `n_samples` is not a multiple of `batch_size`, which is why the
    callback must know both. Each recorded loss is the loss of the batch at the weights
    *before* that batch's update. Training stops once a loss is infinite or NaN.

    Args:
        n_samples: the number of training samples per epoch (after any
            `validation_split`), at least 1.
        batch_size: the batch size given to `fit`, at least 1.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_train, y_train = rng.random((100, 5, 1)), rng.random((100, 1))  # 100 samples
    >>> model = keras.Sequential(
    ...     [keras.Input((5, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)]
    ... )
    >>> model.compile(optimizer="adam", loss="mse")
    >>> recorder = BatchLosses(len(X_train), batch_size=64)
    >>> _ = model.fit(X_train, y_train, batch_size=64, epochs=2, callbacks=[recorder], verbose=0)
    >>> len(recorder.losses)  # the loss of each batch: 2 batches (64 + 36 samples) x 2 epochs
    4

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """

    def __init__(self, n_samples: int, batch_size: int) -> None:
        super().__init__()
        self.n_samples = check_int(n_samples, "n_samples", minimum=1)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.losses: list[float] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.losses = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._seen, self._mean = 0, 0.0  # samples and running mean of the epoch so far

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        mean = float((logs or {})["loss"])
        size = min(self.batch_size, self.n_samples - batch * self.batch_size)  # this batch
        if size < 1:
            raise ValueError(
                f"`n_samples` ({self.n_samples}) and `batch_size` ({self.batch_size}) give "
                f"fewer batches than the {batch + 1} Keras ran; pass the numbers given to fit."
            )
        seen = self._seen + size
        loss = mean if self._seen == 0 else (seen * mean - self._seen * self._mean) / size
        self._seen, self._mean = seen, mean
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.model.stop_training = True


class StopAtTarget(keras.callbacks.Callback):
    """Keras callback that stops training after the first epoch that reaches a target.

    Early stopping (`fit`'s `patience`) stops when a model stops improving; this callback
    stops when it is good enough, which keeps runs short when the time a model takes to
    reach a level is what is measured.

    Args:
        target: the value to reach.
        monitor: the logged quantity to watch. Defaults to `"val_loss"`.
        mode: `"min"` stops once the quantity is below `target`, `"max"` once it is
            above. Defaults to `"min"`.

    Example:
    >>> stop = StopAtTarget(0.004)  # validation loss below 0.004
    >>> stop = StopAtTarget(0.99, monitor="val_accuracy", mode="max")

    Introduced in Chapter 4 (LSTM).
    """

    def __init__(self, target: float, *, monitor: str = "val_loss", mode: str = "min") -> None:
        super().__init__()
        self.target = check_float(target, "target")
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"`monitor` must be the name of a logged quantity; got {describe(monitor)}."
            )
        self.monitor = monitor
        self.mode = check_choice(mode, "mode", ("min", "max"))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"`StopAtTarget` watches {self.monitor!r}, which training does not log; "
                f"logged: {sorted(logs)}. Pass validation data for a 'val_' quantity."
            )
        value = float(logs[self.monitor])
        if (value < self.target) if self.mode == "min" else (value > self.target):
            self.model.stop_training = True


class ProgressDisplay(keras.callbacks.Callback):
    """Keras callback that reports training progress in one line or a few lines.

    In a Jupyter kernel it shows a single line and updates it in place after every
    epoch. In a terminal it prints at most about `max_lines` lines for the whole run
    (the first epoch, then every `ceil(epochs / max_lines)`-th). At the end it shows a
    summary such as::

        epoch 37/100 - loss 0.0123 - val_loss 0.015 - 4.2 s; stopped early, best epoch 27

    Use it with `model.fit(..., verbose=0)` so that Keras prints nothing itself;
    `course_lib.training.fit` does that for you.

    Args:
        monitor: the quantity whose best epoch the summary names. Defaults to `None`:
            `"val_loss"` when it is logged, otherwise `"loss"`.
        max_lines: the most progress lines printed in a terminal, before the summary.
            Defaults to 10.
        mode: `"auto"` (a notebook line inside a Jupyter kernel, terminal lines
            elsewhere), `"notebook"` or `"terminal"`. Defaults to `"auto"`.
        stream: where terminal lines go. Defaults to `None`, `sys.stdout` at print time.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_train, y_train = rng.random((100, 5, 1)), rng.random((100, 1))  # 100 samples
    >>> model = keras.Sequential(
    ...     [keras.Input((5, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)]
    ... )
    >>> model.compile(optimizer="adam", loss="mse")
    >>> import io
    >>> progress = ProgressDisplay(mode="terminal", stream=io.StringIO())
    >>> _ = model.fit(X_train, y_train, epochs=3, verbose=0, callbacks=[progress])
    >>> progress.stream.getvalue().splitlines()[-1].startswith("epoch 3/3 - loss ")
    True

    Introduced in Chapter 3 (SimpleRNN).
    """

    def __init__(
        self,
        *,
        monitor: str | None = None,
        max_lines: int = 10,
        mode: str = "auto",
        stream: Any = None,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.max_lines = check_int(max_lines, "max_lines", minimum=1)
        self.mode = check_choice(mode, "mode", ("auto", "notebook", "terminal"))
        self.stream = stream
        self.lines: list[str] = []  # every line shown, for inspection and tests

    # Keras hooks --------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._epochs = int(self.params.get("epochs") or 0)
        self._every = max(1, math.ceil(self._epochs / self.max_lines))
        self._start = time.perf_counter()
        self._last_epoch = 0
        self._last_logs: dict = {}
        self._best_epoch: int | None = None
        self._best_value = math.inf
        self._notebook = self.mode == "notebook" or (self.mode == "auto" and _in_notebook())
        self._handle = None
        self.lines = []
        if self._notebook:
            from IPython.display import display

            text = f"epoch 0/{self._epochs} - starting"
            self._handle = display({"text/plain": text}, raw=True, display_id=True)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        self._last_epoch = epoch + 1
        self._last_logs = logs
        monitor = self.monitor or ("val_loss" if "val_loss" in logs else "loss")
        value = logs.get(monitor)
        if value is not None and float(value) < self._best_value:
            self._best_value = float(value)
            self._best_epoch = epoch + 1
        line = self._line()
        if self._notebook:
            self._show(line)
            return
        final = self._last_epoch >= self._epochs or bool(getattr(self.model, "stop_training", 0))
        if not final and (self._last_epoch == 1 or self._last_epoch % self._every == 0):
            self._show(line)  # the final epoch is reported by the summary instead

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._last_epoch == 0:
            return
        ending = "stopped early" if self._last_epoch < self._epochs else "done"
        best = f", best epoch {self._best_epoch}" if self._best_epoch is not None else ""
        self._show(f"{self._line()}; {ending}{best}")

    # Helpers ------------------------------------------------------------------------
    def _line(self) -> str:
        seconds = time.perf_counter() - self._start
        parts = [f"epoch {self._last_epoch}/{self._epochs}", _format_logs(self._last_logs)]
        parts.append(f"{seconds:.1f} s")
        return " - ".join(p for p in parts if p)

    def _show(self, line: str) -> None:
        self.lines.append(line)
        if self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)
        else:
            print(line, file=self.stream or sys.stdout, flush=True)


def fit(
    model: Any,
    X: Any,
    y: Any,
    *,
    validation_data: Any = None,
    validation_split: float = 0.0,
    epochs: int = 100,
    batch_size: int = 32,
    patience: int | None = 10,
    restore_best_weights: bool = True,
    verbose: bool = True,
    callbacks: Iterable[Any] = (),
    **fit_kwargs: Any,
) -> keras.callbacks.History:
    """Train a compiled Keras model with early stopping and a tidy progress display.

    Calls `model.fit(..., verbose=0)` with a `keras.callbacks.EarlyStopping` that
    watches `val_loss` when there is validation data (`validation_data` or
    `validation_split`) and `loss` otherwise, and a `ProgressDisplay`.

    Args:
        model: a compiled Keras model.
        X: training inputs, any shape the model accepts, e.g.
            (batch, timesteps, features).
        y: training targets (or `None` when `X` is a `tf.data.Dataset`).
        validation_data: `(X_val, y_val)` evaluated after every epoch. Defaults to `None`.
        validation_split: fraction of the training data, taken from its end, held out
            for validation, in [0, 1). Defaults to 0.0. Not both with `validation_data`.
        epochs: the most epochs to train, at least 1. Defaults to 100.
        batch_size: samples per gradient step, at least 1. Defaults to 32.
        patience: epochs without improvement before training stops, at least 0; `None`
            never stops early (the best weights are still restored). Defaults to 10.
        restore_best_weights: whether to end with the weights of the best epoch rather
            than the last one. Defaults to True.
        verbose: whether to show the progress display. Defaults to True.
        callbacks: more Keras callbacks. Defaults to `()`.
        **fit_kwargs: passed on to `model.fit` (`shuffle`, `sample_weight`, ...).

    Returns:
        The `keras.callbacks.History` of `model.fit`, with three extra attributes:
        `train_seconds` (wall-clock seconds spent in `model.fit`), `stopped_epoch`
        (1-based epoch at which early stopping ended training, or `None` if all
        `epochs` ran) and `best_epoch` (1-based epoch of the best monitored loss).

    Raises:
        ValueError: if `model` is not a compiled Keras model or an argument is out of
            range.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_train, y_train = rng.random((100, 5, 1)), rng.random((100, 1))  # 100 samples
    >>> model = keras.Sequential(
    ...     [keras.Input((5, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)]
    ... )
    >>> model.compile(optimizer="adam", loss="mse")
    >>> history = fit(model, X_train, y_train, validation_split=0.2, epochs=3, verbose=False)
    >>> len(history.history["val_loss"]), history.stopped_epoch
    (3, None)

    Introduced in Chapter 3 (SimpleRNN).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a Keras model; got {describe(model)}.")
    if not getattr(model, "compiled", False):
        raise ValueError(
            "`model` must be compiled before training: call "
            "`model.compile(optimizer=..., loss=...)` first."
        )
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if patience is not None:
        patience = check_int(patience, "patience", minimum=0)
    validation_split = check_float(validation_split, "validation_split", minimum=0.0, maximum=1.0)
    if validation_split >= 1.0:
        raise ValueError(f"`validation_split` must be in [0, 1); got {validation_split:g}.")
    if validation_data is not None:
        if validation_split > 0:
            raise ValueError(
                "Pass either `validation_data` or `validation_split`, not both; got "
                f"validation_split={validation_split:g} and validation data."
            )
        is_pair = isinstance(validation_data, tuple | list) and len(validation_data) in (2, 3)
        if not is_pair and not hasattr(validation_data, "element_spec"):
            raise ValueError(
                "`validation_data` must be a tuple `(X_val, y_val)`; got "
                f"{describe(validation_data)}."
            )
        validation_data = tuple(validation_data) if is_pair else validation_data
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise ValueError(f"`callbacks` must hold Keras callbacks; got {describe(callback)}.")

    has_validation = validation_data is not None or validation_split > 0
    monitor = "val_loss" if has_validation else "loss"
    early_stopping = keras.callbacks.EarlyStopping(
        monitor=monitor,
        patience=epochs if patience is None else patience,
        restore_best_weights=restore_best_weights,
    )
    # Early stopping runs before the display, so the display knows the last epoch.
    all_callbacks = [*callbacks, early_stopping]
    if verbose:
        all_callbacks.append(ProgressDisplay(monitor=monitor))

    start = time.perf_counter()
    history = model.fit(
        X,
        y,
        validation_data=validation_data,
        validation_split=validation_split,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
        callbacks=all_callbacks,
        **fit_kwargs,
    )
    history.train_seconds = time.perf_counter() - start
    history.stopped_epoch = (
        early_stopping.stopped_epoch + 1 if early_stopping.stopped_epoch else None
    )
    losses = history.history.get(monitor, [])
    history.best_epoch = (
        int(min(range(len(losses)), key=losses.__getitem__)) + 1 if losses else None
    )
    return history
