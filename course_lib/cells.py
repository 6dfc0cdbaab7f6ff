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
  `(output, h, c)` (LSTM), as Keras 3 returns it.

Everything is computed in float64 and returned as float64 arrays, whatever the dtype of
the inputs. Keras computes in float32, so the two agree to about 1e-6.

`layer_weights` reads the weights of a built Keras layer and `forward_like` runs the
matching NumPy forward pass with a Keras layer's weights and configuration, for the
chapters' "Keras layer versus NumPy cell" comparisons.

Introduced in Chapter 1 (Sequences and the hidden state); the LSTM in Chapter 4 and the
GRU in Chapter 5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.validation import as_array, check_choice, describe

__all__ = [
    "ACTIVATIONS",
    "forward_like",
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


def _check_inputs(x: Any) -> np.ndarray:
    return as_array(x, "x", ndim=3, layout="(batch, timesteps, features)")


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


def _time_order(timesteps: int, go_backwards: bool) -> range:
    return range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)


def _result(
    sequence: list[np.ndarray],
    states: list[np.ndarray],
    *,
    return_sequences: bool,
    return_state: bool,
    gates: dict[str, list[np.ndarray]] | None = None,
) -> Any:
    """Assemble the return value the way Keras does, plus the gates when asked."""
    output = np.stack(sequence, axis=1) if return_sequences else sequence[-1]  # (B, T, H)
    parts: list[Any] = [output]
    if return_state:
        parts.extend(states)
    if gates is not None:
        parts.append({name: np.stack(g, axis=1) for name, g in gates.items()})  # (B, T, H)
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
    x = _check_inputs(x)
    batch, timesteps, features = x.shape
    kernel, recurrent_kernel, bias, _ = _check_weights(
        kernel, recurrent_kernel, bias, cell="SimpleRNN", features=features
    )
    units = recurrent_kernel.shape[0]
    (h,) = _initial_states(initial_state, n_states=1, batch=batch, units=units)  # (B, H)
    sequence = []
    for t in _time_order(timesteps, go_backwards):
        h = _simple_rnn_core(x[:, t], h, kernel, recurrent_kernel, bias, act)  # (B, H)
        sequence.append(h)
    return _result(sequence, [h], return_sequences=return_sequences, return_state=return_state)


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
    x = _check_inputs(x)
    batch, timesteps, features = x.shape
    kernel, recurrent_kernel, bias, _ = _check_weights(
        kernel, recurrent_kernel, bias, cell="LSTM", features=features
    )
    units = recurrent_kernel.shape[0]
    h, c = _initial_states(initial_state, n_states=2, batch=batch, units=units)  # (B, H) x 2
    sequence = []
    gates: dict[str, list[np.ndarray]] = {"input": [], "forget": [], "candidate": [], "output": []}
    for t in _time_order(timesteps, go_backwards):
        h, c, step_gates = _lstm_core(x[:, t], h, c, kernel, recurrent_kernel, bias)
        sequence.append(h)  # (B, H)
        for name, value in zip(gates, step_gates, strict=True):
            gates[name].append(value)  # (B, H)
    return _result(
        sequence,
        [h, c],
        return_sequences=return_sequences,
        return_state=return_state,
        gates=gates if return_gates else None,
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
    x = _check_inputs(x)
    batch, timesteps, features = x.shape
    kernel, recurrent_kernel, input_bias, recurrent_bias = _check_weights(
        kernel, recurrent_kernel, bias, cell="GRU", features=features, reset_after=reset_after
    )
    units = recurrent_kernel.shape[0]
    (h,) = _initial_states(initial_state, n_states=1, batch=batch, units=units)  # (B, H)
    sequence = []
    gates: dict[str, list[np.ndarray]] = {"update": [], "reset": [], "candidate": []}
    for t in _time_order(timesteps, go_backwards):
        h, step_gates = _gru_core(
            x[:, t], h, kernel, recurrent_kernel, input_bias, recurrent_bias, reset_after
        )
        sequence.append(h)  # (B, H)
        for name, value in zip(gates, step_gates, strict=True):
            gates[name].append(value)  # (B, H)
    return _result(
        sequence,
        [h],
        return_sequences=return_sequences,
        return_state=return_state,
        gates=gates if return_gates else None,
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
    yourself: `gru_forward(x, **layer_weights(gru), reset_after=gru.reset_after)`, or use
    `forward_like`, which reads the whole configuration.

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


def forward_like(layer: Any, x: Any, **kwargs: Any) -> Any:
    """Run the NumPy forward pass that matches a built Keras layer, with its weights.

    Reads the layer's weights and configuration (`activation`, `reset_after`,
    `return_sequences`, `return_state`, `go_backwards`) and calls `simple_rnn_forward`,
    `lstm_forward` or `gru_forward`. The result is what the layer returns in inference
    (no dropout, no mask, not stateful), computed in float64.

    Args:
        layer: a built `keras.layers.SimpleRNN`, `LSTM` or `GRU` layer, or its cell (a
            cell has no `return_sequences` etc., so the defaults `False` apply).
        x: inputs, shape `(batch, timesteps, features)`.
        **kwargs: keyword arguments of the forward function, overriding the layer's
            configuration, e.g. `initial_state`, `return_gates` or `return_sequences`.

    Returns:
        What the forward function returns (see `simple_rnn_forward`, `lstm_forward`,
        `gru_forward`).

    Raises:
        ValueError: if the layer is not supported (see `layer_weights`), or uses
            activations the NumPy cells do not implement (an LSTM or GRU other than
            tanh/sigmoid, a SimpleRNN activation outside `ACTIVATIONS`).

    Example:
    >>> import keras, numpy as np
    >>> gru = keras.layers.GRU(4, return_sequences=True)
    >>> x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    >>> keras_out = keras.ops.convert_to_numpy(gru(x))
    >>> bool(np.abs(forward_like(gru, x) - keras_out).max() < 1e-5)
    True

    Introduced in Chapter 3 (SimpleRNN); used in Chapter 4 (LSTM) and Chapter 5 (GRU).
    """
    cell, kind = _keras_cell(layer)
    weights = layer_weights(layer)
    cell_config = cell.get_config()
    options: dict[str, Any] = {
        name: bool(getattr(layer, name, False))
        for name in ("return_sequences", "return_state", "go_backwards")
    }
    activation = cell_config.get("activation")
    if kind == "SimpleRNN":
        if not (isinstance(activation, str) and activation in ACTIVATIONS):
            raise ValueError(
                f"`layer` uses activation {activation!r}; the NumPy SimpleRNN supports "
                f"{', '.join(repr(a) for a in ACTIVATIONS)}."
            )
        options["activation"] = activation
        forward = simple_rnn_forward
    else:
        recurrent_activation = cell_config.get("recurrent_activation")
        if activation != "tanh" or recurrent_activation != "sigmoid":
            raise ValueError(
                f"`layer` must use activation='tanh' and recurrent_activation='sigmoid' "
                f"to match the NumPy {kind}; got {activation!r} and {recurrent_activation!r}."
            )
        if kind == "GRU":
            options["reset_after"] = bool(cell.reset_after)
            forward = gru_forward
        else:
            forward = lstm_forward
    options.update(kwargs)
    return forward(x, **weights, **options)
