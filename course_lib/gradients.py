"""Gradients through time: how strongly the loss reaches back to early time steps.

Two views of the same question, both introduced in Chapter 2 (Training through time;
vanishing and exploding gradients):

- `hidden_state_gradient_norms` measures, for a trained or untrained Keras model, the
  size of the gradient of the loss with respect to every hidden state h_t (or every
  input x_t). It unrolls the recurrent layer's cell step by step in Python inside a
  `tf.GradientTape`, so each h_t is a tensor the tape can differentiate with respect to.
- `recurrent_jacobian_norms` explains the result for a tanh RNN: the gradient that
  reaches h_t is multiplied by the Jacobians dh_k/dh_{k-1} = diag(1 - h_k**2) @ U.T of
  every later step, and the largest singular value of their product bounds how much
  of it survives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.validation import as_array, check_choice, describe

_SEQUENCE_LAYOUT = "(batch, timesteps, features)"
_NOT_A_CHAIN = (
    "`model` must be a chain of layers (a Sequential model or a functional model "
    "without branches): {reason}. Use `wrt='inputs'`, which works for any model."
)


# --------------------------------------------------------------------------------------
# Finding the recurrent layer in a chain of layers
# --------------------------------------------------------------------------------------


def _chain_layers(model: Any) -> list:
    """Return `(operation, node)` pairs of `model` in call order, nested models flattened.

    `node` is the functional-graph node that records the operation's other arguments
    (for example the key of `x[:, -1]`), or `None` in a Sequential model.

    Raises:
        ValueError: if the operations do not form a chain, each fed by the previous
            one's single output (a branch, a second input or a subclassed model).
    """
    import keras

    if isinstance(model, keras.Sequential):
        operations = [
            (op, None) for op in model.layers if not isinstance(op, keras.layers.InputLayer)
        ]
    elif hasattr(model, "operations") and hasattr(model, "inputs") and model.inputs is not None:
        operations = _functional_chain(model)
    else:
        reason = f"the call order of the subclassed model {type(model).__name__} is unknown"
        raise ValueError(_NOT_A_CHAIN.format(reason=reason))
    chain = []
    for op, node in operations:
        chain.extend(_chain_layers(op) if isinstance(op, keras.Model) else [(op, node)])
    return chain


def _functional_chain(model: Any) -> list:
    """Return the operations of a functional model, checking that each feeds the next."""
    import keras

    if len(model.inputs) != 1 or len(model.outputs) != 1:
        reason = f"it has {len(model.inputs)} inputs and {len(model.outputs)} outputs"
        raise ValueError(_NOT_A_CHAIN.format(reason=reason))
    current = model.inputs[0]
    operations = []
    for op in model.operations:
        if isinstance(op, keras.layers.InputLayer):
            continue
        node = next(
            (
                n
                for n in op._inbound_nodes
                if len(n.input_tensors) == 1
                and n.input_tensors[0] is current
                and len(n.output_tensors) == 1
            ),
            None,
        )
        if node is None:
            reason = f"{op.name!r} is not called on the output of the operation before it"
            raise ValueError(_NOT_A_CHAIN.format(reason=reason))
        operations.append((op, node))
        current = node.output_tensors[0]
    if current is not model.outputs[0]:
        reason = "its output is not the output of its last operation"
        raise ValueError(_NOT_A_CHAIN.format(reason=reason))
    return operations


def _find_recurrent_layer(model: Any, chain: list, layer: Any) -> int:
    """Return the position in `chain` of the recurrent layer chosen by `layer`."""
    import keras

    chain = [op for op, _ in chain]
    if layer is None:
        for index, candidate in enumerate(chain):
            if isinstance(candidate, keras.layers.RNN):
                return index
        names = ", ".join(type(c).__name__ for c in chain) or "no layers"
        raise ValueError(
            "`model` must contain a recurrent layer (keras.layers.SimpleRNN, LSTM or GRU); "
            f"got layers: {names}.{_bidirectional_hint(chain)}"
        )
    if isinstance(layer, bool):
        raise ValueError(f"`layer` must be an index, a name or a layer; got {describe(layer)}.")
    if isinstance(layer, int | np.integer):
        try:
            target = model.layers[int(layer)]
        except IndexError:
            raise ValueError(
                f"`layer` index {int(layer)} is out of range for a model with "
                f"{len(model.layers)} layers."
            ) from None
    elif isinstance(layer, str):
        matches = [c for c in chain if c.name == layer]
        if not matches:
            names = ", ".join(repr(c.name) for c in chain)
            raise ValueError(f"`layer` {layer!r} is not a layer of `model`; its layers: {names}.")
        target = matches[0]
    else:
        target = layer
    if not isinstance(target, keras.layers.RNN):
        raise ValueError(
            "`layer` must name a recurrent layer (keras.layers.SimpleRNN, LSTM or GRU); "
            f"got {type(target).__name__} {getattr(target, 'name', '')!r}."
            f"{_bidirectional_hint([target])}"
        )
    for index, candidate in enumerate(chain):
        if candidate is target:
            return index
    raise ValueError(f"`layer` {target.name!r} is not a layer of `model`.")


def _bidirectional_hint(layers: list) -> str:
    """A sentence for error messages when `layers` holds a Bidirectional wrapper."""
    import keras

    if any(isinstance(c, keras.layers.Bidirectional) for c in layers):
        return " `Bidirectional` layers are not supported; use `wrt='inputs'` instead."
    return ""


def _check_supported(rnn: Any) -> None:
    """Raise a clear error for recurrent-layer options the unrolling does not reproduce."""
    if getattr(rnn, "stateful", False):
        raise ValueError(
            f"`model`'s recurrent layer {rnn.name!r} is stateful (stateful=True), which "
            "`hidden_state_gradient_norms` does not support; use `wrt='inputs'` instead."
        )
    if getattr(rnn, "return_state", False):
        raise ValueError(
            f"`model`'s recurrent layer {rnn.name!r} has return_state=True, which "
            "`hidden_state_gradient_norms` does not support in a chain of layers."
        )


# --------------------------------------------------------------------------------------
# The unrolled forward pass
# --------------------------------------------------------------------------------------


def _loss_function(loss: Any) -> Callable:
    """Return a callable `(y_true, y_pred) -> per-sample losses` from a name or callable."""
    import keras

    if callable(loss):
        return loss
    try:
        return keras.losses.get(loss)
    except (ValueError, TypeError):
        raise ValueError(
            f"`loss` must be a Keras loss name such as 'mse' or a callable; got {describe(loss)}."
        ) from None


def _summed_loss(loss_fn: Callable, y: Any, y_pred: Any, batch_size: int) -> Any:
    """Sum over the batch of the per-sample losses L_i (Keras reduces with a mean)."""
    import tensorflow as tf

    values = tf.convert_to_tensor(loss_fn(y, y_pred))
    # A mean over every element, times the batch size, is sum_i L_i whether the loss
    # returns a scalar (a reduced `keras.losses.Loss`), (batch,) or (batch, timesteps).
    return tf.reduce_mean(values) * tf.cast(batch_size, values.dtype)


def _unrolled_forward(
    model: Any, X: Any, y: Any, loss_fn: Callable, layer: Any, tape: Any
) -> tuple[Any, list, Any]:
    """Run `model` with its recurrent layer unrolled step by step under `tape`.

    Returns:
        `(total_loss, hidden_states, y_pred)`: the sum over the batch of the per-sample
        losses, the list of the `timesteps` tensors h_t of shape (batch, units) in the
        order the cell computed them, and the model's output.
    """
    import tensorflow as tf

    chain = _chain_layers(model)
    index = _find_recurrent_layer(model, chain, layer)
    rnn = chain[index][0]
    _check_supported(rnn)

    x = X
    for before in chain[:index]:
        x = _call_in_chain(before, x)
    mask = getattr(x, "_keras_mask", None)  # set by Embedding(mask_zero=True) or Masking
    if len(x.shape) != 3:
        raise ValueError(
            f"the input of `model`'s recurrent layer {rnn.name!r} must be 3-D "
            f"{_SEQUENCE_LAYOUT}; got {describe(x)}."
        )
    sequence = tf.convert_to_tensor(x)  # (B, T, F)
    tape.watch(sequence)
    batch_size, timesteps = int(sequence.shape[0]), int(sequence.shape[1])
    states = list(rnn.get_initial_state(batch_size))  # [(B, H)] or [h, c] for LSTM
    for state in states:
        tape.watch(state)

    if mask is not None:
        mask = tf.cast(mask, tf.bool)  # (B, T)
    order = range(timesteps - 1, -1, -1) if rnn.go_backwards else range(timesteps)
    hidden_states = []
    for t in order:
        output, new_states = rnn.cell(sequence[:, t, :], states, training=False)  # (B, H)
        if not isinstance(new_states, list | tuple):
            new_states = [new_states]
        if mask is not None:  # a masked step carries the states over, as Keras's rnn loop
            real = mask[:, t : t + 1]  # (B, 1), broadcast over units
            is_state = output is new_states[0]
            new_states = [
                tf.where(real, new, old) for new, old in zip(new_states, states, strict=True)
            ]
            # The built-in cells output h = states[0]: keep them one tensor, so that
            # dL/dh_t counts the path through the next step. With zero initial states
            # this equals Keras's output, which repeats the last real step (zeros before).
            previous = hidden_states[-1] if hidden_states else tf.zeros_like(output)
            output = new_states[0] if is_state else tf.where(real, output, previous)
        states = list(new_states)
        hidden_states.append(output)

    if rnn.return_sequences:
        x = tf.stack(hidden_states, axis=1)  # (B, T, H), in the order Keras returns them
        if mask is not None:  # the layer passes its mask on to the next layers
            x._keras_mask = mask
    else:
        x = hidden_states[-1]  # (B, H)
    for after in chain[index + 1 :]:
        x = _call_in_chain(after, x)
    total = _summed_loss(loss_fn, y, x, batch_size)
    return total, hidden_states, x


def _call_in_chain(step: tuple, x: Any) -> Any:
    """Call one `(operation, node)` of the chain on the previous output, in inference mode."""
    import keras

    op, node = step
    args, kwargs = (x,), {}
    if node is not None:  # replay the functional call with its other arguments
        args, kwargs = node.arguments.fill_in({id(node.input_tensors[0]): x})
    if isinstance(op, keras.layers.Layer):
        kwargs = {**kwargs, "training": False}
    try:
        return op(*args, **kwargs)
    except Exception as error:  # Keras raises several types for a wrong input structure
        reason = f"{op.name!r} cannot be called on the previous layer's output ({error})"
        raise ValueError(_NOT_A_CHAIN.format(reason=reason)) from error


def _check_chain_output(model: Any, X: Any, y_pred: Any) -> None:
    """Raise if running the layers one after the other does not reproduce `model(X)`."""
    reference = np.asarray(model(X, training=False))
    ours = np.asarray(y_pred)
    if reference.shape != ours.shape or not np.allclose(ours, reference, rtol=1e-4, atol=1e-5):
        reason = "running its layers one after the other does not reproduce `model(X)`"
        raise ValueError(_NOT_A_CHAIN.format(reason=reason))


# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------


def hidden_state_gradient_norms(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: Any = "mse",
    layer: Any = None,
    wrt: str = "hidden",
) -> np.ndarray:
    """Size of the gradient of the loss with respect to every hidden state h_t.

    The recurrent layer's cell is unrolled in Python inside a `tf.GradientTape`: the
    layers before it run first, then the cell runs once per time step, then its last
    output (or, with `return_sequences=True`, the stacked outputs) goes through the
    remaining layers and the loss. The gradient of each sequence's own loss L_i
    (as Keras computes it, a mean over the outputs) is taken with respect to each
    h_t of that sequence, so the numbers do not shrink with the batch size:

        norms[t - 1] = mean over i of || dL_i / dh_t^(i) ||,   t = 1 .. timesteps.

    h_t is the cell's output at step t (for an LSTM the hidden state h, not the cell
    state c). dL/dh_t is the total derivative: it counts every path from h_t to the
    loss, through h_{t+1}, ..., h_T and, with `return_sequences=True`, directly.
    With `go_backwards=True` the steps are in the order the cell processes them
    (step 1 reads the last input), the same order as the layer's output sequence.

    A mask (from `Embedding(mask_zero=True)` or `Masking` before the recurrent layer) is
    applied as Keras applies it: at a masked step the states are carried over, so the
    gradient with respect to a padded step's h_t is the one that flows on to the last real
    step. Masked models are introduced in Chapter 7 (Variable-length sequences).

    An LSTM also carries information through its cell state c, which this gradient
    with respect to h_t does not follow. To compare how far back the gradient reaches
    in different architectures, use `wrt="inputs"`: ||dL/dx_t|| counts every path.

    Args:
        model: a Keras model whose layers form a chain (Sequential, or functional
            without branches) and contain a `keras.layers.SimpleRNN`, `LSTM` or `GRU`
            (any `keras.layers.RNN`). Dropout is off (`training=False`).
        X: inputs, (batch, timesteps, features). Token ids (batch, timesteps) are
            accepted with `wrt="hidden"` when an `Embedding` layer comes first.
        y: targets in the form the loss expects, first dimension `batch`.
        loss: a Keras loss name (`"mse"`, `"sparse_categorical_crossentropy"`, ...)
            or a callable `loss(y_true, y_pred)`. Defaults to `"mse"`.
        layer: the recurrent layer to inspect: an index into `model.layers`, a layer
            name or the layer itself. Defaults to `None`, the first recurrent layer.
        wrt: `"hidden"` for ||dL/dh_t|| or `"inputs"` for ||dL/dx_t||, the gradient
            with respect to the model's input at step t (works for any Keras model).
            Defaults to `"hidden"`.

    Returns:
        NumPy array (timesteps,): the mean gradient norm at t = 1 .. timesteps.

    Raises:
        ValueError: if `X` is not 3-D, `y` has a different batch size, `model` has no
            recurrent layer or is not a chain, or the layer is stateful.

    Example:
    >>> import keras
    >>> model = keras.Sequential(
    ...     [keras.Input((20, 1)), keras.layers.SimpleRNN(8), keras.layers.Dense(1)]
    ... )
    >>> X, y = np.random.rand(4, 20, 1), np.random.rand(4, 1)
    >>> norms = hidden_state_gradient_norms(model, X, y)
    >>> norms.shape
    (20,)

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a Keras model; got {describe(model)}.")
    wrt = check_choice(wrt, "wrt", ("hidden", "inputs"))
    raw = as_array(X, "X", dtype=None, finite=True)
    token_ids = wrt == "hidden" and raw.ndim == 2 and np.issubdtype(raw.dtype, np.integer)
    if not token_ids:
        raw = as_array(raw, "X", ndim=3, layout=_SEQUENCE_LAYOUT, dtype=None)
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != raw.shape[0]:
        raise ValueError(
            f"`y` must have the same batch size as `X` ({raw.shape[0]}); got {describe(y)}."
        )
    loss_fn = _loss_function(loss)
    batch_size = raw.shape[0]
    if raw.ndim == 3:
        dtype = "float64" if model.compute_dtype == "float64" else "float32"
        X_tensor = tf.constant(raw, dtype=dtype)  # (B, T, F)
    else:
        X_tensor = tf.constant(raw)  # (B, T) token ids

    if wrt == "inputs":
        with tf.GradientTape() as tape:
            tape.watch(X_tensor)
            y_pred = model(X_tensor, training=False)
            total = _summed_loss(loss_fn, y, y_pred, batch_size)
        grads = tape.gradient(total, X_tensor)  # (B, T, F)
        return np.asarray(tf.reduce_mean(tf.norm(grads, axis=-1), axis=0), dtype=np.float64)

    with tf.GradientTape() as tape:
        total, hidden_states, y_pred = _unrolled_forward(model, X_tensor, y, loss_fn, layer, tape)
    _check_chain_output(model, X_tensor, y_pred)
    grads = tape.gradient(total, hidden_states)
    grads = [
        tf.zeros_like(h) if g is None else g for g, h in zip(grads, hidden_states, strict=True)
    ]
    per_step = tf.stack(grads, axis=1)  # (B, T, H)
    return np.asarray(tf.reduce_mean(tf.norm(per_step, axis=-1), axis=0), dtype=np.float64)


def largest_singular_value(matrix: Any) -> float:
    """Largest singular value (spectral norm) of a matrix.

    It is the most a matrix can stretch a vector: ||A v|| <= sigma_max(A) ||v||.

    Args:
        matrix: a 2-D array (rows, columns).

    Returns:
        A non-negative float.

    Example:
    >>> largest_singular_value(np.diag([3.0, -0.5]))
    3.0

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    matrix = as_array(matrix, "matrix", ndim=2, layout="(rows, columns)", finite=True)
    return float(np.linalg.norm(matrix, ord=2))


def recurrent_jacobian_norms(recurrent_kernel: Any, hidden_states: Any) -> np.ndarray:
    """Largest singular value of dh_T/dh_t for every t, for one sequence of a tanh RNN.

    With the Keras convention h_t = tanh(x_t @ W + h_{t-1} @ U + b), one step's
    Jacobian is dh_t/dh_{t-1} = diag(1 - h_t**2) @ U.T, and

        dh_T/dh_t = J_T @ J_{T-1} @ ... @ J_{t+1},   J_k = diag(1 - h_k**2) @ U.T.

    `norms[t - 1]` is the largest singular value of that product for t = 1 .. T; for
    t = T the product is empty, the identity, so `norms[-1] == 1`. The states need not
    come from a real run: the formula only uses U and h_{t+1} .. h_T.

    Args:
        recurrent_kernel: U, (units, units), as stored in
            `keras.layers.SimpleRNN(...).cell.recurrent_kernel`.
        hidden_states: h_1 .. h_T of one sequence, (timesteps, units).

    Returns:
        NumPy array (timesteps,): sigma_max(dh_T/dh_t) for t = 1 .. T.

    Example:
    >>> U = 0.5 * np.eye(4)
    >>> recurrent_jacobian_norms(U, np.zeros((3, 4)))   # zero states: tanh' = 1
    array([0.25, 0.5 , 1.  ])

    Introduced in Chapter 2 (Training through time; vanishing and exploding gradients).
    """
    U = as_array(recurrent_kernel, "recurrent_kernel", ndim=2, layout="(units, units)", finite=True)
    if U.shape[0] != U.shape[1]:
        raise ValueError(f"`recurrent_kernel` must be square (units, units); got shape {U.shape}.")
    h = as_array(hidden_states, "hidden_states", ndim=2, layout="(timesteps, units)", finite=True)
    units = U.shape[0]
    if h.shape[1] != units:
        raise ValueError(
            f"`hidden_states` must have {units} units to match `recurrent_kernel`; "
            f"got shape {h.shape}."
        )
    timesteps = h.shape[0]
    norms = np.empty(timesteps)
    product = np.eye(units)  # dh_T/dh_T, (H, H)
    norms[-1] = 1.0
    for t in range(timesteps - 2, -1, -1):  # 0-based: h[t] is h_{t+1}
        step_jacobian = (1.0 - h[t + 1] ** 2)[:, None] * U.T  # diag(1 - h**2) @ U.T, (H, H)
        product = product @ step_jacobian  # dh_T/dh_t, (H, H)
        norms[t] = largest_singular_value(product)
    return norms
