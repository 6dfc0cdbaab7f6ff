"""Additive attention (Bahdanau et al., 2015) in NumPy and as a Keras layer.

A decoder state (the *query* `q`) scores every encoder output (the *keys* `k_j`) with

    e_j = v^T tanh(W1 q + W2 k_j),

the scores become weights by a softmax over the source positions, `a = softmax(e)`, and
the *context* is the weighted sum of the encoder outputs (the *values*), `c = sum_j a_j k_j`.
Row vectors, as everywhere in the course: `q @ W1` with `W1` of shape (query_dim, units).

`keras.layers.AdditiveAttention` computes `sum(scale * tanh(query + key))`: the score of
Bahdanau et al. *without* the two matrices, its `scale` vector playing the part of `v`.
`BahdanauAttention` adds `W1` and `W2` as two bias-free `Dense` layers in front of it, and
`tests/test_attention.py` checks it against `additive_attention` to 1e-5.

Introduced in Chapter 8 (Sequence to sequence), notebook 8b (attention).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from course_lib.validation import as_array

__all__ = ["BahdanauAttention", "additive_attention", "additive_scores", "masked_softmax"]


def additive_scores(query: Any, keys: Any, W1: Any, W2: Any, v: Any) -> np.ndarray:
    """The additive scores `v^T tanh(W1 q + W2 k_j)` of one query against every key.

    Args:
        query: decoder states, `(batch, query_dim)`, or `(batch, query_steps, query_dim)`
            for several queries at once.
        keys: encoder outputs, `(batch, timesteps, key_dim)`.
        W1: `(query_dim, units)`.
        W2: `(key_dim, units)`.
        v: `(units,)`.

    Returns:
        Scores `(batch, timesteps)`, or `(batch, query_steps, timesteps)`.

    Introduced in Chapter 8 (Sequence to sequence), notebook 8b (attention).
    """
    query = as_array(query, "query", ndim=(2, 3), layout="(batch, [query_steps,] query_dim)")
    keys = as_array(keys, "keys", ndim=3, layout="(batch, timesteps, key_dim)")
    W1 = as_array(W1, "W1", ndim=2, layout="(query_dim, units)")
    W2 = as_array(W2, "W2", ndim=2, layout="(key_dim, units)")
    v = as_array(v, "v", ndim=1, layout="(units,)")
    if query.shape[-1] != W1.shape[0] or keys.shape[-1] != W2.shape[0]:
        raise ValueError(
            f"`W1` must be (query_dim={query.shape[-1]}, units) and `W2` (key_dim="
            f"{keys.shape[-1]}, units); got shapes {W1.shape} and {W2.shape}."
        )
    if W1.shape[1] != W2.shape[1] or W1.shape[1] != v.shape[0]:
        raise ValueError(
            f"`W1`, `W2` and `v` must share `units`; got shapes {W1.shape}, {W2.shape}, {v.shape}."
        )
    if query.shape[0] != keys.shape[0]:
        raise ValueError(
            f"`query` and `keys` must have the same batch size; got {query.shape[0]} and "
            f"{keys.shape[0]}."
        )
    single = query.ndim == 2
    q = query[:, None, :] if single else query  # (B, Tq, Dq)
    projected_q = q @ W1  # (B, Tq, Dq) @ (Dq, A) -> (B, Tq, A)
    projected_k = keys @ W2  # (B, T, Dk) @ (Dk, A) -> (B, T, A)
    hidden = np.tanh(projected_q[:, :, None, :] + projected_k[:, None, :, :])  # (B, Tq, T, A)
    scores = hidden @ v  # (B, Tq, T)
    return scores[:, 0] if single else scores


def masked_softmax(scores: Any, mask: Any = None) -> np.ndarray:
    """Softmax over the last axis, giving weight 0 where `mask` is False.

    Args:
        scores: `(..., timesteps)`.
        mask: booleans broadcastable to `scores` (True = a real position), or None.

    Returns:
        Weights of the shape of `scores`, summing to 1 over the last axis.

    Introduced in Chapter 8 (Sequence to sequence), notebook 8b (attention).
    """
    scores = as_array(scores, "scores")
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
        if not mask.any(axis=-1).all():
            raise ValueError("`mask` must keep at least one position of every row; got a row "
                             "of False only.")  # fmt: skip
        scores = np.where(mask, scores, -np.inf)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def additive_attention(
    query: Any, keys: Any, W1: Any, W2: Any, v: Any, *, mask: Any = None, values: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Additive (Bahdanau) attention: the context vector and the attention weights.

    Args:
        query: decoder states, `(batch, query_dim)` or `(batch, query_steps, query_dim)`.
        keys: encoder outputs, `(batch, timesteps, key_dim)`.
        W1: `(query_dim, units)`.
        W2: `(key_dim, units)`.
        v: `(units,)`.
        mask: booleans `(batch, timesteps)`, False at padding, or None. Defaults to None.
        values: what the weights average, `(batch, timesteps, value_dim)`; defaults to
            `keys` (the encoder outputs serve as both).

    Returns:
        `(context, weights)`: `(batch, value_dim)` and `(batch, timesteps)`, or with a
        `query_steps` axis after `batch` when `query` has one.

    Example:
    >>> rng = np.random.default_rng(0)
    >>> q, k = rng.normal(size=(2, 3)), rng.normal(size=(2, 5, 4))
    >>> W1, W2, v = rng.normal(size=(3, 6)), rng.normal(size=(4, 6)), rng.normal(size=6)
    >>> context, weights = additive_attention(q, k, W1, W2, v)
    >>> context.shape, weights.shape, np.allclose(weights.sum(axis=1), 1)
    ((2, 4), (2, 5), True)

    Introduced in Chapter 8 (Sequence to sequence), notebook 8b (attention).
    """
    scores = additive_scores(query, keys, W1, W2, v)  # (B, [Tq,] T)
    keys = np.asarray(keys, dtype=np.float64)
    values = keys if values is None else as_array(values, "values", ndim=3)
    if mask is not None:
        mask = as_array(mask, "mask", ndim=2, layout="(batch, timesteps)", dtype=bool)
        if mask.shape != keys.shape[:2]:
            raise ValueError(
                f"`mask` must have shape {keys.shape[:2]} (batch, timesteps); got {mask.shape}."
            )
        if scores.ndim == 3:
            mask = mask[:, None, :]  # (B, 1, T)
    weights = masked_softmax(scores, mask)  # (B, [Tq,] T)
    if weights.ndim == 2:
        context = np.einsum("bt,btd->bd", weights, values)  # (B, Dv)
    else:
        context = weights @ values  # (B, Tq, T) @ (B, T, Dv) -> (B, Tq, Dv)
    return context, weights


@keras.saving.register_keras_serializable(package="course_lib")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention with learned `W1`, `W2` and `v`, built on Keras's layer.

    `W1` and `W2` are bias-free `Dense(units)` layers applied to the query and the keys;
    `keras.layers.AdditiveAttention(use_scale=True)` then computes
    `sum(scale * tanh(W1 q + W2 k_j))`, the softmax and the weighted sum of the values,
    so its `scale` is `v`. The encoder outputs are both keys and values.

    Args:
        units: size of the projected space (the length of `v`).

    Call arguments:
        query: `(batch, query_steps, query_dim)`.
        values: encoder outputs, `(batch, timesteps, key_dim)`.
        value_mask: booleans `(batch, timesteps)`, False at padding. Defaults to None.

    Returns:
        `(context, weights)`: `(batch, query_steps, key_dim)` and
        `(batch, query_steps, timesteps)`.

    Example:
    >>> layer = BahdanauAttention(8)
    >>> context, weights = layer(np.ones((2, 3, 4)), np.ones((2, 5, 6)))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))

    Introduced in Chapter 8 (Sequence to sequence), notebook 8b (attention).
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.query_dense = keras.layers.Dense(self.units, use_bias=False, name="W1")
        self.key_dense = keras.layers.Dense(self.units, use_bias=False, name="W2")
        self.additive = keras.layers.AdditiveAttention(use_scale=True, name="additive")

    def build(self, query_shape, values_shape=None):
        values_shape = values_shape or query_shape
        self.query_dense.build(query_shape)
        self.key_dense.build(values_shape)
        projected = (*tuple(values_shape)[:-1], self.units)
        self.additive.build([(*tuple(query_shape)[:-1], self.units), values_shape, projected])

    def call(self, query, values, value_mask=None):
        projected_q = self.query_dense(query)  # (B, Tq, A)
        projected_k = self.key_dense(values)  # (B, T, A)
        mask = None if value_mask is None else [None, keras.ops.cast(value_mask, "bool")]
        return self.additive(
            [projected_q, values, projected_k], mask=mask, return_attention_scores=True
        )

    def compute_mask(self, *args, **kwargs):
        return None

    def numpy_weights(self) -> dict[str, np.ndarray]:
        """`{"W1": (query_dim, units), "W2": (key_dim, units), "v": (units,)}`."""
        return {
            "W1": keras.ops.convert_to_numpy(self.query_dense.kernel),
            "W2": keras.ops.convert_to_numpy(self.key_dense.kernel),
            "v": keras.ops.convert_to_numpy(self.additive.scale),
        }

    def get_config(self):
        return {**super().get_config(), "units": self.units}
