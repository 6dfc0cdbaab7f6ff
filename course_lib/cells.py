"""SimpleRNN, LSTM and GRU forward passes written from scratch in NumPy.

The functions follow the Keras contract, so a student who moves from these cells to
`keras.layers.SimpleRNN`, `keras.layers.LSTM` or `keras.layers.GRU` finds the same numbers
in the same places:

- weights in Keras's layout: `kernel` `(features, k * units)`, `recurrent_kernel`
  `(units, k * units)` and `bias` `(k * units,)`, where `k` is 1 for SimpleRNN, 4 for
  LSTM (gates in the order i, f, c, o) and 3 for GRU (gates z, r, h). A GRU with
  `reset_after=True` (the Keras default) has two biases, stacked as `(2, 3 * units)`:
  row 0 is added to the input projection, row 1 to the recurrent projection;
- `bias=None` means a layer built with `use_bias=False`;
- `initial_state`, `return_sequences`, `return_state` and `go_backwards` behave as in
  Keras. With `go_backwards=True` the sequence is processed from the last time step to
  the first, and the returned sequence stays in that processing order: its first row is
  the state after reading `x[:, -1]` (Keras does not reverse it back);
- with `return_state=True` the result is a tuple `(output, h)` (SimpleRNN, GRU) or
  `(output, h, c)` (LSTM), as Keras 3 returns it;
- `mask`, a `(batch, timesteps)` array of booleans (or 0/1), does what Keras's recurrent
  layers do with the mask that `Embedding(mask_zero=True)` or `Masking` attach to their
  output: at a masked step (`False`) the states are carried over unchanged and the output
  repeats the previous step's output (zeros if no step of that sequence has been read
  yet). With `go_backwards=True` the mask is read in processing order too.

Everything is computed in float64 and returned as float64 arrays, whatever the dtype of
the inputs. Keras computes in float32, so the two agree to about 1e-6.

`layer_weights` reads the weights of a built Keras layer, for the chapters' "Keras layer
versus NumPy cell" comparisons.

Introduced in Chapter 1 (Sequences and the hidden state); the LSTM in Chapter 4, the
GRU in Chapter 5 and masks in Chapter 7 (Variable-length sequences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.validation import as_array, check_choice, describe

__all__ = [
    "ACTIVATIONS",
    "gru_forward",
    "gru_step",
    "layer_weights",
    "lstm_forward",
    "lstm_step",
    "simple_rnn_forward",
    "simple_rnn_step",
    "sigmoid",
]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid `1 / (1 + exp(-a))`, computed without overflow.

    Uses the identity `sigmoid(a) = (1 + tanh(a / 2)) / 2`, which is exact and never
    overflows for large `|a|`.

    Introduced in Chapter 4 (LSTM).
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0)


def _linear(a: np.ndarray) -> np.ndarray:
    return a


#: The activations a SimpleRNN may use, by their Keras name.
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": _relu,
    "linear": _linear,
    "sigmoid": sigmoid,
}

# How many blocks of `units` columns each cell's weights hold, and how errors name them.
_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_CELL_NOTE = {"SimpleRNN": "SimpleRNN", "LSTM": "LSTM: 4 gates", "GRU": "GRU: 3 gates"}


# --------------------------------------------------------------------------------------
# Argument checks shared by the step and forward functions.
# --------------------------------------------------------------------------------------


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _require_shape(array: np.ndarray, name: str, expected: tuple[int, ...], why: str) -> None:
    """Raise a `ValueError` naming `name`, the expected shape, the reason and what came."""
    if tuple(array.shape) != tuple(expected):
        raise ValueError(
            f"`{name}` must have shape {_shape_text(expected)} {why}; got {describe(array)}."
        )


def _check_weights(
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    *,
    cell: str,
    features: int,
    reset_after: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Validate a cell's weights and return them as float64 arrays.

    `units` is read from `recurrent_kernel`, whose shape must then be `(units, k * units)`.

    Returns:
        `(kernel, recurrent_kernel, input_bias, recurrent_bias)`; `recurrent_bias` is only
        set for a GRU with `reset_after=True`, the biases are `None` without bias.
    """
    k = _GATES[cell]
    recurrent_kernel = as_array(
        recurrent_kernel, "recurrent_kernel", ndim=2, layout=f"(units, {k} * units)"
    )
    units = recurrent_kernel.shape[0]
    note = _CELL_NOTE[cell]
    _require_shape(
        recurrent_kernel, "recurrent_kernel", (units, k * units), f"for units={units} ({note})"
    )
    kernel = as_array(kernel, "kernel", ndim=2, layout=f"(features, {k} * units)")
    _require_shape(
        kernel,
        "kernel",
        (features, k * units),
        f"for features={features} and units={units} ({note})",
    )
    if bias is None:
        return kernel, recurrent_kernel, None, None
    bias = as_array(bias, "bias")
    if cell == "GRU" and reset_after:
        _require_shape(
            bias,
            "bias",
            (2, k * units),
            f"for units={units} ({note}, reset_after=True: input and recurrent biases)",
        )
        return kernel, recurrent_kernel, bias[0], bias[1]  # (3H,), (3H,)
    why = f"for units={units} ({note}, reset_after=False)" if cell == "GRU" else None
    _require_shape(bias, "bias", (k * units,), why or f"for units={units} ({note})")
    return kernel, recurrent_kernel, bias, None


def _check_activation(activation: Any) -> Callable[[np.ndarray], np.ndarray]:
    return ACTIVATIONS[check_choice(activation, "activation", tuple(ACTIVATIONS))]


def _check_step_input(x_t: Any) -> np.ndarray:
    return as_array(x_t, "x_t", ndim=2, layout="(batch, features)")


def _check_state(state: Any, name: str, batch: int, units: int) -> np.ndarray:
    state = as_array(state, name, ndim=2, layout="(batch, units)")
    _require_shape(state, name, (batch, units), f"(batch={batch}, units={units})")
    return state


def _initial_states(
    initial_state: Any, *, n_states: int, batch: int, units: int
) -> list[np.ndarray]:
    """Return the initial states as a list of `(batch, units)` arrays (zeros by default).

    A single-state cell (SimpleRNN, GRU) accepts the array itself or a one-element list,
    as Keras does; an LSTM needs the pair `[h, c]`.
    """
    if initial_state is None:
        return [np.zeros((batch, units)) for _ in range(n_states)]  # (B, H) each
    if n_states == 1 and not isinstance(initial_state, list | tuple):
        initial_state = [initial_state]
    if not isinstance(initial_state, list | tuple) or len(initial_state) != n_states:
        wanted = "[h, c] of two" if n_states == 2 else "[h] of one"
        raise ValueError(
            f"`initial_state` must be a list {wanted} (batch, units) arrays; "
            f"got {describe(initial_state)}."
        )
    names = ["initial_state[0]", "initial_state[1]"][:n_states]
    return [_check_state(s, n, batch, units) for s, n in zip(initial_state, names, strict=True)]


def _check_mask(mask: Any, batch: int, timesteps: int) -> np.ndarray | None:
    """Return `mask` as a `(batch, timesteps)` boolean array, or `None` without a mask."""
    if mask is None:
        return None
    mask = as_array(mask, "mask", ndim=2, layout="(batch, timesteps)", dtype=None)
    _require_shape(mask, "mask", (batch, timesteps), f"(batch={batch}, timesteps={timesteps})")
    if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
        raise ValueError(
            "`mask` must hold booleans or 0/1 (True or 1 = a real step, False or 0 = "
            f"padding); got values such as {mask[~np.isin(mask, (0, 1))].flat[0]!r}."
        )
    return mask.astype(bool)


def _prepare(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    *,
    cell: str,
    initial_state: Any,
    mask: Any,
    reset_after: bool = False,
) -> tuple[np.ndarray, tuple, list[np.ndarray], np.ndarray | None]:
    """Validate the arguments every forward pass takes.

    Returns:
        `(x, weights, states, mask)`: `x` `(batch, timesteps, features)`, `weights` the
        tuple `(kernel, recurrent_kernel, input_bias, recurrent_bias)` of `_check_weights`,
        the initial states as a list of `(batch, units)` arrays, and the mask
        `(batch, timesteps)` as booleans or `None`.
    """
    x = as_array(x, "x", ndim=3, layout="(batch, timesteps, features)")
    batch, timesteps, features = x.shape
    weights = _check_weights(
        kernel, recurrent_kernel, bias, cell=cell, features=features, reset_after=reset_after
    )
    units = weights[1].shape[0]
    n_states = 2 if cell == "LSTM" else 1
    states = _initial_states(initial_state, n_states=n_states, batch=batch, units=units)
    return x, weights, states, _check_mask(mask, batch, timesteps)


def _run(
    step: Callable[[np.ndarray, list[np.ndarray]], tuple[list[np.ndarray], tuple]],
    x: np.ndarray,
    states: list[np.ndarray],
    mask: np.ndarray | None,
    *,
    go_backwards: bool,
) -> tuple[list[np.ndarray], list[np.ndarray], list[tuple]]:
    """Apply `step(x_t, states) -> (new_states, gates)` along time, as Keras's `rnn` loop.

    The output of a step is its first new state (`h`). At a masked step the states are
    carried over and the output repeats the previous step's output, starting from zeros
    (`keras.backend.rnn` with `zero_output_for_mask=False`, the recurrent layers' default).

    Returns:
        `(outputs, states, gates)`: the `(batch, units)` output of every step and the gates
        of every step in processing order, and the final states.
    """
    timesteps = x.shape[1]
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    output = np.zeros_like(states[0])  # (B, H)
    outputs, gates = [], []
    for t in order:
        new_states, step_gates = step(x[:, t], states)  # x[:, t] is (B, F)
        if mask is None:
            states, output = new_states, new_states[0]
        else:
            real = mask[:, t, None]  # (B, 1), broadcast over units
            states = [np.where(real, new, old) for new, old in zip(new_states, states, strict=True)]
            output = np.where(real, new_states[0], output)  # (B, H)
        outputs.append(output)
        gates.append(step_gates)
    return outputs, states, gates


def _result(
    outputs: list[np.ndarray],
    states: list[np.ndarray],
    *,
    return_sequences: bool,
    return_state: bool,
    gates: list[tuple] | None = None,
    gate_names: tuple[str, ...] = (),
) -> Any:
    """Assemble the return value the way Keras does, plus the gates when asked."""
    output = np.stack(outputs, axis=1) if return_sequences else outputs[-1]  # (B, T, H)
    parts: list[Any] = [output]
    if return_state:
        parts.extend(states)
    if gates is not None:
        stacked = [np.stack(g, axis=1) for g in zip(*gates, strict=True)]  # (B, T, H) each
        parts.append(dict(zip(gate_names, stacked, strict=True)))
    return parts[0] if len(parts) == 1 else tuple(parts)


# --------------------------------------------------------------------------------------
# SimpleRNN
# --------------------------------------------------------------------------------------


def _simple_rnn_core(x_t, h, kernel, recurrent_kernel, bias, act):
    a = x_t @ kernel + h @ recurrent_kernel  # (B, F) @ (F, H) + (B, H) @ (H, H) -> (B, H)
    if bias is not None:
        a = a + bias  # (B, H)
    return act(a)


def simple_rnn_step(
    x_t: Any,
    h: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    *,
    activation: str = "tanh",
) -> np.ndarray:
    """One time step of a simple (Elman) RNN: `h_t = act(x_t W + h_{t-1} U + b)`.

    Args:
        x_t: inputs at one time step, shape `(batch, features)`.
        h: previous hidden state, shape `(batch, units)`.
        kernel: input weights `W`, shape `(features, units)`.
        recurrent_kernel: recurrent weights `U`, shape `(units, units)`.
        bias: bias `b`, shape `(units,)`, or `None` for a layer without bias.
            Defaults to `None`.
        activation: one of `"tanh"`, `"relu"`, `"linear"`, `"sigmoid"`.
            Defaults to `"tanh"`.

    Returns:
        The new hidden state, shape `(batch, units)`, float64.

    Example:
    >>> import numpy as np
    >>> h = simple_rnn_step(np.ones((1, 2)), np.zeros((1, 3)), np.ones((2, 3)), np.eye(3),
    ...                     activation="linear")
    >>> h.tolist()
    [[2.0, 2.0, 2.0]]

    Introduced in Chapter 1 (Sequences and the hidden state); used again in Chapter 3
    (SimpleRNN).
    """
    act = _check_activation(activation)
    x_t = _check_step_input(x_t)
    batch, features = x_t.shape
    kernel, recurrent_kernel, bias, _ = _check_weights(
        kernel, recurrent_kernel, bias, cell="SimpleRNN", features=features
    )
    h = _check_state(h, "h", batch, recurrent_kernel.shape[0])
    return _simple_rnn_core(x_t, h, kernel, recurrent_kernel, bias, act)


def simple_rnn_forward(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    *,
    activation: str = "tanh",
    initial_state: Any = None,
    mask: Any = None,
    return_sequences: bool = False,
    return_state: bool = False,
    go_backwards: bool = False,
) -> Any:
    """Run a simple RNN over whole sequences, like `keras.layers.SimpleRNN`.

    Args:
        x: inputs, shape `(batch, timesteps, features)`.
        kernel: input weights, shape `(features, units)`.
        recurrent_kernel: recurrent weights, shape `(units, units)`; `units` is read from it.
        bias: shape `(units,)`, or `None` for `use_bias=False`. Defaults to `None`.
        activation: one of `"tanh"`, `"relu"`, `"linear"`, `"sigmoid"`.
            Defaults to `"tanh"`.
        initial_state: initial hidden state `(batch, units)` (or a one-element list of
            it). Defaults to `None`, meaning zeros.
        mask: which steps are real, shape `(batch, timesteps)`, booleans or 0/1. At a
            masked step the states are carried over and the output repeats the previous
            step's output (zeros before the first real step), as in Keras. Defaults to
            `None`, meaning every step is real.
        return_sequences: return the hidden state at every step instead of the last one.
            Defaults to `False`.
        return_state: also return the final hidden state. Defaults to `False`.
        go_backwards: process the sequence from the last step to the first; the returned
            sequence stays in processing order, as in Keras. Defaults to `False`.

    Returns:
        `output`, of shape `(batch, units)`, or `(batch, timesteps, units)` with
        `return_sequences=True`; with `return_state=True` the tuple `(output, h)` where
        `h` is `(batch, units)`. float64.

    Example:
    >>> import numpy as np
    >>> x = np.array([[[1.0], [2.0], [3.0]]])  # (batch=1, timesteps=3, features=1)
    >>> out = simple_rnn_forward(x, np.ones((1, 1)), np.eye(1), activation="linear",
    ...                          return_sequences=True)
    >>> out[0, :, 0].tolist()  # a running sum
    [1.0, 3.0, 6.0]

    Introduced in Chapter 1 (Sequences and the hidden state); compared with
    `keras.layers.SimpleRNN` in Chapter 3 (SimpleRNN).
    """
    act = _check_activation(activation)
    x, (kernel, recurrent_kernel, bias, _), states, mask = _prepare(
        x, kernel, recurrent_kernel, bias, cell="SimpleRNN", initial_state=initial_state, mask=mask
    )

    def step(x_t, states):
        return [_simple_rnn_core(x_t, states[0], kernel, recurrent_kernel, bias, act)], ()

    outputs, states, _ = _run(step, x, states, mask, go_backwards=go_backwards)
    return _result(outputs, states, return_sequences=return_sequences, return_state=return_state)


# --------------------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------------------


def _lstm_core(x_t, h, c, kernel, recurrent_kernel, bias):
    z = x_t @ kernel + h @ recurrent_kernel  # (B, F) @ (F, 4H) + (B, H) @ (H, 4H) -> (B, 4H)
    if bias is not None:
        z = z + bias  # (B, 4H)
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)  # 4 x (B, H), Keras order i, f, c, o
    i = sigmoid(z_i)  # input gate
    f = sigmoid(z_f)  # forget gate
    g = np.tanh(z_c)  # candidate cell state
    o = sigmoid(z_o)  # output gate
    c = f * c + i * g  # (B, H)
    h = o * np.tanh(c)  # (B, H)
    return h, c, (i, f, g, o)


def lstm_step(
    x_t: Any,
    h: Any,
    c: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One time step of an LSTM, with Keras's gate order i, f, c, o.

    The gates are `i = sigmoid(.)`, `f = sigmoid(.)`, `g = tanh(.)`, `o = sigmoid(.)`
    of `x_t W + h U + b`; then `c_t = f * c + i * g` and `h_t = o * tanh(c_t)`.

    Args:
        x_t: inputs at one time step, shape `(batch, features)`.
        h: previous hidden state, shape `(batch, units)`.
        c: previous cell state, shape `(batch, units)`.
        kernel: shape `(features, 4 * units)`, blocks i, f, c, o.
        recurrent_kernel: shape `(units, 4 * units)`, blocks i, f, c, o.
        bias: shape `(4 * units,)`, or `None` for `use_bias=False`. Defaults to `None`.

    Returns:
        `(h, c)`, the new hidden and cell states, each `(batch, units)`, float64.

    Example:
    >>> import numpy as np
    >>> h, c = lstm_step(np.zeros((1, 2)), np.zeros((1, 3)), np.zeros((1, 3)),
    ...                  np.zeros((2, 12)), np.zeros((3, 12)))
    >>> h.shape, c.shape
    ((1, 3), (1, 3))

    Introduced in Chapter 4 (LSTM).
    """
    x_t = _check_step_input(x_t)
    batch, features = x_t.shape
    kernel, recurrent_kernel, bias, _ = _check_weights(
        kernel, recurrent_kernel, bias, cell="LSTM", features=features
    )
    units = recurrent_kernel.shape[0]
    h = _check_state(h, "h", batch, units)
    c = _check_state(c, "c", batch, units)
    h, c, _ = _lstm_core(x_t, h, c, kernel, recurrent_kernel, bias)
    return h, c


def lstm_forward(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    *,
    initial_state: Any = None,
    mask: Any = None,
    return_sequences: bool = False,
    return_state: bool = False,
    go_backwards: bool = False,
    return_gates: bool = False,
) -> Any:
    """Run an LSTM over whole sequences, like `keras.layers.LSTM` (tanh and sigmoid).

    Args:
        x: inputs, shape `(batch, timesteps, features)`.
        kernel: shape `(features, 4 * units)`, gate blocks in the order i, f, c, o.
        recurrent_kernel: shape `(units, 4 * units)`; `units` is read from it.
        bias: shape `(4 * units,)`, or `None` for `use_bias=False`. Defaults to `None`.
        initial_state: the pair `[h, c]` of `(batch, units)` arrays. Defaults to `None`,
            meaning zeros.
        mask: which steps are real, shape `(batch, timesteps)`, booleans or 0/1. At a
            masked step the states are carried over and the output repeats the previous
            step's output (zeros before the first real step), as in Keras. Defaults to
            `None`, meaning every step is real.
        return_sequences: return `h` at every step instead of the last one.
            Defaults to `False`.
        return_state: also return the final `h` and `c`. Defaults to `False`.
        go_backwards: process the sequence from the last step to the first; the returned
            sequence (and the gates) stay in processing order, as in Keras.
            Defaults to `False`.
        return_gates: also return the gate activations, for plotting. Defaults to `False`.

    Returns:
        `output`, of shape `(batch, units)`, or `(batch, timesteps, units)` with
        `return_sequences=True`. With `return_state=True` the tuple `(output, h, c)`.
        With `return_gates=True` a dict is appended to the result: `(output, gates)` or
        `(output, h, c, gates)`, where `gates` maps `"input"`, `"forget"`, `"candidate"`
        and `"output"` to `(batch, timesteps, units)` arrays in processing order. float64.

    Example:
    >>> import numpy as np
    >>> x = np.zeros((2, 5, 3))  # (batch, timesteps, features)
    >>> out, gates = lstm_forward(x, np.zeros((3, 16)), np.zeros((4, 16)),
    ...                           return_sequences=True, return_gates=True)
    >>> out.shape, gates["forget"].shape, float(gates["forget"][0, 0, 0])
    ((2, 5, 4), (2, 5, 4), 0.5)

    Introduced in Chapter 4 (LSTM).
    """
    x, (kernel, recurrent_kernel, bias, _), states, mask = _prepare(
        x, kernel, recurrent_kernel, bias, cell="LSTM", initial_state=initial_state, mask=mask
    )

    def step(x_t, states):
        h, c, step_gates = _lstm_core(x_t, *states, kernel, recurrent_kernel, bias)
        return [h, c], step_gates

    outputs, states, gates = _run(step, x, states, mask, go_backwards=go_backwards)
    return _result(
        outputs,
        states,
        return_sequences=return_sequences,
        return_state=return_state,
        gates=gates if return_gates else None,
        gate_names=("input", "forget", "candidate", "output"),
    )


# --------------------------------------------------------------------------------------
# GRU
# --------------------------------------------------------------------------------------


def _gru_core(x_t, h, kernel, recurrent_kernel, input_bias, recurrent_bias, reset_after):
    units = h.shape[1]
    x_proj = x_t @ kernel  # (B, F) @ (F, 3H) -> (B, 3H)
    if input_bias is not None:
        x_proj = x_proj + input_bias  # (B, 3H)
    x_z, x_r, x_h = np.split(x_proj, 3, axis=1)  # 3 x (B, H), Keras order z, r, h
    if reset_after:
        h_proj = h @ recurrent_kernel  # (B, H) @ (H, 3H) -> (B, 3H)
        if recurrent_bias is not None:
            h_proj = h_proj + recurrent_bias  # (B, 3H)
        h_z, h_r, h_h = np.split(h_proj, 3, axis=1)  # 3 x (B, H)
    else:
        h_proj = h @ recurrent_kernel[:, : 2 * units]  # (B, H) @ (H, 2H) -> (B, 2H)
        h_z, h_r = np.split(h_proj, 2, axis=1)  # 2 x (B, H)
    z = sigmoid(x_z + h_z)  # update gate
    r = sigmoid(x_r + h_r)  # reset gate
    if reset_after:
        recurrent_h = r * h_h  # reset applied after the matmul, (B, H)
    else:
        recurrent_h = (r * h) @ recurrent_kernel[:, 2 * units :]  # (B, H) @ (H, H) -> (B, H)
    candidate = np.tanh(x_h + recurrent_h)  # (B, H)
    h = z * h + (1.0 - z) * candidate  # (B, H)
    return h, (z, r, candidate)


def gru_step(
    x_t: Any,
    h: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    *,
    reset_after: bool = True,
) -> np.ndarray:
    """One time step of a GRU, with Keras's gate order z, r, h.

    `z` (update) and `r` (reset) are sigmoids, the candidate is `tanh(x W_h + r * (h U_h))`
    with `reset_after=True` (Keras default) or `tanh(x W_h + (r * h) U_h)` with
    `reset_after=False`, and `h_t = z * h + (1 - z) * candidate`.

    Args:
        x_t: inputs at one time step, shape `(batch, features)`.
        h: previous hidden state, shape `(batch, units)`.
        kernel: shape `(features, 3 * units)`, blocks z, r, h.
        recurrent_kernel: shape `(units, 3 * units)`, blocks z, r, h.
        bias: shape `(2, 3 * units)` (input and recurrent biases) with
            `reset_after=True`, `(3 * units,)` with `reset_after=False`, or `None` for
            `use_bias=False`. Defaults to `None`.
        reset_after: apply the reset gate after the recurrent matmul. Defaults to `True`.

    Returns:
        The new hidden state, shape `(batch, units)`, float64.

    Example:
    >>> import numpy as np
    >>> h = gru_step(np.zeros((1, 2)), np.ones((1, 3)), np.zeros((2, 9)), np.zeros((3, 9)))
    >>> h.tolist()  # z = 0.5 and candidate = 0: half of the old state is kept
    [[0.5, 0.5, 0.5]]

    Introduced in Chapter 5 (GRU).
    """
    x_t = _check_step_input(x_t)
    batch, features = x_t.shape
    kernel, recurrent_kernel, input_bias, recurrent_bias = _check_weights(
        kernel, recurrent_kernel, bias, cell="GRU", features=features, reset_after=reset_after
    )
    h = _check_state(h, "h", batch, recurrent_kernel.shape[0])
    h, _ = _gru_core(x_t, h, kernel, recurrent_kernel, input_bias, recurrent_bias, reset_after)
    return h


def gru_forward(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    *,
    reset_after: bool = True,
    initial_state: Any = None,
    mask: Any = None,
    return_sequences: bool = False,
    return_state: bool = False,
    go_backwards: bool = False,
    return_gates: bool = False,
) -> Any:
    """Run a GRU over whole sequences, like `keras.layers.GRU` (tanh and sigmoid).

    Args:
        x: inputs, shape `(batch, timesteps, features)`.
        kernel: shape `(features, 3 * units)`, gate blocks in the order z, r, h.
        recurrent_kernel: shape `(units, 3 * units)`; `units` is read from it.
        bias: shape `(2, 3 * units)` with `reset_after=True`, `(3 * units,)` with
            `reset_after=False`, or `None` for `use_bias=False`. Defaults to `None`.
        reset_after: apply the reset gate after the recurrent matmul (Keras default).
            Defaults to `True`.
        initial_state: initial hidden state `(batch, units)` (or a one-element list of
            it). Defaults to `None`, meaning zeros.
        mask: which steps are real, shape `(batch, timesteps)`, booleans or 0/1. At a
            masked step the states are carried over and the output repeats the previous
            step's output (zeros before the first real step), as in Keras. Defaults to
            `None`, meaning every step is real.
        return_sequences: return `h` at every step instead of the last one.
            Defaults to `False`.
        return_state: also return the final `h`. Defaults to `False`.
        go_backwards: process the sequence from the last step to the first; the returned
            sequence (and the gates) stay in processing order, as in Keras.
            Defaults to `False`.
        return_gates: also return the gate activations, for plotting. Defaults to `False`.

    Returns:
        `output`, of shape `(batch, units)`, or `(batch, timesteps, units)` with
        `return_sequences=True`. With `return_state=True` the tuple `(output, h)`.
        With `return_gates=True` a dict is appended to the result: `(output, gates)` or
        `(output, h, gates)`, where `gates` maps `"update"`, `"reset"` and `"candidate"`
        to `(batch, timesteps, units)` arrays in processing order. float64.

    Example:
    >>> import numpy as np
    >>> x = np.zeros((2, 5, 3))  # (batch, timesteps, features)
    >>> out, h = gru_forward(x, np.zeros((3, 12)), np.zeros((4, 12)), np.zeros((2, 12)),
    ...                      return_sequences=True, return_state=True)
    >>> out.shape, h.shape
    ((2, 5, 4), (2, 4))

    Introduced in Chapter 5 (GRU).
    """
    x, weights, states, mask = _prepare(
        x,
        kernel,
        recurrent_kernel,
        bias,
        cell="GRU",
        initial_state=initial_state,
        mask=mask,
        reset_after=reset_after,
    )

    def step(x_t, states):
        h, step_gates = _gru_core(x_t, states[0], *weights, reset_after)
        return [h], step_gates

    outputs, states, gates = _run(step, x, states, mask, go_backwards=go_backwards)
    return _result(
        outputs,
        states,
        return_sequences=return_sequences,
        return_state=return_state,
        gates=gates if return_gates else None,
        gate_names=("update", "reset", "candidate"),
    )


# --------------------------------------------------------------------------------------
# Keras layers
# --------------------------------------------------------------------------------------


def _keras_cell(layer: Any) -> tuple[Any, str]:
    """Return the cell of a SimpleRNN/LSTM/GRU layer (or the cell itself) and its kind."""
    import keras  # imported here so that the NumPy cells never load TensorFlow

    kinds = (
        (keras.layers.SimpleRNNCell, "SimpleRNN"),
        (keras.layers.LSTMCell, "LSTM"),
        (keras.layers.GRUCell, "GRU"),
    )
    cell = layer.cell if isinstance(layer, keras.layers.RNN) else layer
    for cls, kind in kinds:
        if isinstance(cell, cls):
            return cell, kind
    hint = ""
    if isinstance(layer, keras.layers.Bidirectional):
        hint = " (pass `layer.forward_layer` or `layer.backward_layer`)"
    raise ValueError(
        "`layer` must be a keras.layers.SimpleRNN, LSTM or GRU layer, or its cell; "
        f"got {type(layer).__name__}{hint}."
    )


def layer_weights(layer: Any) -> dict[str, np.ndarray | None]:
    """Read the weights of a built Keras SimpleRNN, LSTM or GRU layer as NumPy arrays.

    The keys match the arguments of the forward functions, so
    `simple_rnn_forward(x, **layer_weights(layer))` runs the layer's weights. A GRU's
    `reset_after` flag decides the bias layout; it is not part of the weights, so pass it
    yourself: `gru_forward(x, **layer_weights(gru), reset_after=gru.reset_after)`.

    Args:
        layer: a built `keras.layers.SimpleRNN`, `LSTM` or `GRU` (or a
            `keras.layers.RNN` around one of their cells), or the cell itself.

    Returns:
        A dict with `"kernel"` `(features, k * units)`, `"recurrent_kernel"`
        `(units, k * units)` and `"bias"` (`(k * units,)`, `(2, 3 * units)` for a GRU with
        `reset_after=True`, or `None` with `use_bias=False`), float64 arrays.

    Raises:
        ValueError: if `layer` is of another type or has not been built yet.

    Example:
    >>> import keras
    >>> lstm = keras.layers.LSTM(4)
    >>> lstm.build((None, 10, 3))
    >>> {name: w.shape for name, w in layer_weights(lstm).items()}
    {'kernel': (3, 16), 'recurrent_kernel': (4, 16), 'bias': (16,)}

    Introduced in Chapter 3 (SimpleRNN).
    """
    cell, _ = _keras_cell(layer)
    if not (getattr(layer, "built", False) and getattr(cell, "built", False)):
        raise ValueError(
            f"`layer` must be built before its weights can be read; got an unbuilt "
            f"{type(layer).__name__}. Call it on a batch of inputs or use "
            "`layer.build((batch, timesteps, features))` first."
        )

    def to_numpy(variable: Any) -> np.ndarray | None:
        if variable is None:
            return None
        return np.asarray(variable.numpy(), dtype=np.float64)

    return {
        "kernel": to_numpy(cell.kernel),
        "recurrent_kernel": to_numpy(cell.recurrent_kernel),
        "bias": to_numpy(cell.bias) if cell.use_bias else None,
    }
