"""The encoder-decoder in Keras, with or without attention, and its exact-match accuracy.

`build_seq2seq` returns a `Seq2Seq`: a training model that reads the source and the
target shifted right (teacher forcing) and predicts the next target token at every step,
plus the two halves inference needs: `encode` (the encoder's state, and with attention its
outputs) and `step` (one decoder step from the previous token), in the step-function form
of `course_lib.decoding`. All three share the same layers, hence the same weights.

Without attention the decoder sees the source only through the encoder's final state,
a summary of fixed size whatever the length of the source. With attention
(`course_lib.attention.BahdanauAttention`) every decoder step also reads a weighted
average of all the encoder's outputs.

Introduced in Chapter 8 (Sequence to sequence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from course_lib import decoding
from course_lib.attention import BahdanauAttention
from course_lib.datasets.spoken import END, PAD, SOURCE_WORDS, START, TARGET_TOKENS, decode_target
from course_lib.validation import check_float, check_int

__all__ = ["Seq2Seq", "accuracy_by_length", "build_seq2seq", "exact_match"]


@dataclass
class Seq2Seq:
    """An encoder-decoder and the models that run its halves one at a time.

    Attributes:
        model: the training model, `[encoder_input (batch, source_timesteps),
            decoder_input (batch, target_timesteps)] -> logits (batch, target_timesteps,
            vocabulary)`, compiled.
        encoder: `encoder_input -> h` `(batch, units)`, and with attention also the
            encoder outputs `(batch, source_timesteps, units)`.
        decoder_step: `[token (batch, 1), h, (outputs, mask)] -> [log_probs (batch,
            vocabulary), h]`, and with attention also the weights
            `(batch, source_timesteps)`.
        attention: whether the decoder attends to the encoder's outputs.
    """

    model: keras.Model
    encoder: keras.Model
    decoder_step: keras.Model
    attention: bool

    def encode(self, encoder_input: np.ndarray) -> tuple[np.ndarray, ...]:
        """The decoder's initial state: `(h,)`, or `(h, outputs, mask)` with attention."""
        encoder_input = np.asarray(encoder_input)
        got = self.encoder(encoder_input, training=False)
        if not self.attention:
            return (keras.ops.convert_to_numpy(got),)
        h, outputs = (keras.ops.convert_to_numpy(t) for t in got)
        return h, outputs, encoder_input != PAD  # (B, H), (B, Ts, H), (B, Ts)

    def step(self, tokens: np.ndarray, state: tuple) -> tuple[np.ndarray, tuple]:
        """One decoder step, `course_lib.decoding`'s step function: `(log_probs, state)`."""
        inputs = [np.asarray(tokens, dtype=np.int32)[:, None], *state]  # token (B, 1)
        got = [keras.ops.convert_to_numpy(t) for t in self.decoder_step(inputs, training=False)]
        return got[0], (got[1], *state[1:])

    def step_with_weights(self, tokens: np.ndarray, state: tuple):
        """Like `step`, also returning the attention weights `(batch, source_timesteps)`."""
        if not self.attention:
            raise ValueError("`step_with_weights` needs a model built with attention=True.")
        inputs = [np.asarray(tokens, dtype=np.int32)[:, None], *state]
        got = [keras.ops.convert_to_numpy(t) for t in self.decoder_step(inputs, training=False)]
        return got[0], (got[1], *state[1:]), got[2]

    def translate(
        self, encoder_input: np.ndarray, *, max_len: int, beam_width: int = 1
    ) -> list[str]:
        """Decode every source of `encoder_input`: greedy (`beam_width=1`) or beam search.

        Args:
            encoder_input: source ids, `(batch, source_timesteps)`.
            max_len: the most target tokens to produce (digits and `<end>`).
            beam_width: beams of `course_lib.decoding.beam_search`; 1 means greedy
                decoding with `course_lib.decoding.greedy_decode`. Defaults to 1.

        Returns:
            The decoded digit strings, one per source.
        """
        beam_width = check_int(beam_width, "beam_width", minimum=1)
        state = self.encode(encoder_input)
        if beam_width == 1:
            tokens, _ = decoding.greedy_decode(
                self.step, state, start=START, end=END, max_len=max_len, pad=PAD
            )
        else:
            tokens, _ = decoding.beam_search(
                self.step, state, beam_width=beam_width, start=START, end=END,
                max_len=max_len, pad=PAD,
            )  # fmt: skip
        return [decode_target(row) for row in tokens]


def build_seq2seq(
    *,
    units: int = 64,
    embedding_dim: int = 16,
    attention: bool = False,
    lr: float = 3e-3,
    drop_at: int | None = None,
) -> Seq2Seq:
    """Build and compile a GRU encoder-decoder for `course_lib.datasets.spoken_digits`.

    Encoder: `Embedding(mask_zero=True)` and a `GRU(units)` whose final state starts the
    decoder. Decoder: `Embedding` and a `GRU(units)` fed the previous target token; with
    attention its output `s_t` queries the encoder outputs through `BahdanauAttention`,
    and `tanh(Dense([s_t, context]))` (Luong et al.'s attentional state) feeds the output
    layer. Loss: cross-entropy on the logits, padding ignored; Adam with `clipnorm=1`,
    its learning rate dropping to a tenth of `lr` after `drop_at` gradient steps when it
    is given (a steadier end of training).

    Args:
        units: units of both GRUs and of the attention. Defaults to `64`.
        embedding_dim: size of the token embeddings. Defaults to `16`.
        attention: whether the decoder attends to the encoder outputs. Defaults to False.
        lr: Adam's (initial) learning rate. Defaults to `3e-3`.
        drop_at: the gradient step after which the rate is `lr / 10`, or None for a
            constant rate. Defaults to None.

    Returns:
        A `Seq2Seq` whose `model` is compiled.

    Example:
    >>> s2s = build_seq2seq(units=8)
    >>> s2s.model.output_shape
    (None, None, 13)

    Introduced in Chapter 8 (Sequence to sequence).
    """
    units = check_int(units, "units", minimum=1)
    embedding_dim = check_int(embedding_dim, "embedding_dim", minimum=1)
    lr = check_float(lr, "lr", minimum=0.0, inclusive=False)
    if drop_at is not None:
        drop_at = check_int(drop_at, "drop_at", minimum=1)
    layers = keras.layers
    vocabulary = len(TARGET_TOKENS)
    source_embedding = layers.Embedding(len(SOURCE_WORDS) + 1, embedding_dim, mask_zero=True)
    encoder_gru = layers.GRU(units, return_sequences=attention, return_state=attention)
    target_embedding = layers.Embedding(vocabulary, embedding_dim)
    decoder_gru = layers.GRU(units, return_sequences=True, return_state=True)
    output_layer = layers.Dense(vocabulary, name="logits")
    if attention:
        attend = BahdanauAttention(units, name="attention")
        combine = layers.Dense(units, activation="tanh", name="attentional_state")

    def decoder(tokens, h, outputs=None, mask=None):
        s, h = decoder_gru(target_embedding(tokens), initial_state=h)  # (B, Td, H), (B, H)
        if not attention:
            return output_layer(s), h, None
        context, weights = attend(s, outputs, value_mask=mask)  # (B, Td, H), (B, Td, Ts)
        attentional = combine(layers.Concatenate()([s, context]))  # (B, Td, H)
        return output_layer(attentional), h, weights

    encoder_input = keras.Input((None,), dtype="int32", name="encoder_input")
    decoder_input = keras.Input((None,), dtype="int32", name="decoder_input")
    if attention:
        outputs, h = encoder_gru(source_embedding(encoder_input))  # (B, Ts, H), (B, H)
        mask = keras.ops.not_equal(encoder_input, PAD)  # (B, Ts)
        logits, _, _ = decoder(decoder_input, h, outputs, mask)
        encoder = keras.Model(encoder_input, [h, outputs], name="encoder")
    else:
        h = encoder_gru(source_embedding(encoder_input))  # (B, H)
        logits, _, _ = decoder(decoder_input, h)
        encoder = keras.Model(encoder_input, h, name="encoder")
    model = keras.Model([encoder_input, decoder_input], logits, name="seq2seq")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=PAD)
    rate = lr
    if drop_at is not None:
        rate = keras.optimizers.schedules.PiecewiseConstantDecay([drop_at], [lr, lr / 10])
    model.compile(keras.optimizers.Adam(rate, clipnorm=1.0), loss)

    token = keras.Input((1,), dtype="int32", name="token")
    h_in = keras.Input((units,), name="h")
    step_inputs = [token, h_in]
    if attention:
        outputs_in = keras.Input((None, units), name="encoder_outputs")
        mask_in = keras.Input((None,), dtype="bool", name="source_mask")
        step_inputs += [outputs_in, mask_in]
        logits, h_out, weights = decoder(token, h_in, outputs_in, mask_in)
    else:
        logits, h_out, weights = decoder(token, h_in)
    log_probs = keras.ops.log_softmax(logits[:, 0], axis=-1)  # (B, V)
    step_outputs = [log_probs, h_out] + ([weights[:, 0]] if attention else [])
    decoder_step = keras.Model(step_inputs, step_outputs, name="decoder_step")
    return Seq2Seq(model, encoder, decoder_step, attention)


def exact_match(predicted: Sequence[str], targets: Sequence[str]) -> float:
    """The fraction of predictions equal to their target, character for character.

    Example:
    >>> exact_match(["123", "45"], ["123", "46"])
    0.5

    Introduced in Chapter 8 (Sequence to sequence).
    """
    if len(predicted) != len(targets) or not targets:
        raise ValueError(
            "`predicted` and `targets` must be non-empty and of the same length; got "
            f"{len(predicted)} and {len(targets)}."
        )
    return float(np.mean([p == t for p, t in zip(predicted, targets, strict=True)]))


def accuracy_by_length(
    predicted: Sequence[str],
    targets: Sequence[str],
    *,
    bins: Sequence[tuple[int, int]] | None = None,
) -> dict[Any, float]:
    """Exact-match accuracy for each target length, or for each range of lengths.

    Args:
        predicted: decoded strings.
        targets: the true strings, as many.
        bins: `(low, high)` ranges of lengths, both included; defaults to one bin per
            length that occurs.

    Returns:
        `{length: accuracy}`, or `{(low, high): accuracy}` with `bins`, in increasing order.

    Example:
    >>> accuracy_by_length(["1", "22", "34"], ["1", "22", "33"])
    {1: 1.0, 2: 0.5}

    Introduced in Chapter 8 (Sequence to sequence).
    """
    exact_match(predicted, targets)  # validates
    lengths = np.array([len(t) for t in targets])
    right = np.array([p == t for p, t in zip(predicted, targets, strict=True)])
    if bins is None:
        return {int(n): float(right[lengths == n].mean()) for n in np.unique(lengths)}
    table = {}
    for low, high in bins:
        inside = (lengths >= low) & (lengths <= high)
        if not inside.any():
            raise ValueError(f"`bins` holds ({low}, {high}), a range with no target in it.")
        table[(int(low), int(high))] = float(right[inside].mean())
    return table
