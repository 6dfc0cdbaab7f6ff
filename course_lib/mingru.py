"""minGRU and minLSTM as Keras layers, computed by a loop or by a scan.

Feng et al. (2024, "Were RNNs All We Needed?", arXiv 2410.01201) strip the GRU and the
LSTM down until their gates read only the input x_t, never h_{t-1}. The update then is
linear in the state, h_t = a_t * h_{t-1} + b_t with a_t and b_t known for every step in
advance, and all steps can be computed at once. The layers here offer two modes that
compute the same numbers:

- `mode="loop"`: one step after the other, T steps (`loop_scan`, a `tf.while_loop`, the
  way Keras's own recurrent layers run on a CPU);
- `mode="scan"`: a blocked scan (`blocked_scan`). The T steps are cut into about sqrt(T)
  blocks of about sqrt(T) steps; one pass runs the recurrence inside *every block at
  once* (from a zero state), a second pass carries the state from block end to block
  end, and one elementwise fix-up adds each block's incoming state, decayed by the
  running product of `a`. About 2 sqrt(T) sequential steps instead of T, each on bigger
  arrays, and only products of `a` (no division), so it is as stable as the loop;
Both rest on the associative rule `combine`: (a1, b1) then (a2, b2) is
(a1 * a2, a2 * b1 + b2). The NumPy references are
`course_lib.linear_recurrences.min_gru_forward` and `min_lstm_forward`, with the same
weight layout: `kernel` `(features, k * units)` and `bias` `(k * units,)`, blocks z, h
(minGRU) or f, i, h (minLSTM).

Introduced in Chapter 9 (From gates to linear recurrences).
"""

from __future__ import annotations

import math
from typing import Any

import keras

from course_lib.validation import check_bool, check_choice, check_float, check_int

__all__ = ["MODES", "MinGRU", "MinLSTM", "blocked_scan", "combine", "loop_scan", "scan_blocks"]

MODES = ("loop", "scan")


def combine(first: tuple, second: tuple) -> tuple:
    """Compose two steps of h -> a * h + b: first (a1, b1), then (a2, b2).

    a2 * (a1 * h + b1) + b2 = (a1 * a2) * h + (a2 * b1 + b2). The rule is associative,
    which is all `keras.ops.associative_scan` needs.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2


def loop_scan(a, b):
    """h_t = a_t * h_{t-1} + b_t from h_0 = 0, one step after the other (a while loop).

    Args:
        a: `(batch, timesteps, units)` tensor.
        b: same shape.

    Returns:
        Every state, `(batch, timesteps, units)`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    import tensorflow as tf

    a_t = tf.transpose(a, (1, 0, 2))  # (T, B, H)
    b_t = tf.transpose(b, (1, 0, 2))  # (T, B, H)
    steps = tf.shape(a_t)[0]
    # Read the steps from TensorArrays, as Keras's recurrent layers do: the gradient of
    # `a_t[t]` would be a full (T, B, H) tensor of zeros at every step.
    a_steps = tf.TensorArray(a_t.dtype, size=steps, element_shape=a_t.shape[1:]).unstack(a_t)
    b_steps = tf.TensorArray(b_t.dtype, size=steps, element_shape=b_t.shape[1:]).unstack(b_t)
    states = tf.TensorArray(b_t.dtype, size=steps, element_shape=b_t.shape[1:])

    def body(t, h, states):
        h = a_steps.read(t) * h + b_steps.read(t)  # (B, H)
        return t + 1, h, states.write(t, h)

    _, _, states = tf.while_loop(
        lambda t, h, states: t < steps,
        body,
        (tf.constant(0), tf.zeros_like(b_t[0]), states),
        maximum_iterations=steps,  # XLA (jit_compile=True) needs a bound to differentiate
    )
    return tf.transpose(states.stack(), (1, 0, 2))  # (B, T, H)


def scan_blocks(timesteps: int) -> tuple[int, int]:
    """How `blocked_scan` cuts `timesteps` steps: the block length and the number of blocks.

    The block length `C` is the smallest power of two at least sqrt(T),
    `2 ** ceil(log2(T) / 2)`, and there are `n = ceil(T / C)` blocks; the last block is
    padded with identity steps when `C` does not divide `T`.

    Args:
        timesteps: the number of steps T, at least 0.

    Returns:
        `(C, n)`: steps per block and number of blocks.

    Example:
    >>> scan_blocks(1024), scan_blocks(10)
    ((32, 32), (4, 3))

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    timesteps = check_int(timesteps, "timesteps", minimum=0)
    block = 2 ** math.ceil(math.log2(max(timesteps, 1)) / 2)
    return block, -(-timesteps // block)


def blocked_scan(a, b):
    """h_t = a_t * h_{t-1} + b_t from h_0 = 0 for all t, in about 2 sqrt(T) steps.

    Blocks of `C` steps (C a power of two near sqrt(T)); the recurrence runs inside all
    `n = ceil(T / C)` blocks at once, then from block end to block end; finally each step
    adds its block's incoming state times the product of `a` since the block began. The
    number of timesteps must be known when the graph is built.

    Args:
        a: `(batch, timesteps, units)` tensor.
        b: same shape.

    Returns:
        Every state, `(batch, timesteps, units)`.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """
    ops = keras.ops
    timesteps = a.shape[1]
    if timesteps is None:
        raise ValueError(
            "`mode='scan'` needs the number of timesteps when the model is built; give the "
            "input a fixed length, e.g. keras.Input((timesteps, features)), or use mode='loop'."
        )
    block, n_blocks = scan_blocks(timesteps)
    pad = n_blocks * block - timesteps
    if pad:  # padded steps are the identity: a = 1, b = 0
        a = ops.pad(a, [[0, 0], [0, pad], [0, 0]], constant_values=1.0)
        b = ops.pad(b, [[0, 0], [0, pad], [0, 0]])
    units = a.shape[2]

    def time_major_blocks(v):  # (B, n C, H) -> (C, n, B, H): each slice [j] contiguous
        v = ops.reshape(ops.transpose(v, (1, 0, 2)), (n_blocks, block, -1, units))
        return ops.transpose(v, (1, 0, 2, 3))

    # Unstacked into lists of steps: the gradient of a slice such as `a[j]` would be a
    # whole tensor of zeros per step (the scan took four times as long at T = 200).
    a_steps = ops.unstack(time_major_blocks(a), axis=0)  # C x (n, B, H)
    b_steps = ops.unstack(time_major_blocks(b), axis=0)  # C x (n, B, H)
    h = ops.zeros_like(b_steps[0])  # (n, B, H): every block starts from zero
    decay = ops.ones_like(a_steps[0])  # (n, B, H): product of a since the block began
    local, decays = [], []
    for a_j, b_j in zip(a_steps, b_steps, strict=True):  # pass 1: inside all blocks at once
        h = a_j * h + b_j
        decay = decay * a_j
        local.append(h)
        decays.append(decay)
    carry = ops.zeros_like(b_steps[0][0])  # (B, H)
    incoming = []
    block_ends = zip(ops.unstack(decay, axis=0), ops.unstack(h, axis=0), strict=True)
    for a_k, b_k in block_ends:  # pass 2: from block end to block end
        incoming.append(carry)  # n x (B, H)
        carry = a_k * carry + b_k
    incoming = ops.stack(incoming)  # (n, B, H)
    local = ops.stack(local)  # (C, n, B, H)
    decays = ops.stack(decays)  # (C, n, B, H)
    states = local + decays * incoming[None]  # (C, n, B, H)
    states = ops.reshape(ops.transpose(states, (1, 0, 2, 3)), (n_blocks * block, -1, units))
    states = ops.transpose(states, (1, 0, 2))  # (B, n C, H)
    return states[:, :timesteps]


class _LinearRecurrence(keras.layers.Layer):
    """Base of `MinGRU` and `MinLSTM`: a projection, then the scan h_t = a_t h_{t-1} + b_t."""

    blocks = 2

    def __init__(
        self,
        units: int,
        *,
        mode: str = "scan",
        return_sequences: bool = False,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.units = check_int(units, "units", minimum=1)
        self.mode = check_choice(mode, "mode", MODES)
        self.return_sequences = check_bool(return_sequences, "return_sequences")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"`{type(self).__name__}` expects inputs of shape (batch, timesteps, "
                f"features) with known features; got shape {tuple(input_shape)}."
            )
        width = self.blocks * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width), initializer=self.kernel_initializer, name="kernel"
        )
        self.bias = self.add_weight(shape=(width,), initializer=self.bias_initializer, name="bias")

    def coefficients(self, inputs):
        """`(a, b)` of the scan for `inputs` `(batch, timesteps, features)`, each (B, T, H)."""
        raise NotImplementedError

    def call(self, inputs, initial_state=None):
        a, b = self.coefficients(inputs)  # (B, T, H) each
        if initial_state is not None:
            h0 = initial_state[0] if isinstance(initial_state, list | tuple) else initial_state
            h0 = keras.ops.cast(h0, b.dtype)  # (B, H)
            # Fold h0 into the first step: h_1 = a_1 h_0 + b_1.
            first = a[:, :1] * h0[:, None, :] + b[:, :1]  # (B, 1, H)
            b = keras.ops.concatenate([first, b[:, 1:]], axis=1)  # (B, T, H)
        if self.mode == "scan":
            states = blocked_scan(a, b)
        else:
            states = loop_scan(a, b)
        return states if self.return_sequences else states[:, -1]

    def _projection(self, inputs):
        return keras.ops.matmul(inputs, self.kernel) + self.bias  # (B, T, F) @ (F, kH)

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "mode": self.mode,
            "return_sequences": self.return_sequences,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }


@keras.saving.register_keras_serializable(package="course_lib")
class MinGRU(_LinearRecurrence):
    """minGRU (Feng et al., 2024): a GRU whose gate and candidate read only x_t.

    z_t = sigmoid(x_t W_z + b_z), candidate_t = x_t W_h + b_h,
    h_t = (1 - z_t) * h_{t-1} + z_t * candidate_t (z_t is the share of the *new* value,
    as in the paper; Keras's GRU calls that share 1 - z_t).

    Args:
        units: size of the state, at least 1.
        gate_bias: added to the initial bias of the update gate z (like Keras's
            `unit_forget_bias` for the LSTM). A negative value starts the layer with a
            long memory: each step keeps `1 - sigmoid(gate_bias)` of the state, 0.95 for
            -3. Defaults to `0.0` (the state halves at every step).
        selective: when `False`, the update gate ignores the input, z_t = sigmoid(b_z), the
            same at every step (the z block of `kernel` is not used): a linear
            time-invariant recurrence, for comparison. Defaults to `True`.
        mode: `"scan"` (blocked scan, the default) or `"loop"` (step by step).
        return_sequences: return every state `(batch, timesteps, units)` instead of the
            last `(batch, units)`. Defaults to `False`.
        kernel_initializer: initializer of `kernel` `(features, 2 * units)`, blocks z, h.
            Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of `bias` `(2 * units,)`. Defaults to `"zeros"`.

    Call arguments:
        inputs: `(batch, timesteps, features)`.
        initial_state: `(batch, units)`, or a list holding it. Defaults to zeros.

    Example:
    >>> layer = MinGRU(4, return_sequences=True)
    >>> tuple(layer(keras.ops.ones((2, 5, 3))).shape)
    (2, 5, 4)

    Introduced in Chapter 9 (From gates to linear recurrences); `gate_bias` in Chapter 9b
    (Long memory), `selective` in Chapter 9c (Selective copying).
    """

    blocks = 2

    def __init__(
        self, units: int, *, gate_bias: float = 0.0, selective: bool = True, **kwargs: Any
    ):
        super().__init__(units, **kwargs)
        self.gate_bias = check_float(gate_bias, "gate_bias")
        self.selective = check_bool(selective, "selective")

    def build(self, input_shape):
        super().build(input_shape)
        if self.gate_bias:
            offset = [self.gate_bias] * self.units + [0.0] * self.units  # blocks z, h
            self.bias.assign(self.bias + keras.ops.convert_to_tensor(offset, self.bias.dtype))

    def coefficients(self, inputs):
        pre_z, candidate = keras.ops.split(self._projection(inputs), 2, axis=-1)  # (B, T, H)
        if not self.selective:  # the same gate at every step, whatever the input
            pre_z = keras.ops.zeros_like(pre_z) + self.bias[: self.units]  # (B, T, H)
        z = keras.ops.sigmoid(pre_z)
        return 1.0 - z, z * candidate

    def get_config(self):
        return {**super().get_config(), "gate_bias": self.gate_bias, "selective": self.selective}


@keras.saving.register_keras_serializable(package="course_lib")
class MinLSTM(_LinearRecurrence):
    """minLSTM (Feng et al., 2024): an LSTM whose gates and candidate read only x_t.

    f_t = sigmoid(x_t W_f + b_f), i_t = sigmoid(x_t W_i + b_i), candidate_t = x_t W_h + b_h,
    h_t = f_t / (f_t + i_t) * h_{t-1} + i_t / (f_t + i_t) * candidate_t (normalised gates,
    so no output gate or cell state is needed).

    Args:
        units: size of the state, at least 1.
        mode: `"scan"` (blocked scan, the default) or `"loop"` (step by step).
        return_sequences: return every state `(batch, timesteps, units)` instead of the
            last `(batch, units)`. Defaults to `False`.
        kernel_initializer: initializer of `kernel` `(features, 3 * units)`, blocks f, i,
            h. Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of `bias` `(3 * units,)`. Defaults to `"zeros"`.

    Call arguments:
        inputs: `(batch, timesteps, features)`.
        initial_state: `(batch, units)`, or a list holding it. Defaults to zeros.

    Introduced in Chapter 9 (From gates to linear recurrences).
    """

    blocks = 3

    def coefficients(self, inputs):
        pre_f, pre_i, candidate = keras.ops.split(self._projection(inputs), 3, axis=-1)
        f, i = keras.ops.sigmoid(pre_f), keras.ops.sigmoid(pre_i)  # (B, T, H)
        return f / (f + i), i / (f + i) * candidate
