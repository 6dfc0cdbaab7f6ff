"""Tests of `course_lib.gradients` against tf.GradientTape and a NumPy BPTT."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_lib.gradients import (
    _check_chain_output,
    _unrolled_forward,
    hidden_state_gradient_norms,
    largest_singular_value,
    recurrent_jacobian_norms,
)

B, T, F, H = 5, 6, 3, 4  # batch, timesteps, features, units
RECURRENT = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "LSTM": keras.layers.LSTM,
    "GRU": keras.layers.GRU,
}


def _data(seed=0, batch=B, timesteps=T, features=F, outputs=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, timesteps, features)).astype("float32")
    y = rng.normal(size=(batch, outputs)).astype("float32")
    return X, y


def _model(kind="SimpleRNN", *, return_sequences=False, go_backwards=False, seed=0):
    keras.utils.set_random_seed(seed)
    layers = [
        keras.Input((T, F)),
        RECURRENT[kind](H, return_sequences=return_sequences, go_backwards=go_backwards),
    ]
    if return_sequences:
        layers.append(keras.layers.Flatten())
    layers.append(keras.layers.Dense(1))
    return keras.Sequential(layers)


def _mse(y, y_pred):
    return float(np.mean((np.asarray(y_pred) - y) ** 2))


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences, go_backwards", [(False, False), (True, True)])
def test_unrolled_loss_equals_model_loss(kind, return_sequences, go_backwards):
    model = _model(kind, return_sequences=return_sequences, go_backwards=go_backwards)
    X, y = _data()
    with tf.GradientTape() as tape:
        total, hidden_states, y_pred = _unrolled_forward(
            model, tf.constant(X), y, keras.losses.get("mse"), None, tape
        )
    assert len(hidden_states) == T
    assert hidden_states[0].shape == (B, H)
    np.testing.assert_allclose(float(total) / B, _mse(y, model(X)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(y_pred), np.asarray(model(X)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_last_step_equals_gradient_of_layer_output(kind):
    model = _model(kind)
    X, y = _data(1)
    rnn, dense = model.layers
    with tf.GradientTape() as tape:
        out = rnn(tf.constant(X))  # (B, H), the ordinary Keras call
        tape.watch(out)
        loss = keras.losses.MeanSquaredError()(y, dense(out))  # mean over the batch
    grad = tape.gradient(loss, out) * B  # per-sample losses, see the docstring
    expected = np.mean(np.linalg.norm(grad, axis=-1))
    norms = hidden_state_gradient_norms(model, X, y)
    assert norms.shape == (T,)
    np.testing.assert_allclose(norms[-1], expected, rtol=1e-5)


def _numpy_bptt(X, y, W, U, b, Wd, bd, *, return_sequences):
    """Hand-written BPTT for SimpleRNN(tanh) -> [Flatten] -> Dense(1) with an MSE loss."""
    batch, timesteps, _ = X.shape
    units = U.shape[0]
    h = np.zeros((batch, units))
    hs = []
    for t in range(timesteps):
        h = np.tanh(X[:, t] @ W + h @ U + b)  # (B, H)
        hs.append(h)
    hs = np.stack(hs, axis=1)  # (B, T, H)
    features = hs.reshape(batch, -1) if return_sequences else hs[:, -1]  # (B, T*H) or (B, H)
    y_pred = features @ Wd + bd  # (B, 1)
    d_pred = 2.0 * (y_pred - y)  # d L_i / d y_pred for L_i = mean over 1 output
    d_features = d_pred @ Wd.T  # (B, T*H) or (B, H)
    direct = np.zeros_like(hs)
    if return_sequences:
        direct = d_features.reshape(batch, timesteps, units)  # (B, T, H)
    else:
        direct[:, -1] = d_features
    grads = np.zeros_like(hs)
    carry = np.zeros((batch, units))
    for t in range(timesteps - 1, -1, -1):
        grads[:, t] = direct[:, t] + carry  # total dL_i/dh_t, (B, H)
        carry = (grads[:, t] * (1.0 - hs[:, t] ** 2)) @ U.T  # dL_i/dh_{t-1}, (B, H)
    return np.linalg.norm(grads, axis=-1).mean(axis=0)  # (T,)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_simple_rnn_matches_numpy_bptt(return_sequences):
    model = _model("SimpleRNN", return_sequences=return_sequences, seed=3)
    X, y = _data(2)
    rnn, dense = model.layers[0], model.layers[-1]
    W, U, b = (np.asarray(w, dtype=np.float64) for w in rnn.get_weights())
    Wd, bd = (np.asarray(w, dtype=np.float64) for w in dense.get_weights())
    expected = _numpy_bptt(
        X.astype(np.float64), y, W, U, b, Wd, bd, return_sequences=return_sequences
    )
    norms = hidden_state_gradient_norms(model, X, y)
    np.testing.assert_allclose(norms, expected, rtol=1e-4)


def test_wrt_inputs_equals_tape_gradient():
    model = _model("LSTM", return_sequences=True)
    X, y = _data(4)
    X_tensor = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(X_tensor)
        loss = tf.reduce_sum(keras.losses.mean_squared_error(y, model(X_tensor)))
    expected = np.linalg.norm(tape.gradient(loss, X_tensor), axis=-1).mean(axis=0)  # (T,)
    norms = hidden_state_gradient_norms(model, X, y, wrt="inputs")
    assert norms.shape == (T,)
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


def _orthogonal(units, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(units, units)))
    return q


@pytest.mark.parametrize("scale, grows_backwards", [(0.5, False), (1.3, True)])
def test_small_recurrent_weights_vanish_large_ones_grow(scale, grows_backwards):
    timesteps, units = 12, 8
    model = keras.Sequential(
        [
            keras.Input((timesteps, 1)),
            keras.layers.SimpleRNN(units, use_bias=False),
            keras.layers.Dense(1, use_bias=False),
        ]
    )
    rnn, dense = model.layers
    kernel = np.full((1, units), 0.01)  # tiny inputs keep tanh in its linear regime
    rnn.set_weights([kernel, scale * _orthogonal(units, 0)])
    dense.set_weights([np.ones((units, 1))])
    X = np.ones((2, timesteps, 1), dtype="float32")
    y = np.ones((2, 1), dtype="float32")
    norms = hidden_state_gradient_norms(model, X, y)
    ratio = norms[0] / norms[-1]
    # In the linear regime dh_T/dh_1 ~ (scale * Q.T) ** (T - 1): ratio ~ scale ** 11.
    if grows_backwards:
        assert ratio > 5.0
    else:
        assert ratio < 1e-2
        assert np.all(np.diff(norms) > 0)  # monotone decay towards early steps


def test_layer_selection_and_functional_chain():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((T, F))
    x = keras.layers.GRU(H, return_sequences=True, name="first")(inputs)
    x = keras.layers.SimpleRNN(3, name="second")(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    X, y = _data(5)
    by_name = hidden_state_gradient_norms(model, X, y, layer="second")
    by_index = hidden_state_gradient_norms(model, X, y, layer=2)
    by_object = hidden_state_gradient_norms(model, X, y, layer=model.get_layer("second"))
    np.testing.assert_allclose(by_name, by_index)
    np.testing.assert_allclose(by_name, by_object)
    first = hidden_state_gradient_norms(model, X, y)
    assert not np.allclose(first, by_name)  # default: the first recurrent layer


def test_functional_model_with_an_operation_between_layers():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((T, F))
    x = keras.layers.LSTM(H, return_sequences=True)(inputs)
    outputs = keras.layers.Dense(1)(x[:, -1])  # a GetItem operation, not a layer
    model = keras.Model(inputs, outputs)
    X, y = _data(6)
    norms = hidden_state_gradient_norms(model, X, y)
    # Only the last state is used: the gradient at step T is the output's gradient.
    sequential = keras.Sequential([keras.Input((T, F)), model.layers[1].__class__(H)])
    sequential.layers[0].set_weights(model.layers[1].get_weights())
    head = keras.Sequential([sequential, model.layers[-1]])
    np.testing.assert_allclose(norms, hidden_state_gradient_norms(head, X, y), rtol=1e-5)


def test_embedding_front_with_token_ids():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((T,), dtype="int32"),
            keras.layers.Embedding(7, 3),
            keras.layers.LSTM(H),
            keras.layers.Dense(7),
        ]
    )
    X = np.random.default_rng(0).integers(0, 7, size=(B, T))
    y = np.arange(B) % 7
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    norms = hidden_state_gradient_norms(model, X, y, loss=loss)
    assert norms.shape == (T,)
    assert np.all(np.isfinite(norms)) and np.all(norms > 0)


def test_argument_errors():
    model = _model("SimpleRNN")
    X, y = _data()
    with pytest.raises(ValueError, match=r"`X` must be 3-D \(batch, timesteps, features\)"):
        hidden_state_gradient_norms(model, X[:, :, 0], y)
    with pytest.raises(ValueError, match="`y` must have the same batch size"):
        hidden_state_gradient_norms(model, X, y[:2])
    with pytest.raises(ValueError, match="`wrt` must be one of"):
        hidden_state_gradient_norms(model, X, y, wrt="weights")
    with pytest.raises(ValueError, match="`layer` must name a recurrent layer"):
        hidden_state_gradient_norms(model, X, y, layer=1)
    dense_only = keras.Sequential(
        [keras.Input((T, F)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="`model` must contain a recurrent layer"):
        hidden_state_gradient_norms(dense_only, X, y)
    # wrt="inputs" works for a model without a recurrent layer.
    assert hidden_state_gradient_norms(dense_only, X, y, wrt="inputs").shape == (T,)


def test_branching_model_is_rejected():
    inputs = keras.Input((T, F))
    a = keras.layers.SimpleRNN(H)(inputs)
    b = keras.layers.Dense(H)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Add()([a, b])))
    X, y = _data()
    with pytest.raises(ValueError, match="`model` must be a chain of layers"):
        hidden_state_gradient_norms(model, X, y)
    assert hidden_state_gradient_norms(model, X, y, wrt="inputs").shape == (T,)


# ------------------------------------------------------------------------------------
# recurrent_jacobian_norms and largest_singular_value
# ------------------------------------------------------------------------------------


def test_largest_singular_value():
    assert largest_singular_value(np.diag([3.0, -0.5])) == pytest.approx(3.0)
    A = np.random.default_rng(0).normal(size=(4, 3))
    assert largest_singular_value(A) == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])
    with pytest.raises(ValueError, match="`matrix` must be 2-D"):
        largest_singular_value(np.ones(3))


def test_jacobian_norms_match_gradient_tape():
    timesteps, features, units = 5, 2, 3
    rng = np.random.default_rng(0)
    W, U = rng.normal(size=(features, units)), rng.normal(size=(units, units))
    b, x = rng.normal(size=units), rng.normal(size=(1, timesteps, features))

    def step(h, t):  # Keras convention: h_t = tanh(x_t @ W + h_{t-1} @ U + b), (1, H)
        return tf.tanh(x[:, t] @ W + h @ U + b)

    h, hs = tf.zeros((1, units), dtype=tf.float64), []
    for t in range(timesteps):
        h = step(h, t)
        hs.append(h)
    expected = []
    for t in range(timesteps - 1):  # dh_T/dh_t, starting the recurrence again from h_t
        start = hs[t]
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(start)
            h = start
            for k in range(t + 1, timesteps):
                h = step(h, k)
            rows = [h[0, i] for i in range(units)]
        jacobian = np.concatenate([tape.gradient(row, start) for row in rows])  # (H, H)
        expected.append(np.linalg.svd(jacobian, compute_uv=False)[0])
    norms = recurrent_jacobian_norms(U, np.concatenate(hs))  # (T, H) states
    assert norms.shape == (timesteps,)
    np.testing.assert_allclose(norms[:-1], expected, rtol=1e-10)
    assert norms[-1] == 1.0


def test_jacobian_norms_scaled_orthogonal():
    timesteps, units, a = 6, 4, 0.7
    U = a * _orthogonal(units, 1)
    # Zero input, zero initial state: every h_t is 0 and tanh' = 1, so the norm is a**(T-t).
    zero_states = np.zeros((timesteps, units))
    powers = a ** np.arange(timesteps - 1, -1, -1)
    np.testing.assert_allclose(recurrent_jacobian_norms(U, zero_states), powers)
    # States with equal magnitudes s_t: diag(1 - s_t**2) is a multiple of the identity.
    s = np.linspace(0.1, 0.6, timesteps)
    states = s[:, None] * np.array([1.0, -1.0, 1.0, -1.0])  # (T, H)
    factors = np.append(np.cumprod((1 - s[1:] ** 2)[::-1])[::-1], 1.0)  # prod_{k>t} (1-s_k^2)
    np.testing.assert_allclose(recurrent_jacobian_norms(U, states), powers * factors)


def test_jacobian_norms_errors():
    with pytest.raises(ValueError, match="`recurrent_kernel` must be square"):
        recurrent_jacobian_norms(np.ones((2, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"`hidden_states` must be 2-D \(timesteps, units\)"):
        recurrent_jacobian_norms(np.eye(3), np.ones((1, 4, 3)))
    with pytest.raises(ValueError, match="`hidden_states` must have 3 units"):
        recurrent_jacobian_norms(np.eye(3), np.ones((4, 2)))


def test_unsupported_layers_are_named():
    X, y = _data()
    bidirectional = keras.Sequential(
        [
            keras.Input((T, F)),
            keras.layers.Bidirectional(keras.layers.LSTM(H)),
            keras.layers.Dense(1),
        ]
    )
    with pytest.raises(ValueError, match="`Bidirectional` layers are not supported"):
        hidden_state_gradient_norms(bidirectional, X, y)


def test_chain_output_check():
    # The last guard: the layers run one after the other must reproduce model(X).
    model = _model("SimpleRNN")
    X, _ = _data()
    _check_chain_output(model, X, model(X))
    with pytest.raises(ValueError, match=r"does not reproduce `model\(X\)`"):
        _check_chain_output(model, X, model(X) + 1e-3)


# --------------------------------------------------------------------------------------
# Masked recurrent layers (Chapter 7)
# --------------------------------------------------------------------------------------


def _masked_model(kind, *, head="last", go_backwards=False, seed=0):
    keras.utils.set_random_seed(seed)
    return_sequences = head == "average"
    layers = [
        keras.Input((None, F)),
        keras.layers.Masking(),
        RECURRENT[kind](
            H,
            return_sequences=return_sequences,
            go_backwards=go_backwards,
            bias_initializer=keras.initializers.RandomNormal(stddev=0.5),  # pads then matter
        ),
    ]
    if return_sequences:
        layers.append(keras.layers.GlobalAveragePooling1D())  # uses the mask
    layers.append(keras.layers.Dense(1))
    return keras.Sequential(layers)


def _padded(X, lengths, padding):
    """Zero the padded steps of `X` (B, T, F): post- or pre-padding to `lengths`."""
    steps = np.arange(X.shape[1])[None, :]  # (1, T)
    if padding == "post":
        real = steps < lengths[:, None]
    else:
        real = steps >= X.shape[1] - lengths[:, None]
    return np.where(real[:, :, None], X, 0.0).astype("float32"), real


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize(
    ("head", "padding", "go_backwards"),
    [("last", "post", False), ("last", "pre", False), ("average", "post", True)],
)
def test_masked_unrolled_loss_equals_model_loss(kind, head, padding, go_backwards):
    model = _masked_model(kind, head=head, go_backwards=go_backwards)
    X, y = _data(3)
    X, _ = _padded(X, np.array([6, 2, 4, 1, 5]), padding)
    with tf.GradientTape() as tape:
        total, hidden_states, y_pred = _unrolled_forward(
            model, tf.constant(X), y, keras.losses.get("mse"), None, tape
        )
    np.testing.assert_allclose(np.asarray(y_pred), np.asarray(model(X)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(total) / B, _mse(y, model(X)), rtol=1e-5, atol=1e-6)
    # the mask mattered: the same weights without Masking give another output
    unmasked = keras.Sequential(
        [la for la in model.layers if not isinstance(la, keras.layers.Masking)]
    )
    assert not np.allclose(np.asarray(unmasked(X)), np.asarray(model(X)), atol=1e-4)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_post_padding_with_a_mask_leaves_the_real_steps_gradients_unchanged(kind):
    model = _masked_model(kind)
    X, y = _data(4, timesteps=4)
    padded = np.concatenate([X, np.zeros((B, 3, F), "float32")], axis=1)  # (B, 7, F)
    short = hidden_state_gradient_norms(model, X, y)
    long = hidden_state_gradient_norms(model, padded, y)
    assert long.shape == (7,)
    np.testing.assert_allclose(long[:4], short, rtol=1e-5)
    # the padded steps only copy h_4 on to the output: the same gradient as at step 4
    np.testing.assert_allclose(long[4:], short[-1], rtol=1e-5)


def test_masked_gradient_with_embedding_and_token_ids():
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(9, 3, mask_zero=True),
            keras.layers.GRU(H),
            keras.layers.Dense(1),
        ]
    )
    ids = np.random.default_rng(2).integers(1, 9, size=(B, T))
    y = np.random.default_rng(3).normal(size=(B, 1)).astype("float32")
    pre = ids.copy()
    pre[:, :2] = 0  # two padding tokens in front of every sequence
    norms = hidden_state_gradient_norms(model, pre, y)
    np.testing.assert_allclose(
        norms[2:], hidden_state_gradient_norms(model, ids[:, 2:], y), rtol=1e-5
    )
    # the zero initial state is carried through the padding; nothing reads a pad token
    grads = hidden_state_gradient_norms(model, pre, y, wrt="hidden")
    assert np.all(np.isfinite(grads))
