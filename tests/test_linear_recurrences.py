"""Tests of course_lib.linear_recurrences and course_lib.mingru (Chapter 9)."""

import numpy as np
import pytest

from course_lib import linear_recurrences as lr


def _random_scan(seed, batch=3, timesteps=11, units=4):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.05, 1.0, (batch, timesteps, units))
    b = rng.standard_normal((batch, timesteps, units))
    h0 = rng.standard_normal((batch, units))
    return a, b, h0


def test_linear_scan_matches_the_recurrence_written_out():
    a, b, h0 = _random_scan(0, timesteps=3)
    h1 = a[:, 0] * h0 + b[:, 0]
    h2 = a[:, 1] * h1 + b[:, 1]
    h3 = a[:, 2] * h2 + b[:, 2]
    np.testing.assert_allclose(lr.linear_scan(a, b, h0), np.stack([h1, h2, h3], axis=1))


@pytest.mark.parametrize("seed", range(4))
def test_cumsum_and_log_space_forms_agree_with_the_loop(seed):
    a, b, h0 = _random_scan(seed, timesteps=8 + seed)
    reference = lr.linear_scan(a, b, h0)
    np.testing.assert_allclose(lr.linear_scan_cumsum(a, b, h0), reference, rtol=1e-9, atol=1e-9)
    positive = np.abs(b) + 0.1
    log_h = lr.linear_scan_log_space(np.log(a), np.log(positive), np.log(np.abs(h0)))
    np.testing.assert_allclose(np.exp(log_h), lr.linear_scan(a, positive, np.abs(h0)), rtol=1e-9)


def test_cumsum_form_breaks_on_long_sequences_where_log_space_does_not():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.2, 0.6, (1, 2000, 2))
    b = rng.uniform(0.5, 1.0, (1, 2000, 2))
    reference = lr.linear_scan(a, b)
    assert not np.all(np.isfinite(lr.linear_scan_cumsum(a, b)))  # 1 / prod(a) overflows
    log_h = lr.linear_scan_log_space(np.log(a), np.log(b))
    np.testing.assert_allclose(np.exp(log_h), reference, rtol=1e-9)


def test_linear_scan_accepts_complex_coefficients():
    lam = np.array([0.9 * np.exp(0.3j)])
    a = np.broadcast_to(lam, (1, 5, 1))
    b = np.zeros((1, 5, 1), dtype=complex)
    b[0, 0, 0] = 1.0
    np.testing.assert_allclose(lr.linear_scan(a, b)[0, :, 0], lam[0] ** np.arange(5))


def test_scan_arguments_are_validated():
    a, b, h0 = _random_scan(0)
    with pytest.raises(ValueError, match="`a` must be 3-D"):
        lr.linear_scan(a[0], b)
    with pytest.raises(ValueError, match="`a` and `b` must have the same shape"):
        lr.linear_scan(a, b[:, 1:])
    with pytest.raises(ValueError, match=r"`h0` must have shape \(3, 4\)"):
        lr.linear_scan(a, b, h0[:, :2])
    with pytest.raises(ValueError, match="`a` must be strictly positive"):
        lr.linear_scan_cumsum(-a, b)


def test_min_gru_forward_follows_the_equations():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 3))
    kernel, bias = rng.standard_normal((3, 8)), rng.standard_normal(8)
    h0 = rng.standard_normal((2, 4))
    h = h0
    for t in range(6):
        proj = x[:, t] @ kernel + bias
        z = 1 / (1 + np.exp(-proj[:, :4]))
        h = (1 - z) * h + z * proj[:, 4:]
    np.testing.assert_allclose(lr.min_gru_forward(x, kernel, bias, h0), h)
    assert lr.min_gru_forward(x, kernel, bias, return_sequences=True).shape == (2, 6, 4)


def test_min_lstm_forward_follows_the_equations():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3))
    kernel, bias = rng.standard_normal((3, 12)), rng.standard_normal(12)
    h = np.zeros((2, 4))
    for t in range(5):
        proj = x[:, t] @ kernel + bias
        f, i = (1 / (1 + np.exp(-proj[:, k * 4 : (k + 1) * 4])) for k in range(2))
        h = f / (f + i) * h + i / (f + i) * proj[:, 8:]
    np.testing.assert_allclose(lr.min_lstm_forward(x, kernel, bias), h)


def test_min_gru_weights_are_validated():
    x = np.ones((2, 5, 3))
    with pytest.raises(ValueError, match=r"`kernel` must have shape \(3, 2 \* units\)"):
        lr.min_gru_forward(x, np.zeros((4, 8)), np.zeros(8))
    with pytest.raises(ValueError, match=r"`bias` must have shape \(8,\)"):
        lr.min_gru_forward(x, np.zeros((3, 8)), np.zeros(6))


def test_gate_bias_for_memory_gives_back_the_share_kept():
    steps = np.array([1.0, 10.0, 150.0, 20_000.0])
    kept = np.array([0.5, 1e-3, 1e-3, 0.5])
    bias = lr.gate_bias_for_memory(steps, kept)
    assert bias.shape == (4,)
    kept_again = (1.0 - 1.0 / (1.0 + np.exp(-bias))) ** steps  # (1 - sigmoid(b)) ** steps
    np.testing.assert_allclose(kept_again, kept, rtol=1e-9)
    assert lr.gate_bias_for_memory(1, 0.5) == 0.0  # z = 1/2 keeps half in one step
    assert isinstance(lr.gate_bias_for_memory(150, 1e-3), float)
    with pytest.raises(ValueError, match="`steps` must be at least 1; got 0"):
        lr.gate_bias_for_memory(0, 0.5)
    with pytest.raises(ValueError, match=r"`kept` must be in \(0, 1\); got 1"):
        lr.gate_bias_for_memory(5, [0.5, 1.0])


def test_lru_eigenvalues_lie_on_the_requested_ring():
    nu_log, theta_log = lr.lru_parameters(500, r_min=0.4, r_max=0.9, max_phase=np.pi, seed=3)
    lam = lr.lru_eigenvalues(nu_log, theta_log)
    radius = np.abs(lam)
    assert radius.min() >= 0.4 - 1e-12 and radius.max() <= 0.9 + 1e-12
    assert np.angle(lam).min() >= -1e-9 and np.angle(lam).max() <= np.pi
    # uniform by area: the median radius is sqrt((0.4^2 + 0.9^2) / 2)
    assert abs(np.median(radius) - np.sqrt((0.16 + 0.81) / 2)) < 0.03
    # any real parameters stay inside the unit circle
    assert np.all(np.abs(lr.lru_eigenvalues(nu_log - 20, theta_log + 5)) < 1)
    with pytest.raises(ValueError, match="`r_max` must be in"):
        lr.lru_parameters(4, r_min=0.5, r_max=1.2)


def test_ssm_kernel_convolution_equals_the_recurrence():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((5, 5))
    A *= 0.95 / np.max(np.abs(np.linalg.eigvals(A)))
    B, C = rng.standard_normal((5, 2)), rng.standard_normal((3, 5))
    u = rng.standard_normal((4, 40, 2))
    kernel = lr.ssm_kernel(A, B, C, 40)
    assert kernel.shape == (40, 3, 2)
    np.testing.assert_allclose(kernel[2], C @ A @ A @ B)
    recurrent = lr.ssm_recurrence(A, B, C, u)
    direct = np.stack(
        [sum(u[:, t - k] @ kernel[k].T for k in range(t + 1)) for t in range(40)], axis=1
    )
    np.testing.assert_allclose(recurrent, direct, atol=1e-10)
    np.testing.assert_allclose(lr.causal_fft_convolution(kernel, u), recurrent, atol=1e-10)


def test_ssm_arguments_are_validated():
    with pytest.raises(ValueError, match="`A` must be square"):
        lr.ssm_kernel(np.zeros((2, 3)), np.zeros((2, 1)), np.zeros((1, 2)), 4)
    with pytest.raises(ValueError, match="`C` must have 2 columns"):
        lr.ssm_kernel(np.eye(2), np.zeros((2, 1)), np.zeros((1, 3)), 4)
    with pytest.raises(ValueError, match="`u` must have 2 features"):
        lr.causal_fft_convolution(np.zeros((4, 1, 2)), np.zeros((1, 4, 3)))


# -- the Keras layers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_layers():
    import course_lib

    course_lib.setup(seed=0)
    from course_lib import mingru

    return mingru


CASES = [(1, 1, 1, 1), (2, 7, 3, 5), (3, 64, 2, 8), (2, 200, 4, 3), (1, 1000, 2, 2)]


@pytest.mark.parametrize("cell", ["MinGRU", "MinLSTM"])
@pytest.mark.parametrize(("batch", "timesteps", "features", "units"), CASES)
def test_every_mode_matches_the_numpy_reference(
    keras_layers, cell, batch, timesteps, features, units
):
    import keras

    seed = batch * 1000 + timesteps + units
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, timesteps, features)).astype("float32")
    h0 = rng.standard_normal((batch, units)).astype("float32")
    reference = {"MinGRU": lr.min_gru_forward, "MinLSTM": lr.min_lstm_forward}[cell]
    outputs = {}
    for mode in keras_layers.MODES:
        layer = getattr(keras_layers, cell)(units, mode=mode, return_sequences=True)
        layer.build(x.shape)
        if not outputs:
            weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        outputs[mode] = keras.ops.convert_to_numpy(layer(x, initial_state=h0))
    expected = reference(x, *weights, h0, return_sequences=True)
    for mode, got in outputs.items():
        assert got.shape == (batch, timesteps, units)
        assert np.abs(got - expected).max() < 1e-5, (mode, np.abs(got - expected).max())
    assert np.abs(outputs["loop"] - outputs["scan"]).max() < 1e-5


def test_layer_without_return_sequences_returns_the_last_state(keras_layers):
    import keras

    x = np.random.default_rng(0).standard_normal((2, 9, 3)).astype("float32")
    layer = keras_layers.MinGRU(4)
    last = keras.ops.convert_to_numpy(layer(x))
    weights = layer.get_weights()
    np.testing.assert_allclose(last, lr.min_gru_forward(x, *weights), atol=1e-5)
    assert layer.compute_output_shape((2, 9, 3)) == (2, 4)
    assert keras_layers.MinGRU.from_config(layer.get_config()).mode == "scan"


def test_layer_arguments_are_validated(keras_layers):
    with pytest.raises(ValueError, match="`mode` must be one of 'loop', 'scan'"):
        keras_layers.MinGRU(4, mode="parallel")
    with pytest.raises(ValueError, match="`units` must be at least 1"):
        keras_layers.MinLSTM(0)
    with pytest.raises(ValueError, match="`return_sequences` must be True or False"):
        keras_layers.MinGRU(4, return_sequences="yes")
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, timesteps"):
        keras_layers.MinGRU(4).build((2, 3))
    with pytest.raises(ValueError, match="`gate_bias` must be a number; got str 'long'"):
        keras_layers.MinGRU(4, gate_bias="long")
    with pytest.raises(ValueError, match="`selective` must be True or False; got int 0"):
        keras_layers.MinGRU(4, selective=0)


def test_gate_bias_shifts_the_initial_update_gate_only(keras_layers):
    layer = keras_layers.MinGRU(3, gate_bias=-3.0, bias_initializer="ones")
    layer.build((1, 4, 2))
    np.testing.assert_allclose(layer.get_weights()[1], [-2.0] * 3 + [1.0] * 3)
    config = layer.get_config()
    assert config["gate_bias"] == -3.0 and config["selective"] is True
    x = np.random.default_rng(1).standard_normal((2, 6, 2)).astype("float32")
    import keras

    got = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(got, lr.min_gru_forward(x, *layer.get_weights()), atol=1e-6)


@pytest.mark.parametrize("mode", ["loop", "scan"])
def test_non_selective_gate_ignores_the_input(keras_layers, mode):
    import keras

    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 40, 2)).astype("float32")
    layer = keras_layers.MinGRU(5, selective=False, mode=mode, return_sequences=True)
    layer.build(x.shape)
    kernel, bias = (rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights())
    layer.set_weights([kernel, bias])
    got = keras.ops.convert_to_numpy(layer(x))
    time_invariant = kernel.copy()
    time_invariant[:, :5] = 0.0  # z reads only its bias
    expected = lr.min_gru_forward(x, time_invariant, bias, return_sequences=True)
    assert np.abs(got - expected).max() < 1e-5
    selective = keras_layers.MinGRU(5, mode=mode, return_sequences=True)
    selective.build(x.shape)
    selective.set_weights([kernel, bias])
    assert np.abs(keras.ops.convert_to_numpy(selective(x)) - got).max() > 0.1
    assert keras_layers.MinGRU.from_config(layer.get_config()).selective is False


@pytest.mark.parametrize("cell", ["MinGRU", "MinLSTM"])
@pytest.mark.parametrize("timesteps", [1, 37, 256])
def test_loop_and_scan_have_the_same_gradients(keras_layers, cell, timesteps):
    import tensorflow as tf

    rng = np.random.default_rng(timesteps)
    x = tf.constant(rng.standard_normal((4, timesteps, 3)), tf.float32)
    target = tf.constant(rng.standard_normal((4, timesteps, 6)), tf.float32)
    gradients = {}
    weights = None
    for mode in keras_layers.MODES:
        layer = getattr(keras_layers, cell)(6, mode=mode, return_sequences=True)
        layer.build(x.shape)
        weights = weights or [
            rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()
        ]
        layer.set_weights(weights)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((layer(x) - target) ** 2)
        gradients[mode] = [g.numpy() for g in tape.gradient(loss, layer.trainable_variables)]
    for loop, scan in zip(gradients["loop"], gradients["scan"], strict=True):
        assert np.abs(loop - scan).max() <= 1e-5 * max(1.0, np.abs(loop).max())


@pytest.mark.parametrize("mode", ["loop", "scan"])
def test_layer_trains(keras_layers, mode):
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 20, 2)).astype("float32")
    y = x[:, :, 0].mean(axis=1, keepdims=True)  # the running mean: a linear recurrence
    model = keras.Sequential(
        [keras.Input((20, 2)), keras_layers.MinGRU(8, mode=mode), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.02), "mse", jit_compile=mode == "loop")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert after < 0.2 * before, (before, after)
