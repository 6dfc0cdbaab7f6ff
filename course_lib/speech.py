"""Connected-digit recognition: log-mel features, a bidirectional GRU, CTC, decoding, error rate.

One copy of the experiment that Chapter 10 runs and `bench/speech.py` repeats for every
seed and held-out speaker: `SpeechBudget` says how much data and training, `run_speech`
draws utterances of five speakers for training and of the sixth for testing, trains
`build_ctc_model` with `keras.ops.ctc_loss` and reports the digit error rate of greedy and
beam-search decoding on the held-out speaker.

Features: 40 log-mel bands every 10 ms (`course_lib.spectrogram`), each band's mean over
the utterance subtracted (per-utterance normalisation), four consecutive frames stacked
into one step of 160 features (40 ms per step: a quarter of the recurrent steps, still
several steps per spoken digit), scaled with statistics of the training speakers only.

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import keras
import numpy as np

from course_lib.ctc import BLANK, classes_to_digits, digits_to_classes, greedy_decode
from course_lib.datasets.connected_digits import ConnectedDigits, connected_digits, split_speakers
from course_lib.edit_distance import digit_error_rate
from course_lib.spectrogram import FeatureScaler, log_mel_spectrogram
from course_lib.validation import check_choice, check_float, check_int

__all__ = [
    "CLASSES",
    "SpeechBudget",
    "SpeechResult",
    "build_ctc_model",
    "ctc_logits",
    "decode",
    "speech_features",
    "run_speech",
    "train_ctc_model",
]

CLASSES = 11  # the blank (class 0) and the digits 0-9 (classes 1-10)
N_MELS = 40  # log-mel bands per 10 ms frame


@dataclass(frozen=True)
class SpeechBudget:
    """How much data and training one run gets (the chapter's default, shared with the bench).

    Attributes:
        n_train: training utterances, drawn from the five training speakers. Defaults to 2000.
        n_test: test utterances of the held-out speaker. Defaults to 300.
        epochs: passes over the training utterances. Defaults to 5.
        units: GRU units per direction. Defaults to 64.
        batch_size: utterances per step. Defaults to 32.
        lr: Adam's learning rate. Defaults to 3e-3.
        beam_width: beams of `keras.ops.ctc_decode(strategy="beam_search")`. Defaults to 16.
        stack: 10 ms frames stacked into one recurrent step. Defaults to 4 (40 ms steps).
        max_digits: most digits in a training utterance (the test utterances keep 2 to 7).
            Defaults to 5 (shorter utterances train faster).
        dropout: share of the input features dropped at random during training. Defaults
            to 0.1.
    """

    n_train: int = 2000
    n_test: int = 300
    epochs: int = 5
    units: int = 64
    batch_size: int = 32
    lr: float = 3e-3
    beam_width: int = 16
    stack: int = 4
    max_digits: int = 5
    dropout: float = 0.1


def speech_features(
    audio: Sequence[np.ndarray], stack: int = 3, sample_rate: int = 8000, centre: bool = True
) -> list[np.ndarray]:
    """Log-mel features of each waveform, `stack` consecutive 10 ms frames per step.

    Args:
        audio: waveforms, each `(samples,)`.
        stack: frames per step, >= 1. Defaults to 3.
        sample_rate: samples per second. Defaults to 8000.
        centre: subtract each band's mean over the utterance (per-utterance mean
            normalisation: a constant gain or microphone colouring, a shift of the log-mel
            bands, is removed). Defaults to True.

    Returns:
        One float32 array `(steps, 40 * stack)` per waveform, `steps = frames // stack`.
    """
    stack = check_int(stack, "stack", minimum=1)
    features = []
    for x in audio:
        mel = log_mel_spectrogram(x, sample_rate=sample_rate, n_mels=N_MELS)  # (frames, 40)
        if centre:
            mel = mel - mel.mean(axis=0)  # (frames, 40), each band's mean over the utterance is 0
        steps = len(mel) // stack
        features.append(mel[: steps * stack].reshape(steps, N_MELS * stack))  # (steps, 40 stack)
    return features


def _pad(arrays: Sequence[np.ndarray], value: float) -> np.ndarray:
    """Stack arrays of different first lengths into `(batch, longest, ...)`, padded with `value`."""
    longest = max(len(a) for a in arrays)
    out = np.full((len(arrays), longest, *arrays[0].shape[1:]), value, dtype=arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None) -> list:
    """Batches of indices of similar length (little padding), in random order if `rng`."""
    order = np.argsort(lengths, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def build_ctc_model(
    units: int = 64, features: int = N_MELS * 3, dropout: float = 0.0
) -> keras.Model:
    """A bidirectional GRU reading feature steps and giving CTC logits at every step.

    Padded steps (all features exactly 0) are masked, so the backward GRU starts at the
    utterance's last real step.

    Args:
        units: GRU units per direction. Defaults to 64.
        features: features per step. Defaults to 120 (40 log-mel bands x 3 frames).
        dropout: share of the input features set to 0 at random in training, in [0, 0.9].
            Defaults to 0.0.

    Returns:
        A `keras.Model` mapping `(batch, steps, features)` to logits `(batch, steps, 11)`:
        class 0 is the blank, class d + 1 the digit d.
    """
    units = check_int(units, "units", minimum=1)
    dropout = check_float(dropout, "dropout", minimum=0.0, maximum=0.9)
    inputs = keras.Input((None, features))
    x = keras.layers.Masking(mask_value=0.0)(inputs)
    if dropout > 0:
        x = keras.layers.Dropout(dropout)(x)  # only in training
    x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True))(x)
    logits = keras.layers.Dense(CLASSES)(x)  # (batch, steps, 11)
    return keras.Model(inputs, logits, name="bigru_ctc")


def train_ctc_model(
    model: keras.Model,
    features: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    *,
    epochs: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
) -> list[float]:
    """Train `model` with the CTC loss (`keras.ops.ctc_loss`), batches of similar length.

    Args:
        model: maps `(batch, steps, features)` to logits `(batch, steps, 11)`.
        features: normalised features, one `(steps, features)` array per utterance.
        labels: the digits of each utterance, `(digits,)` ints 0-9.
        epochs: passes over the data, >= 1.
        batch_size: utterances per step. Defaults to 32.
        lr: Adam's learning rate. Defaults to 3e-3.
        seed: seed of the batch order. Defaults to 0.

    Returns:
        The mean loss of each epoch.
    """
    import tensorflow as tf

    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_float(lr, "lr", minimum=0.0, inclusive=False)
    if len(features) != len(labels):
        raise ValueError(
            f"`labels` must hold one array per utterance ({len(features)}); got {len(labels)}."
        )
    optimizer = keras.optimizers.Adam(lr, clipnorm=5.0)
    variables = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def step(x, y, x_lengths, y_lengths):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)  # (B, T, 11)
            loss = tf.reduce_mean(keras.ops.ctc_loss(y, logits, y_lengths, x_lengths, BLANK))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    lengths = np.array([len(f) for f in features])
    classes = [digits_to_classes(y).astype(np.int32) for y in labels]
    history = []
    for _ in range(epochs):
        losses = []
        for batch in _batches(lengths, batch_size, rng):
            x = _pad([features[i] for i in batch], 0.0)  # (B, T, F)
            y = _pad([classes[i] for i in batch], 0)  # (B, L), padded with blanks
            loss = step(
                x,
                y,
                lengths[batch].astype(np.int32),
                np.array([len(classes[i]) for i in batch], np.int32),
            )
            losses.append(float(loss))
        history.append(float(np.mean(losses)))
    return history


def ctc_logits(
    model: keras.Model, features: Sequence[np.ndarray], batch_size: int = 64
) -> list[np.ndarray]:
    """The model's logits for each utterance, cut to its own length: `(steps, 11)` each."""
    out: list[np.ndarray | None] = [None] * len(features)
    lengths = np.array([len(f) for f in features])
    for batch in _batches(lengths, batch_size, None):
        logits = keras.ops.convert_to_numpy(model(_pad([features[i] for i in batch], 0.0)))
        for row, i in enumerate(batch):
            out[i] = logits[row, : lengths[i]]  # (steps, 11)
    return out  # type: ignore[return-value]


def decode(
    logits: Sequence[np.ndarray], strategy: str = "greedy", beam_width: int = 16
) -> list[np.ndarray]:
    """Digit strings from per-step logits: our greedy decoder, or Keras's beam search.

    Args:
        logits: one `(steps, 11)` array per utterance.
        strategy: `"greedy"` (`course_lib.ctc.greedy_decode`) or `"beam_search"`
            (`keras.ops.ctc_decode`).
        beam_width: beams for the beam search. Defaults to 16.

    Returns:
        One array of digits 0-9 per utterance.
    """
    strategy = check_choice(strategy, "strategy", ("greedy", "beam_search"))
    if strategy == "greedy":
        return [classes_to_digits(greedy_decode(z)) for z in logits]
    log_probs = keras.ops.log_softmax(_pad([z.astype(np.float32) for z in logits], 0.0))
    lengths = np.array([len(z) for z in logits], np.int32)  # the search stops at each length
    decoded, _ = keras.ops.ctc_decode(
        log_probs, lengths, strategy="beam_search", beam_width=beam_width
    )
    paths = keras.ops.convert_to_numpy(decoded)[0]  # (utterances, steps), -1 after the end
    return [classes_to_digits(path[path >= 0]) for path in paths]


@dataclass(frozen=True)
class SpeechResult:
    """What one run measured (error rates on the held-out speaker's utterances).

    `train_seconds` is the wall time of training, `train_cpu_seconds` its CPU time (all
    threads, `time.process_time`).
    """

    test_speaker: str
    seed: int
    greedy_error_rate: float
    beam_error_rate: float
    final_loss: float
    train_seconds: float
    train_cpu_seconds: float
    budget: dict

    def as_dict(self) -> dict:
        return asdict(self)


def run_speech(
    test_speaker: str = "theo",
    seed: int = 0,
    budget: SpeechBudget = SpeechBudget(),
    *,
    train: ConnectedDigits | None = None,
) -> tuple[SpeechResult, keras.Model]:
    """Train on five speakers, measure the digit error rate on the sixth.

    Args:
        test_speaker: the held-out speaker (never heard in training). Defaults to `"theo"`.
        seed: seeds the utterances, the weights and the batch order. Defaults to 0.
        budget: data and training sizes. Defaults to `SpeechBudget()`.
        train: training utterances to use instead of drawing `budget.n_train` (they must
            not contain `test_speaker`).

    Returns:
        `(SpeechResult, the trained model)`.
    """
    keras.utils.set_random_seed(seed)
    train_speakers, test_speakers = split_speakers(test_speaker)
    if train is None:
        train = connected_digits(
            budget.n_train, train_speakers, seed=seed, max_digits=budget.max_digits
        )
    test = connected_digits(budget.n_test, test_speakers, seed=10_000 + seed)
    train_raw = speech_features(train.audio, budget.stack)
    test_raw = speech_features(test.audio, budget.stack)
    scaler = FeatureScaler.fit(train_raw)  # statistics of the training speakers only
    train_x = [scaler.transform(f) for f in train_raw]
    test_x = [scaler.transform(f) for f in test_raw]
    model = build_ctc_model(budget.units, N_MELS * budget.stack, budget.dropout)
    start, start_cpu = time.perf_counter(), time.process_time()
    history = train_ctc_model(model, train_x, train.labels, epochs=budget.epochs,
                              batch_size=budget.batch_size, lr=budget.lr, seed=seed)  # fmt: skip
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    logits = ctc_logits(model, test_x)
    result = SpeechResult(
        test_speaker=test_speaker,
        seed=seed,
        greedy_error_rate=digit_error_rate(test.labels, decode(logits, "greedy")),
        beam_error_rate=digit_error_rate(
            test.labels, decode(logits, "beam_search", budget.beam_width)
        ),
        final_loss=history[-1],
        train_seconds=seconds,
        train_cpu_seconds=cpu_seconds,
        budget=asdict(budget),
    )
    return result, model
