"""Tests of `course_lib.cells`: the NumPy cells against `keras.layers` with the same weights.

Every comparison asserts that the largest |NumPy - Keras| difference is below `TOL`, in the
test that makes it (no test depends on another having run).
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import cells  # noqa: E402

TOL = 1e-5

KERAS_LAYERS = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "LSTM": keras.layers.LSTM,
    "GRU": keras.layers.GRU,
}
FORWARDS = {
    "SimpleRNN": cells.simple_rnn_forward,
    "LSTM": cells.lstm_forward,
    "GRU": cells.gru_forward,
}
N_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _cell_type(kind: str, options: dict) -> str:
    if kind == "GRU":
        return f"GRU reset_after={options.get('reset_after', True)}"
    return kind


def _parts(result) -> list[np.ndarray]:
    """A forward or layer result as a list of NumPy arrays (Keras 3 returns tuples)."""
    items = list(result) if isinstance(result, tuple | list) else [result]
    return [np.asarray(keras.ops.convert_to_numpy(item)) for item in items]


def _compare(ours, theirs, cell_type: str) -> float:
    """Largest |ours - theirs| over all returned arrays, asserted below `TOL` for `cell_type`."""
    ours_parts, their_parts = _parts(ours), _parts(theirs)
    assert len(ours_parts) == len(their_parts), "different number of returned arrays"
    for a, b in zip(ours_parts, their_parts, strict=True):
        assert a.shape == b.shape, f"shape {a.shape} != Keras shape {b.shape}"
        assert a.dtype == np.float64
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(ours_parts, their_parts, strict=True))
    assert diff < TOL, f"{cell_type}: largest |NumPy - Keras| {diff:.3e} is not below {TOL:g}"
    return diff


def _set_random_weights(layer, rng: np.random.Generator) -> list[np.ndarray]:
    """Give a built layer random weights of a size that keeps the states in range."""
    units = layer.cell.units
    kernel, recurrent_kernel, *bias = layer.get_weights()  # Keras order
    weights = [
        rng.normal(scale=0.6, size=kernel.shape),  # (F, kH)
        rng.normal(scale=0.9 / np.sqrt(units), size=recurrent_kernel.shape),  # (H, kH)
        *(rng.normal(scale=0.6, size=b.shape) for b in bias),  # (kH,) or (2, 3H)
    ]
    weights = [w.astype("float32") for w in weights]
    layer.set_weights(weights)
    return weights


def _forward_like(layer, x, **kwargs):
    """The NumPy forward pass matching a built Keras layer, with its weights and flags."""
    kind = _kind(layer)
    options = {
        name: bool(getattr(layer, name, False))
        for name in ("return_sequences", "return_state", "go_backwards")
    }
    if kind == "SimpleRNN":
        options["activation"] = layer.cell.get_config()["activation"]
    if kind == "GRU":
        options["reset_after"] = bool(layer.cell.reset_after)
    options.update(kwargs)
    return FORWARDS[kind](x, **cells.layer_weights(layer), **options)


def _kind(layer) -> str:
    cell = layer.cell if isinstance(layer, keras.layers.RNN) else layer
    for kind, cls in (
        ("SimpleRNN", keras.layers.SimpleRNNCell),
        ("LSTM", keras.layers.LSTMCell),
        ("GRU", keras.layers.GRUCell),
    ):
        if isinstance(cell, cls):
            return kind
    raise TypeError(type(layer).__name__)


# --------------------------------------------------------------------------------------
# Random weights: the NumPy forward passes against the Keras layers
# --------------------------------------------------------------------------------------

# (kind, batch, timesteps, features, units, flags). Flags: seq = return_sequences,
# state = return_state, back = go_backwards, init = initial_state, nobias = use_bias=False,
# before = GRU reset_after=False, relu/sigmoid/linear = SimpleRNN activation.
CASES = [
    ("SimpleRNN", 1, 1, 1, 1, ""),
    ("SimpleRNN", 3, 7, 2, 5, "seq"),
    ("SimpleRNN", 4, 12, 5, 8, "relu seq state"),
    ("SimpleRNN", 2, 6, 3, 4, "sigmoid back seq"),
    ("SimpleRNN", 2, 5, 4, 3, "linear nobias init state"),
    ("SimpleRNN", 3, 9, 2, 6, "relu init back seq state"),
    ("LSTM", 1, 1, 1, 1, ""),
    ("LSTM", 2, 8, 3, 4, "seq"),
    ("LSTM", 4, 12, 5, 8, "seq state init"),
    ("LSTM", 3, 6, 2, 5, "back seq state"),
    ("LSTM", 2, 5, 4, 3, "nobias state"),
    ("LSTM", 1, 10, 1, 2, "init back"),
]
for _variant in ("", "before "):
    CASES += [
        ("GRU", 1, 1, 1, 1, _variant),
        ("GRU", 2, 8, 3, 4, _variant + "seq"),
        ("GRU", 4, 12, 5, 8, _variant + "seq state init"),
        ("GRU", 3, 6, 2, 5, _variant + "back seq state"),
        ("GRU", 2, 5, 4, 3, _variant + "nobias"),
    ]


def _options(kind: str, flags: str) -> dict:
    """Keyword arguments shared by the Keras layer and the NumPy forward pass."""
    flags = set(flags.split())
    options = {
        name: True
        for flag, name in (
            ("seq", "return_sequences"),
            ("state", "return_state"),
            ("back", "go_backwards"),
        )
        if flag in flags
    }
    if kind == "GRU":
        options["reset_after"] = "before" not in flags
    for activation in ("relu", "sigmoid", "linear"):
        if activation in flags:
            options["activation"] = activation
    return options


def _case_id(case) -> str:
    kind, batch, timesteps, features, units, flags = case
    return f"{kind}-B{batch}-T{timesteps}-F{features}-H{units}-{flags.replace(' ', '-')}".strip("-")


@pytest.mark.parametrize(("seed", "case"), list(enumerate(CASES)), ids=[_case_id(c) for c in CASES])
def test_forward_matches_keras_with_random_weights(seed, case):
    kind, batch, timesteps, features, units, flags = case
    rng = np.random.default_rng(seed)
    options = _options(kind, flags)
    use_initial_state = "init" in flags
    use_bias = "nobias" not in flags
    layer = KERAS_LAYERS[kind](units, use_bias=use_bias, **options)
    layer.build((None, timesteps, features))
    weights = _set_random_weights(layer, rng)

    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    states = [
        rng.normal(scale=0.5, size=(batch, units)).astype("float32") for _ in range(N_STATES[kind])
    ]
    if use_initial_state:
        keras_result = layer(x, initial_state=states)
    else:
        keras_result = layer(x)

    bias = weights[2] if use_bias else None
    ours = FORWARDS[kind](
        x,
        weights[0],
        weights[1],
        bias,
        initial_state=states if use_initial_state else None,
        **options,
    )
    diff = _compare(ours, keras_result, _cell_type(kind, options))
    assert diff < TOL


# --------------------------------------------------------------------------------------
# Fixed initializers: Keras and NumPy against closed-form answers
# --------------------------------------------------------------------------------------

X_FIXED = np.array(
    [
        [[1.0, 0.5], [-2.0, 1.0], [0.5, 0.5], [3.0, -1.0]],
        [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [-1.0, 0.0]],
    ],
    dtype="float32",
)  # (batch=2, timesteps=4, features=2)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_linear_simple_rnn_with_ones_and_identity_is_a_running_sum(go_backwards):
    layer = keras.layers.SimpleRNN(
        3,
        activation="linear",
        kernel_initializer=keras.initializers.Ones(),
        recurrent_initializer=keras.initializers.Identity(),
        bias_initializer=keras.initializers.Zeros(),
        return_sequences=True,
        go_backwards=go_backwards,
    )
    keras_out = keras.ops.convert_to_numpy(layer(X_FIXED))
    step_sums = X_FIXED.sum(axis=2)  # (B, T)
    if go_backwards:
        step_sums = step_sums[:, ::-1]  # processing order, which Keras keeps in its output
    expected = np.repeat(np.cumsum(step_sums, axis=1)[:, :, None], 3, axis=2)  # (B, T, 3)
    ours = _forward_like(layer, X_FIXED)
    np.testing.assert_allclose(keras_out, expected, atol=1e-5)
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    _compare(ours, keras_out, "SimpleRNN")


def test_lstm_with_zero_kernels_and_constant_bias_has_closed_form():
    b = 0.5
    layer = keras.layers.LSTM(
        2,
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer=keras.initializers.Constant(b),
        unit_forget_bias=False,
        return_sequences=True,
    )
    keras_out = keras.ops.convert_to_numpy(layer(X_FIXED))
    # Every gate sees only the bias: i = f = o = s, candidate g; c_t = s c_{t-1} + s g.
    s, g = 1.0 / (1.0 + np.exp(-b)), np.tanh(b)
    t = np.arange(1, 5)
    c = s * g * (1.0 - s**t) / (1.0 - s)  # (T,)
    expected = np.broadcast_to((s * np.tanh(c))[None, :, None], (2, 4, 2))  # (B, T, H)
    ours = _forward_like(layer, X_FIXED)
    np.testing.assert_allclose(keras_out, expected, atol=1e-6)
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    _compare(ours, keras_out, "LSTM")


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_with_zero_kernels_and_constant_bias_has_closed_form(reset_after):
    b = 0.5
    layer = keras.layers.GRU(
        2,
        kernel_initializer="zeros",
        recurrent_initializer="zeros",
        bias_initializer=keras.initializers.Constant(b),
        reset_after=reset_after,
        return_sequences=True,
    )
    keras_out = keras.ops.convert_to_numpy(layer(X_FIXED))

    def sig(a):
        return 1.0 / (1.0 + np.exp(-a))

    if reset_after:  # input and recurrent biases both equal b
        z, r = sig(2 * b), sig(2 * b)
        candidate = np.tanh(b + r * b)
    else:
        z = sig(b)
        candidate = np.tanh(b)
    t = np.arange(1, 5)
    h = candidate * (1.0 - z**t)  # h_t = z h_{t-1} + (1 - z) candidate, h_0 = 0
    expected = np.broadcast_to(h[None, :, None], (2, 4, 2))  # (B, T, H)
    ours = _forward_like(layer, X_FIXED)
    np.testing.assert_allclose(keras_out, expected, atol=1e-6)
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    _compare(ours, keras_out, f"GRU reset_after={reset_after}")


# --------------------------------------------------------------------------------------
# layer_weights
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "kwargs", "bias_shape"),
    [
        ("SimpleRNN", {"activation": "relu"}, (3,)),
        ("LSTM", {}, (12,)),
        ("GRU", {"reset_after": True}, (2, 9)),
        ("GRU", {"reset_after": False}, (9,)),
        ("LSTM", {"use_bias": False}, None),
    ],
)
def test_layer_weights_reads_layer_and_cell(kind, kwargs, bias_shape):
    layer = KERAS_LAYERS[kind](3, **kwargs)
    layer.build((None, 5, 2))
    expected = layer.get_weights()
    for source in (layer, layer.cell):
        weights = cells.layer_weights(source)
        assert set(weights) == {"kernel", "recurrent_kernel", "bias"}
        np.testing.assert_array_equal(weights["kernel"], expected[0])
        np.testing.assert_array_equal(weights["recurrent_kernel"], expected[1])
        assert weights["kernel"].dtype == np.float64
        if bias_shape is None:
            assert weights["bias"] is None
        else:
            assert weights["bias"].shape == bias_shape
            np.testing.assert_array_equal(weights["bias"], expected[2])


# --------------------------------------------------------------------------------------
# Step functions against the forward passes (NumPy only)
# --------------------------------------------------------------------------------------


def _numpy_weights(rng, features, units, gates, bias_shape):
    kernel = rng.normal(scale=0.6, size=(features, gates * units))  # (F, kH)
    recurrent_kernel = rng.normal(scale=0.5, size=(units, gates * units))  # (H, kH)
    bias = None if bias_shape is None else rng.normal(scale=0.3, size=bias_shape)
    return kernel, recurrent_kernel, bias


STEP_CASES = [
    ("SimpleRNN", {"activation": "tanh"}, (4,)),
    ("SimpleRNN", {"activation": "relu"}, None),
    ("LSTM", {}, (16,)),
    ("LSTM", {}, None),
    ("GRU", {"reset_after": True}, (2, 12)),
    ("GRU", {"reset_after": False}, (12,)),
    ("GRU", {"reset_after": True}, None),
]


@pytest.mark.parametrize(("kind", "kwargs", "bias_shape"), STEP_CASES)
def test_steps_equal_the_forward_pass(kind, kwargs, bias_shape):
    rng = np.random.default_rng(11)
    batch, timesteps, features, units = 3, 5, 2, 4
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
    kernel, recurrent_kernel, bias = _numpy_weights(rng, features, units, gates, bias_shape)
    x = rng.normal(size=(batch, timesteps, features))  # (B, T, F)
    states = [rng.normal(size=(batch, units)) for _ in range(N_STATES[kind])]  # (B, H) each
    forward = FORWARDS[kind]
    sequence, *final = forward(
        x,
        kernel,
        recurrent_kernel,
        bias,
        initial_state=states,
        return_sequences=True,
        return_state=True,
        **kwargs,
    )
    one_step = forward(x[:, :1], kernel, recurrent_kernel, bias, initial_state=states, **kwargs)

    state = list(states)
    for t in range(timesteps):
        if kind == "SimpleRNN":
            state = [
                cells.simple_rnn_step(x[:, t], state[0], kernel, recurrent_kernel, bias, **kwargs)
            ]
        elif kind == "LSTM":
            state = list(cells.lstm_step(x[:, t], *state, kernel, recurrent_kernel, bias))
        else:
            state = [cells.gru_step(x[:, t], state[0], kernel, recurrent_kernel, bias, **kwargs)]
        np.testing.assert_allclose(state[0], sequence[:, t], atol=1e-12)
        if t == 0:  # one step equals the forward pass with timesteps=1
            np.testing.assert_allclose(state[0], one_step, atol=1e-12)
    for ours, theirs in zip(state, final, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_go_backwards_equals_forward_on_the_reversed_sequence():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 6, 3))
    weights = _numpy_weights(rng, 3, 4, 4, (16,))
    backwards = cells.lstm_forward(x, *weights, go_backwards=True, return_sequences=True)
    forwards = cells.lstm_forward(x[:, ::-1], *weights, return_sequences=True)
    np.testing.assert_allclose(backwards, forwards, atol=1e-12)


# --------------------------------------------------------------------------------------
# Gates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_gates_rebuild_the_states(go_backwards):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 7, 2))
    weights = _numpy_weights(rng, 2, 5, 4, (20,))
    h0, c0 = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    sequence, h, c, gates = cells.lstm_forward(
        x,
        *weights,
        initial_state=[h0, c0],
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        return_gates=True,
    )
    assert set(gates) == {"input", "forget", "candidate", "output"}
    for name, value in gates.items():
        assert value.shape == (3, 7, 5), name
    for name in ("input", "forget", "output"):
        assert np.all((gates[name] > 0) & (gates[name] < 1)), name
    c_t = c0
    for t in range(7):  # processing order
        c_t = gates["forget"][:, t] * c_t + gates["input"][:, t] * gates["candidate"][:, t]
        np.testing.assert_allclose(gates["output"][:, t] * np.tanh(c_t), sequence[:, t], atol=1e-12)
    np.testing.assert_allclose(c_t, c, atol=1e-12)
    np.testing.assert_allclose(sequence[:, -1], h, atol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_gru_gates_rebuild_the_states(reset_after, go_backwards):
    rng = np.random.default_rng(4)
    units = 4
    x = rng.normal(size=(2, 6, 3))
    kernel, recurrent_kernel, bias = _numpy_weights(
        rng, 3, units, 3, (2, 3 * units) if reset_after else (3 * units,)
    )
    h0 = rng.normal(size=(2, units))
    sequence, gates = cells.gru_forward(
        x,
        kernel,
        recurrent_kernel,
        bias,
        reset_after=reset_after,
        initial_state=h0,
        return_sequences=True,
        go_backwards=go_backwards,
        return_gates=True,
    )
    assert set(gates) == {"update", "reset", "candidate"}
    order = range(5, -1, -1) if go_backwards else range(6)
    input_bias = bias[0] if reset_after else bias
    h_prev = h0
    for step, t in enumerate(order):
        z, r, candidate = (gates[k][:, step] for k in ("update", "reset", "candidate"))
        x_h = x[:, t] @ kernel[:, 2 * units :] + input_bias[2 * units :]  # (B, H)
        if reset_after:
            recurrent_h = r * (h_prev @ recurrent_kernel[:, 2 * units :] + bias[1, 2 * units :])
        else:
            recurrent_h = (r * h_prev) @ recurrent_kernel[:, 2 * units :]
        np.testing.assert_allclose(candidate, np.tanh(x_h + recurrent_h), atol=1e-12)
        h_prev = z * h_prev + (1.0 - z) * candidate
        np.testing.assert_allclose(h_prev, sequence[:, step], atol=1e-12)


def test_outputs_are_float64_for_float32_inputs():
    x = np.ones((1, 2, 3), dtype=np.float32)
    out = cells.simple_rnn_forward(
        x, np.ones((3, 2), dtype=np.float32), np.eye(2, dtype=np.float32)
    )
    assert out.dtype == np.float64


# --------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------

X = np.zeros((4, 6, 3))  # (batch=4, timesteps=6, features=3)
H16 = np.zeros((4, 16))


def _lstm_weights(units=16, features=3):
    return np.zeros((features, 4 * units)), np.zeros((units, 4 * units)), np.zeros(4 * units)


ERROR_CASES = [
    (
        lambda: cells.simple_rnn_forward(np.zeros((32, 10)), np.zeros((10, 4)), np.zeros((4, 4))),
        "`x` must be 3-D (batch, timesteps, features); got shape (32, 10).",
    ),
    (
        lambda: cells.lstm_forward(X, np.zeros((3, 64)), np.zeros((16, 48))),
        "`recurrent_kernel` must have shape (16, 64) for units=16 (LSTM: 4 gates); got shape (16, 48).",
    ),
    (
        lambda: cells.gru_forward(X, np.zeros((3, 48)), np.zeros((16, 32))),
        "`recurrent_kernel` must have shape (16, 48) for units=16 (GRU: 3 gates); got shape (16, 32).",
    ),
    (
        lambda: cells.simple_rnn_forward(X, np.zeros((3, 16)), np.zeros((16, 32))),
        "`recurrent_kernel` must have shape (16, 16) for units=16 (SimpleRNN); got shape (16, 32).",
    ),
    (
        lambda: cells.lstm_forward(X, np.zeros((3, 64)), np.zeros(64)),
        "`recurrent_kernel` must be 2-D (units, 4 * units); got shape (64,).",
    ),
    (
        lambda: cells.lstm_forward(X, np.zeros((5, 64)), np.zeros((16, 64))),
        "`kernel` must have shape (3, 64) for features=3 and units=16 (LSTM: 4 gates); got shape (5, 64).",
    ),
    (
        lambda: cells.gru_forward(X, np.zeros((3, 16)), np.zeros((16, 48))),
        "`kernel` must have shape (3, 48) for features=3 and units=16 (GRU: 3 gates); got shape (3, 16).",
    ),
    (
        lambda: cells.lstm_forward(X, np.zeros((3, 64)), np.zeros((16, 64)), np.zeros(48)),
        "`bias` must have shape (64,) for units=16 (LSTM: 4 gates); got shape (48,).",
    ),
    (
        lambda: cells.gru_forward(X, np.zeros((3, 48)), np.zeros((16, 48)), np.zeros(48)),
        "`bias` must have shape (2, 48) for units=16 (GRU: 3 gates, reset_after=True: "
        "input and recurrent biases); got shape (48,).",
    ),
    (
        lambda: cells.gru_forward(
            X, np.zeros((3, 48)), np.zeros((16, 48)), np.zeros((2, 48)), reset_after=False
        ),
        "`bias` must have shape (48,) for units=16 (GRU: 3 gates, reset_after=False); got shape (2, 48).",
    ),
    (
        lambda: cells.simple_rnn_forward(
            X, np.zeros((3, 16)), np.zeros((16, 16)), initial_state=np.zeros((2, 16))
        ),
        "`initial_state[0]` must have shape (4, 16) (batch=4, units=16); got shape (2, 16).",
    ),
    (
        lambda: cells.gru_forward(
            X, np.zeros((3, 48)), np.zeros((16, 48)), initial_state=np.zeros(16)
        ),
        "`initial_state[0]` must be 2-D (batch, units); got shape (16,).",
    ),
    (
        lambda: cells.lstm_forward(X, *_lstm_weights(), initial_state=H16),
        "`initial_state` must be a list [h, c] of two (batch, units) arrays; got shape (4, 16).",
    ),
    (
        lambda: cells.lstm_forward(X, *_lstm_weights(), initial_state=[H16, np.zeros((4, 8))]),
        "`initial_state[1]` must have shape (4, 16) (batch=4, units=16); got shape (4, 8).",
    ),
    (
        lambda: cells.simple_rnn_forward(
            X, np.zeros((3, 16)), np.zeros((16, 16)), activation="softmax"
        ),
        "`activation` must be one of 'tanh', 'relu', 'linear', 'sigmoid'; got 'softmax'.",
    ),
    (
        lambda: cells.simple_rnn_forward([["a"]], np.zeros((3, 16)), np.zeros((16, 16))),
        "`x` must be a numeric array",
    ),
    (
        lambda: cells.simple_rnn_step(np.zeros((1, 2, 3)), H16, np.zeros((3, 16)), np.eye(16)),
        "`x_t` must be 2-D (batch, features); got shape (1, 2, 3).",
    ),
    (
        lambda: cells.simple_rnn_step(
            np.zeros((4, 3)), np.zeros((4, 8)), np.zeros((3, 16)), np.eye(16)
        ),
        "`h` must have shape (4, 16) (batch=4, units=16); got shape (4, 8).",
    ),
    (
        lambda: cells.lstm_step(np.zeros((4, 3)), H16, np.zeros((1, 16)), *_lstm_weights()),
        "`c` must have shape (4, 16) (batch=4, units=16); got shape (1, 16).",
    ),
    (
        lambda: cells.gru_step(np.zeros((4, 2)), H16, np.zeros((3, 48)), np.zeros((16, 48))),
        "`kernel` must have shape (2, 48) for features=2 and units=16 (GRU: 3 gates); got shape (3, 48).",
    ),
]


@pytest.mark.parametrize(("call", "message"), ERROR_CASES, ids=[m[:40] for _, m in ERROR_CASES])
def test_errors_name_the_argument_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_layer_weights_rejects_other_layers_and_unbuilt_layers():
    with pytest.raises(
        ValueError, match=re.escape("SimpleRNN, LSTM or GRU layer, or its cell; got Dense.")
    ):
        cells.layer_weights(keras.layers.Dense(3))
    with pytest.raises(ValueError, match=re.escape("got an unbuilt LSTM. Call it on a batch")):
        cells.layer_weights(keras.layers.LSTM(3))
    with pytest.raises(ValueError, match=re.escape("got an unbuilt GRUCell")):
        cells.layer_weights(keras.layers.GRUCell(3))
    with pytest.raises(
        ValueError, match=re.escape("got Bidirectional (pass `layer.forward_layer`")
    ):
        cells.layer_weights(keras.layers.Bidirectional(keras.layers.LSTM(3)))


# --------------------------------------------------------------------------------------
# Masks: the NumPy forward passes against the Keras layers called with the same mask
# --------------------------------------------------------------------------------------


def _random_mask(rng, batch: int, timesteps: int, padding: str) -> np.ndarray:
    """A `(batch, timesteps)` boolean mask: post- or pre-padding, or holes anywhere.

    Every mask has one row of each extreme: all steps real and (for batch > 2) none real.
    """
    if padding == "holes":
        mask = rng.random((batch, timesteps)) < 0.6
    else:
        lengths = rng.integers(1, timesteps + 1, size=batch)  # (B,)
        steps = np.arange(timesteps)[None, :]  # (1, T)
        if padding == "post":
            mask = steps < lengths[:, None]
        else:
            mask = steps >= timesteps - lengths[:, None]
    mask[0] = True
    if batch > 2:
        mask[-1] = False
    return mask


# (kind, padding, flags), flags as in CASES
MASK_CASES = [
    (kind, padding, flags)
    for kind in ("SimpleRNN", "LSTM", "GRU", "GRU-before")
    for padding, flags in (
        ("post", ""),
        ("post", "seq state"),
        ("pre", "seq"),
        ("pre", "state init"),
        ("holes", "seq state"),
        ("post", "back seq state"),
        ("pre", "back init seq"),
        ("holes", "back init state"),
    )
]


@pytest.mark.parametrize(
    ("seed", "case"),
    list(enumerate(MASK_CASES)),
    ids=["-".join(filter(None, (k, p, f.replace(" ", "-")))) for k, p, f in MASK_CASES],
)
def test_masked_forward_matches_keras(seed, case):
    kind, padding, flags = case
    rng = np.random.default_rng(100 + seed)
    if kind == "GRU-before":
        kind, flags = "GRU", flags + " before"
    batch, timesteps, features, units = 5, 9, 3, 4
    options = _options(kind, flags)
    layer = KERAS_LAYERS[kind](units, **options)
    layer.build((None, timesteps, features))
    weights = _set_random_weights(layer, rng)
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    mask = _random_mask(rng, batch, timesteps, padding)
    states = [
        rng.normal(scale=0.5, size=(batch, units)).astype("float32") for _ in range(N_STATES[kind])
    ]
    initial_state = states if "init" in flags else None
    if initial_state is None:
        keras_result = layer(x, mask=mask)
    else:
        keras_result = layer(x, mask=mask, initial_state=initial_state)
    ours = FORWARDS[kind](x, *weights, initial_state=initial_state, mask=mask, **options)
    assert _compare(ours, keras_result, _cell_type(kind, options)) < TOL
    # the mask changed something: without it the result differs
    unmasked = FORWARDS[kind](x, *weights, initial_state=initial_state, **options)
    assert (
        max(np.abs(a - b).max() for a, b in zip(_parts(ours), _parts(unmasked), strict=True)) > 1e-3
    )


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_a_masked_step_carries_the_state_and_repeats_the_output(kind):
    rng = np.random.default_rng(21)
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
    bias_shape = {"SimpleRNN": (4,), "LSTM": (16,), "GRU": (2, 12)}[kind]
    weights = _numpy_weights(rng, 3, 4, gates, bias_shape)
    x = rng.normal(size=(2, 5, 3))  # (B, T, F)
    short = FORWARDS[kind](x[:, :3], *weights, return_sequences=True, return_state=True)
    padded = np.concatenate([x[:, :3], rng.normal(size=(2, 2, 3))], axis=1)  # junk steps
    post = np.array([[1, 1, 1, 0, 0]] * 2)
    seq, *final = FORWARDS[kind](
        padded, *weights, mask=post, return_sequences=True, return_state=True
    )
    np.testing.assert_allclose(seq[:, :3], short[0], atol=1e-12)
    np.testing.assert_allclose(seq[:, 3], seq[:, 2], atol=1e-12)  # output repeated
    for ours, theirs in zip(final, short[1:], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)  # state carried
    pre_padded = np.concatenate([padded[:, 3:], x[:, :3]], axis=1)  # junk first
    pre = FORWARDS[kind](pre_padded, *weights, mask=post[:, ::-1], return_sequences=True)
    np.testing.assert_array_equal(pre[:, :2], 0.0)  # nothing read yet: zeros
    np.testing.assert_allclose(pre[:, -1], short[0][:, -1], atol=1e-12)


def test_embedding_mask_zero_reaches_the_recurrent_layer():
    rng = np.random.default_rng(8)
    ids = rng.integers(1, 20, size=(4, 7))  # (B, T)
    ids[1, 4:] = 0  # post-padding
    ids[2, :3] = 0  # pre-padding
    embedding = keras.layers.Embedding(20, 3, mask_zero=True)
    masking_input = keras.layers.Masking(mask_value=0.0)
    lstm = keras.layers.LSTM(5, return_sequences=True)
    vectors = embedding(ids)  # (B, T, 3), carries ._keras_mask
    keras_out = lstm(vectors)
    mask = keras.ops.convert_to_numpy(embedding.compute_mask(ids))
    np.testing.assert_array_equal(mask, ids != 0)
    x = keras.ops.convert_to_numpy(vectors)
    ours = cells.lstm_forward(x, **cells.layer_weights(lstm), mask=ids != 0, return_sequences=True)
    assert _compare(ours, keras_out, "LSTM") < TOL
    # Masking computes the same mask from all-zero feature vectors
    zeroed = np.where((ids != 0)[:, :, None], x, 0.0).astype("float32")  # (B, T, 3)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(masking_input.compute_mask(zeroed)), ids != 0
    )


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (
            np.ones((4, 5)),
            "`mask` must have shape (4, 6) (batch=4, timesteps=6); got shape (4, 5).",
        ),
        (np.ones(6), "`mask` must be 2-D (batch, timesteps); got shape (6,)."),
        (np.full((4, 6), 0.5), "`mask` must hold booleans or 0/1"),
    ],
)
def test_mask_errors_name_the_argument(mask, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cells.gru_forward(X, np.zeros((3, 48)), np.zeros((16, 48)), mask=mask)
