"""Additive attention: the NumPy version, and the Keras layer checked against it to 1e-5."""

import keras
import numpy as np
import pytest

from course_lib import attention


def _case(seed, batch=3, query_steps=4, timesteps=7, query_dim=5, key_dim=6, units=8):
    rng = np.random.default_rng(seed)
    query = rng.standard_normal((batch, query_steps, query_dim)).astype("float32")
    keys = rng.standard_normal((batch, timesteps, key_dim)).astype("float32")
    mask = np.ones((batch, timesteps), dtype=bool)
    mask[0, timesteps - 2 :] = False
    mask[-1, 2:] = False
    return query, keys, mask


def test_scores_follow_the_formula_for_one_query_and_one_key():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((1, 3)), rng.standard_normal((1, 1, 2))
    W1, W2, v = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(4)
    expected = v @ np.tanh(q[0] @ W1 + k[0, 0] @ W2)  # v^T tanh(W1 q + W2 k)
    got = attention.additive_scores(q, k, W1, W2, v)
    assert got.shape == (1, 1)
    assert got[0, 0] == pytest.approx(expected)


def test_weights_are_a_softmax_over_the_source_and_context_their_average():
    rng = np.random.default_rng(1)
    q, k = rng.standard_normal((2, 3)), rng.standard_normal((2, 5, 4))
    W1, W2, v = rng.standard_normal((3, 6)), rng.standard_normal((4, 6)), rng.standard_normal(6)
    context, weights = attention.additive_attention(q, k, W1, W2, v)
    scores = attention.additive_scores(q, k, W1, W2, v)
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(weights, expected)
    np.testing.assert_allclose(context, np.einsum("bt,btd->bd", expected, k))


def test_masked_positions_get_no_weight():
    query, keys, mask = _case(2)
    rng = np.random.default_rng(3)
    W1, W2, v = rng.standard_normal((5, 8)), rng.standard_normal((6, 8)), rng.standard_normal(8)
    context, weights = attention.additive_attention(query, keys, W1, W2, v, mask=mask)
    assert weights.shape == (3, 4, 7) and context.shape == (3, 4, 6)
    assert (weights[~np.broadcast_to(mask[:, None], weights.shape)] == 0).all()
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)
    # Only the real positions count: the same as attending over the first 2 keys alone.
    short, short_weights = attention.additive_attention(query[-1:], keys[-1:, :2], W1, W2, v)
    np.testing.assert_allclose(weights[-1:, :, :2], short_weights)
    np.testing.assert_allclose(context[-1:], short)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("masked", [False, True])
def test_keras_layer_matches_numpy_to_1e_5(seed, masked):
    keras.utils.set_random_seed(seed)
    query, keys, mask = _case(seed)
    layer = attention.BahdanauAttention(8)
    context, weights = layer(query, keys, value_mask=mask if masked else None)
    expected_context, expected_weights = attention.additive_attention(
        query, keys, **layer.numpy_weights(), mask=mask if masked else None
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), expected_weights, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(context), expected_context, atol=1e-5)


def test_keras_layer_has_w1_w2_and_v():
    layer = attention.BahdanauAttention(8)
    layer(np.ones((2, 3, 5), "float32"), np.ones((2, 4, 6), "float32"))
    shapes = {name: w.shape for name, w in layer.numpy_weights().items()}
    assert shapes == {"W1": (5, 8), "W2": (6, 8), "v": (8,)}
    assert len(layer.trainable_weights) == 3


def test_keras_additive_attention_alone_lacks_the_matrices():
    # keras.layers.AdditiveAttention scores sum(scale * tanh(q + k)): Bahdanau's score with
    # W1 = W2 = identity. Our layer with identity matrices must give the same weights.
    keras.utils.set_random_seed(0)
    query, keys, _ = _case(4, query_dim=6, key_dim=6, units=6)
    plain = keras.layers.AdditiveAttention(use_scale=True)
    _, plain_weights = plain([query, keys], return_attention_scores=True)
    v = keras.ops.convert_to_numpy(plain.scale)
    _, expected = attention.additive_attention(query, keys, np.eye(6), np.eye(6), v)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(plain_weights), expected, atol=1e-5)


def test_bad_shapes_raise_value_errors():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 3)), rng.standard_normal((2, 5, 4))
    W1, W2, v = rng.standard_normal((3, 6)), rng.standard_normal((4, 6)), rng.standard_normal(6)
    with pytest.raises(ValueError, match="`W1` must be"):
        attention.additive_scores(q, k, W2, W2, v)
    with pytest.raises(ValueError, match="`keys` must be 3-D"):
        attention.additive_scores(q, k[0], W1, W2, v)
    with pytest.raises(ValueError, match="must share `units`"):
        attention.additive_scores(q, k, W1, W2, v[:5])
    with pytest.raises(ValueError, match="`mask` must have shape"):
        attention.additive_attention(q, k, W1, W2, v, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="at least one position"):
        attention.masked_softmax(np.zeros((1, 3)), np.zeros((1, 3), bool))
