"""Tests of `course_lib.training`: early stopping, best weights, the progress display."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_lib.training import BatchLosses, ProgressDisplay, StopAtTarget, fit


def _data(n=64, timesteps=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, timesteps, 1)).astype("float32")
    y = X.sum(axis=1)  # (n, 1): a task a linear model learns quickly
    return X, y


def _model(lr=0.05, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def test_fit_reduces_the_loss_and_reports_time(capsys):
    X, y = _data()
    history = fit(_model(), X, y, epochs=8, batch_size=16, verbose=False)
    losses = history.history["loss"]
    assert len(losses) == 8
    assert losses[-1] < 0.2 * losses[0]
    assert history.train_seconds > 0
    assert history.stopped_epoch is None
    assert history.best_epoch == int(np.argmin(losses)) + 1
    assert capsys.readouterr().out == ""  # verbose=False prints nothing


def test_early_stopping_on_a_plateau_restores_best_weights(capsys):
    # lr=0 : the loss never improves after the first epoch, so training must stop after
    # 1 + patience epochs and keep the weights of epoch 1 (which are the initial ones).
    X, y = _data()
    model = _model(lr=0.0)
    initial = [w.copy() for w in model.get_weights()]
    history = fit(model, X, y, validation_split=0.25, epochs=50, patience=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2  # epoch 1, then the summary of epoch 3
    assert lines[-1].startswith("epoch 3/50 - loss ")
    assert " - val_loss " in lines[-1]
    assert lines[-1].endswith("; stopped early, best epoch 1")
    assert "val_loss" in history.history
    assert len(history.history["loss"]) == 3
    assert history.stopped_epoch == 3
    assert history.best_epoch == 1
    for before, after in zip(initial, model.get_weights(), strict=True):
        np.testing.assert_allclose(before, after)


def test_early_stopping_monitors_val_loss_and_restores_best_weights():
    # Validation targets with the opposite sign: the better the model fits the training
    # data, the worse its validation loss. Early stopping on val_loss must stop after
    # 1 + patience epochs and restore the weights of epoch 1.
    X, y = _data()
    X_val, y_val = _data(16, seed=1)
    model = _model()
    history = fit(
        model, X, y, validation_data=(X_val, -y_val), epochs=20, patience=2, verbose=False
    )
    losses, val_losses = history.history["loss"], history.history["val_loss"]
    assert losses[-1] < losses[0] and val_losses[-1] > val_losses[0]
    assert history.stopped_epoch == 3 and len(val_losses) == 3
    assert history.best_epoch == 1
    restored = model.evaluate(X_val, -y_val, verbose=0)
    np.testing.assert_allclose(restored, val_losses[0], rtol=1e-5)


def _simulate(progress, epochs, *, stop_after=None):
    """Drive a ProgressDisplay through `epochs` epochs of fake logs, without training."""
    model = _model()
    progress.set_model(model)
    progress.set_params({"epochs": epochs, "verbose": 0})
    progress.on_train_begin()
    for epoch in range(epochs):
        model.stop_training = stop_after is not None and epoch + 1 >= stop_after
        progress.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 / (epoch + 1)})
        if model.stop_training:
            break
    progress.on_train_end()


@pytest.mark.parametrize("epochs", [1, 7, 10, 100, 1000])
def test_terminal_progress_is_a_few_lines(capsys, epochs):
    progress = ProgressDisplay(mode="terminal")
    _simulate(progress, epochs)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == progress.lines
    assert 1 <= len(lines) <= 11  # at most ten progress lines and a summary
    assert lines[0].startswith(f"epoch 1/{epochs} - loss 1 - val_loss 2 - ")
    assert lines[-1].startswith(f"epoch {epochs}/{epochs} - loss ")
    assert lines[-1].endswith(f" s; done, best epoch {epochs}")
    if epochs == 100:
        shown = [int(line.split()[1].split("/")[0]) for line in lines]
        assert shown == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def test_terminal_progress_when_stopped_early(capsys):
    _simulate(ProgressDisplay(mode="terminal", monitor="loss"), 100, stop_after=37)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5  # epochs 1, 10, 20, 30 and the summary
    assert lines[-1].startswith("epoch 37/100 - loss 0.02703 - val_loss 0.05405 - ")
    assert lines[-1].endswith(" s; stopped early, best epoch 37")


def test_notebook_mode_updates_one_line_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, data, raw=False):
            shown.append(data["text/plain"])

    def fake_display(data, raw=False, display_id=False):
        assert display_id is True and raw is True
        shown.append(data["text/plain"])
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", fake_display)
    progress = ProgressDisplay(mode="notebook")
    _simulate(progress, 4)
    assert shown[0] == "epoch 0/4 - starting"
    assert len(shown) == 1 + 4 + 1  # created once, updated per epoch and at the end
    assert shown[-1].startswith("epoch 4/4 - loss ") and shown[-1].endswith("; done, best epoch 4")
    assert progress.lines == shown[1:]


def test_argument_errors():
    X, y = _data(8)
    uncompiled = keras.Sequential([keras.Input((5, 1)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="`model` must be compiled"):
        fit(uncompiled, X, y)
    with pytest.raises(ValueError, match="`model` must be a Keras model"):
        fit("model", X, y)
    model = _model()
    with pytest.raises(ValueError, match="`epochs` must be at least 1; got 0"):
        fit(model, X, y, epochs=0)
    with pytest.raises(ValueError, match="`batch_size` must be at least 1"):
        fit(model, X, y, batch_size=0)
    with pytest.raises(ValueError, match="`batch_size` must be an integer"):
        fit(model, X, y, batch_size=2.5)
    with pytest.raises(ValueError, match="`patience` must be at least 0"):
        fit(model, X, y, patience=-1)
    with pytest.raises(ValueError, match=r"`validation_split` must be in \[0, 1\)"):
        fit(model, X, y, validation_split=1.0)
    with pytest.raises(ValueError, match="either `validation_data` or `validation_split`"):
        fit(model, X, y, validation_data=(X, y), validation_split=0.2)
    with pytest.raises(ValueError, match="`validation_data` must be a tuple"):
        fit(model, X, y, validation_data=X)
    with pytest.raises(ValueError, match="`callbacks` must hold Keras callbacks"):
        fit(model, X, y, callbacks=[print])
    with pytest.raises(ValueError, match="`mode` must be one of"):
        ProgressDisplay(mode="browser")


def test_notebook_detection(monkeypatch):
    import IPython

    from course_lib import training

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert training._in_notebook() is False

    class KernelShell:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: KernelShell())
    assert training._in_notebook() is True


def test_batch_losses_records_each_batch_including_a_short_last_one():
    # With a zero learning rate the weights never move, so the loss of every batch is what
    # `evaluate` gives on that batch alone. 10 samples in batches of 4: sizes 4, 4 and 2.
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3)).astype("float32")
    y = (rng.normal(size=(10, 1)) * np.arange(1, 11)[:, None]).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    recorder = BatchLosses(len(X), batch_size=4)
    model.fit(X, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    expected = [
        float(model.evaluate(X[i : i + 4], y[i : i + 4], verbose=0)) for i in range(0, 10, 4)
    ]
    assert len(recorder.losses) == 6  # 3 batches per epoch, 2 epochs
    np.testing.assert_allclose(recorder.losses, expected * 2, rtol=1e-4)
    # Undoing an unweighted mean gets the short last batch wrong: the test can tell.
    means = np.cumsum(np.array([4, 4, 2]) * expected) / np.array([4, 8, 10])
    unweighted_last = 3 * means[2] - 2 * means[1]
    assert abs(unweighted_last - expected[2]) > 1e-2 * abs(expected[2])


def test_batch_losses_stops_on_nan_and_checks_its_arguments():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    X = np.array([[1.0], [np.nan], [1.0], [1.0]], dtype="float32")
    recorder = BatchLosses(4, batch_size=1)
    model.fit(X, np.ones((4, 1)), batch_size=1, epochs=1, shuffle=False, verbose=0,
              callbacks=[recorder])  # fmt: skip
    assert len(recorder.losses) == 2 and not np.isfinite(recorder.losses[-1])
    with pytest.raises(ValueError, match="`batch_size` must be at least 1; got 0"):
        BatchLosses(10, batch_size=0)
    with pytest.raises(ValueError, match="`n_samples` must be an integer"):
        BatchLosses(10.0, batch_size=4)


def test_stop_at_target_stops_after_the_first_epoch_that_reaches_it():
    X, y = _data()
    full = fit(_model(), X, y, validation_data=(X, y), epochs=12, batch_size=16,
               patience=None, verbose=False).history["val_loss"]  # fmt: skip
    target = full[4] * 1.001  # first reached at epoch 5 (the loss falls every epoch)
    assert all(v > target for v in full[:4])
    history = fit(_model(), X, y, validation_data=(X, y), epochs=12, batch_size=16,
                  patience=None, verbose=False, callbacks=[StopAtTarget(target)])  # fmt: skip
    assert len(history.history["val_loss"]) == 5
    np.testing.assert_allclose(history.history["val_loss"], full[:5], rtol=1e-5)


def test_stop_at_target_in_max_mode_and_its_errors():
    X, y = _data()
    never = StopAtTarget(-1.0, monitor="loss", mode="max")  # every loss is above -1
    history = fit(_model(), X, y, epochs=6, batch_size=16, patience=None, verbose=False,
                  callbacks=[never])  # fmt: skip
    assert len(history.history["loss"]) == 1
    with pytest.raises(ValueError, match="`mode` must be one of 'min', 'max'"):
        StopAtTarget(0.1, mode="lower")
    with pytest.raises(ValueError, match="`target` must be a finite number"):
        StopAtTarget(float("nan"))
    with pytest.raises(ValueError, match="`monitor` must be the name of a logged quantity"):
        StopAtTarget(0.1, monitor="")
    with pytest.raises(ValueError, match="watches 'val_loss', which training does not log"):
        fit(_model(), X, y, epochs=2, batch_size=16, patience=None, verbose=False,
            callbacks=[StopAtTarget(0.1)])  # fmt: skip
