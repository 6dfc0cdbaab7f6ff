"""Checks of the two end-to-end projects, graded by their outcome on fresh data.

- 6.9 `check_language_model(train_language_model)`: a recurrent character language model
  trained on text from `language_model_data()`, scored in bits per character on fresh
  text of the same source.
- 8.9 `check_translator(train_translator)`: an encoder-decoder with attention trained on
  `translator_data()`, scored by exact match on fresh digit strings read aloud.

A project's check trains the student's model in the check cell (the grader stops a cell
after its `--cell-timeout`, 300 s of wall-clock time unless the teacher says otherwise)
and records the CPU time training used; `TRAIN_SECONDS` is the budget the text states. The test data is drawn from
the grader's seed and its targets never leave the grader: only the inputs go to the
student's model, and the course's code (`_next_char_probabilities`, `_greedy_tokens`)
turns the model's outputs into an answer.

Introduced in Chapter 6 (Applications) and Chapter 8 (Sequence to sequence), as projects.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from course_lib import datasets, seq2seq
from course_lib.checks.common import keras_layers, model_checks, seed_everything
from course_lib.checks.exercise import Expect, Finite, Keys, Shape, exercise, runs_in_notebook
from course_lib.datasets.spoken import START, TARGET_TOKENS, decode_target

__all__ = [
    "CONTEXT_CHARS",
    "MAX_BITS_ABOVE_SOURCE",
    "MIN_EXACT_MATCH",
    "SOURCE_STEPS",
    "TARGET_STEPS",
    "TRAIN_SECONDS",
    "check_language_model",
    "check_translator",
    "language_model_data",
    "translator_data",
]

#: The training budget of each project, in CPU seconds (`time.process_time`, every thread of
#: the process, so a busy machine does not count against the student): the check fails
#: beyond it. The grader's `--cell-timeout` (wall-clock) stops a check cell in any case.
TRAIN_SECONDS = 180.0
_RECURRENT = ("SimpleRNN", "LSTM", "GRU")


def _model_checks(*, need_attention: bool = False) -> list:
    """The checks of the returned model: a `keras.Model` with a recurrent layer (and
    an attention layer), trained within `TRAIN_SECONDS`."""

    def has_attention(summary):
        kinds = [str(kind) for kind in summary.get("layers", [])]
        if any("Attention" in kind for kind in kinds):
            return None
        return (
            "the decoder should attend to the encoder's outputs through an attention layer "
            f"(course_lib.attention.BahdanauAttention); the model's layers are: "
            f"{', '.join(kinds) or 'none'}."
        )

    def in_budget(seconds):
        seconds = float(seconds)
        if 0.0 <= seconds <= TRAIN_SECONDS:
            return None
        return (
            f"training used {seconds:.0f} CPU seconds; the budget is {TRAIN_SECONDS:.0f} CPU "
            "seconds."
        )

    checks = model_checks(_RECURRENT)
    if need_attention:
        checks.append(
            Expect(
                has_attention,
                of="model",
                name="its attention layer",
                hint="query the encoder outputs with each decoder output (Chapter 8b).",
            )
        )
    checks.append(
        Expect(
            in_budget,
            of="seconds",
            name="training time",
            hint="fewer epochs or units; a GRU trains faster than an LSTM on a CPU.",
        )
    )
    return checks


@runs_in_notebook
def _describe(model) -> dict:
    """What the checks need to know of a returned model: is it one, which layers."""
    import keras

    is_model = isinstance(model, keras.Model)
    kinds = sorted({type(layer).__name__ for layer in keras_layers(model)}) if is_model else []
    return {"is_model": is_model, "type": type(model).__name__, "layers": kinds}


# -- 6.9 ---------------------------------------------------------------------------------------

#: Characters of context the language model reads before each test character.
CONTEXT_CHARS = 64
#: The model's bits per character on the fresh test characters may exceed the source's own
#: (the chain's true probabilities of the same characters) by at most this much.
MAX_BITS_ABOVE_SOURCE = 1.0
_ORDER, _SOURCE_CHARS, _TRAIN_CHARS, _VAL_CHARS = 3, 120_000, 100_000, 10_000
_TEST_CONTEXTS = 2000


@runs_in_notebook
@functools.lru_cache(maxsize=1)
def _chain() -> datasets.CharMarkovChain:
    return datasets.CharMarkovChain(datasets.load_corpus(max_chars=_SOURCE_CHARS), order=_ORDER)


@runs_in_notebook
@functools.lru_cache(maxsize=1)
def language_model_data() -> dict:
    """The data of project 6.9: 100,000 training and 10,000 validation characters.

    The text is sampled from a character chain of order 3 (`datasets.CharMarkovChain`) of
    the first 120,000 characters of the course's corpus (`datasets.load_corpus`): it
    reads like the Python documentation at the scale of a few characters, and its true
    next-character probabilities are known. The check tests the model on fresh text of
    the same chain.

    Returns:
        `{"train_ids": int32 (100000,), "val_ids": int32 (10000,), "vocab":
        datasets.CharVocabulary}`; ids index `vocab.chars`.

    Introduced in Chapter 6 (Applications), project 6.9.
    """
    chain = _chain()
    vocab = datasets.CharVocabulary("".join(chain.chars))
    return {
        "train_ids": vocab.encode(chain.sample(_TRAIN_CHARS, seed=61)),
        "val_ids": vocab.encode(chain.sample(_VAL_CHARS, seed=62)),
        "vocab": vocab,
    }


@runs_in_notebook
def _next_char_probabilities(model, contexts: np.ndarray) -> np.ndarray:
    """The model's next-character probabilities after each context: `(batch, vocab)`.

    The model maps ids `(batch, timesteps)` to logits `(batch, timesteps, vocab)` (or
    `(batch, vocab)`); its last step is read. Outputs that already are probabilities
    (a softmax layer at the end) are taken as they are.
    """
    import keras

    out = keras.ops.convert_to_numpy(model(contexts, training=False)).astype(np.float64)
    out = out[:, -1] if out.ndim == 3 else out  # (B, V)
    if np.all(out >= 0) and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3):
        return out
    shifted = out - out.max(axis=-1, keepdims=True)  # (B, V)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


@runs_in_notebook
def train_and_predict_next(train, train_ids, val_ids, vocab_size, contexts, seed: int = 0) -> dict:
    """Train the student's language model, then predict the character after each context.

    Runs in the student's notebook (in the sandbox when graded); the next characters never
    come here.

    Returns:
        `{"model": {"is_model", "type", "layers"}, "probabilities": (batch, vocab) or None,
        "seconds": CPU seconds of training, "error": why there are no probabilities, or None}`.
    """
    seed_everything(seed)
    start = time.process_time()  # CPU seconds of every thread: the load does not count
    model = train(train_ids, val_ids, int(vocab_size))
    seconds = time.process_time() - start
    try:
        probabilities, error = _next_char_probabilities(model, contexts), None
    except Exception as failure:  # the checks say why there are none
        probabilities, error = None, f"{type(failure).__name__}: {str(failure)[:200]}"
    return {"model": _describe(model), "probabilities": probabilities, "seconds": seconds,
            "error": error}  # fmt: skip


def _bits(probabilities: np.ndarray, targets: np.ndarray) -> float:
    picked = np.clip(np.asarray(probabilities, float)[np.arange(len(targets)), targets], 1e-7, 1)
    return float(-np.mean(np.log2(picked)))


def language_model_test(rng: np.random.Generator, n: int = _TEST_CONTEXTS):
    """Fresh test contexts of project 6.9, their next characters and the source's bits.

    Each context is its own sample of the chain (none continues another), so a context
    says nothing about another's next character.

    Returns:
        `(contexts int32 (n, CONTEXT_CHARS), targets int (n,), source_bits float)`:
        `source_bits` is the mean of -log2 of the chain's true probability of each target.
    """
    chain, vocab = _chain(), language_model_data()["vocab"]
    contexts, targets, bits = [], [], []
    for seed in rng.integers(0, 2**62, size=n):
        text = chain.sample(CONTEXT_CHARS + 1, seed=int(seed))
        contexts.append(vocab.encode(text[:-1]))
        targets.append(vocab.chars.index(text[-1]))
        bits.append(-np.log2(chain.probabilities(text[:-1])[targets[-1]]))
    return np.array(contexts, dtype=np.int32), np.array(targets), float(np.mean(bits))


@exercise(
    "6.9",
    student="train_language_model(train_ids, val_ids, vocab_size)",
    call=train_and_predict_next,
    returns=Keys("model", "probabilities", "seconds"),
)
def check_language_model(ex) -> None:
    """Exercise 6.9 (6 checks): `train_language_model(train_ids, val_ids, vocab_size) -> model`.

    Seeds Python, NumPy and Keras, calls the function on `language_model_data()` and asks
    the model for the next character after 2000 fresh contexts of 64 characters, each
    sampled on its own from the same chain: a `keras.Model` with a recurrent layer,
    trained within `TRAIN_SECONDS`, finite `(2000, vocab)` probabilities, and bits per
    character at most `MAX_BITS_ABOVE_SOURCE` above the chain's own on the same characters.
    Inputs fixed by nature: the model trains on the project's data; only the test
    contexts are drawn afresh when graded, and their next characters never leave the grader.
    """
    data = language_model_data()
    contexts, targets, source_bits = language_model_test(ex.rng(69))
    bound = source_bits + MAX_BITS_ABOVE_SOURCE
    unigram = np.bincount(data["train_ids"], minlength=data["vocab"].size) + 1.0
    unigram_bits = _bits(np.tile(unigram / unigram.sum(), (len(targets), 1)), targets)

    def bits_in_bound(probabilities):
        bits = _bits(probabilities, targets)
        if bits <= bound:
            return None
        return (
            f"bits per character on {len(targets)} fresh test characters: {bits:.3f}; at "
            f"most {bound:.3f} passes (the source's own {source_bits:.3f} + "
            f"{MAX_BITS_ABOVE_SOURCE}); counting characters (unigram) scores {unigram_bits:.3f}."
        )

    ex.case(
        f"the model's next-character probabilities after {len(contexts)} fresh contexts",
        data["train_ids"],
        data["val_ids"],
        data["vocab"].size,
        contexts,
        values=False,
        checks=[
            *_model_checks(),
            Shape(
                (len(contexts), data["vocab"].size),
                of="probabilities",
                name="model(contexts)",
                layout="(batch, vocab)",
                hint="end with keras.layers.Dense(vocab_size) at every time step "
                "(return_sequences=True).",
            ),
            Finite(
                of="probabilities",
                name="model(contexts)",
                hint="clip the gradients (clipnorm=1.0) or lower the learning rate.",
            ),  # fmt: skip
            Expect(
                bits_in_bound,
                of="probabilities",
                name="bits per character",
                hint="watch the validation loss in bits (loss / ln 2): more units or "
                "epochs, Adam with a learning rate around 1e-2 and clipnorm=1.0.",
            ),
        ],
    )


# -- 8.9 ---------------------------------------------------------------------------------------

#: Decoder steps of project 8.9: 12 digits at most, then `<end>`.
TARGET_STEPS = 13
#: Source words of project 8.9: a 12-digit string is read with 12 words at most.
SOURCE_STEPS = 12
#: The exact-match accuracy on the fresh test strings must be at least this.
MIN_EXACT_MATCH = 0.8
_TRAIN_PAIRS, _TEST_PAIRS = 8000, 400


@runs_in_notebook
@functools.lru_cache(maxsize=1)
def translator_data() -> datasets.Seq2SeqBatch:
    """The data of project 8.9: 8,000 digit strings of 1 to 12 digits, read aloud.

    Pairs of `datasets.spoken_digits` (seed 80), encoded by `datasets.encode_pairs` with
    12 source words: `encoder_input (8000, 12)`, `decoder_input` and `decoder_target`
    `(8000, 13)`. The check tests the model on fresh strings.

    Introduced in Chapter 8 (Sequence to sequence), project 8.9.
    """
    sources, targets = datasets.spoken_digits(_TRAIN_PAIRS, max_digits=12, seed=80)
    return datasets.encode_pairs(sources, targets, source_timesteps=SOURCE_STEPS)


@runs_in_notebook
def _greedy_tokens(model, encoder_input: np.ndarray) -> np.ndarray:
    """Greedy decoding with the training model: `(batch, TARGET_STEPS)` token ids.

    The decoder input starts as `<start>` and padding; at step t the model's most likely
    token at position t is written into position t + 1 of the decoder input, so the model
    only ever reads tokens it produced itself.
    """
    import keras

    batch = len(encoder_input)
    decoder_input = np.zeros((batch, TARGET_STEPS), dtype=np.int32)  # (B, Td)
    decoder_input[:, 0] = START
    tokens = np.zeros((batch, TARGET_STEPS), dtype=np.int32)  # (B, Td)
    for t in range(TARGET_STEPS):
        logits = keras.ops.convert_to_numpy(model([encoder_input, decoder_input], training=False))
        tokens[:, t] = logits[:, t].argmax(axis=-1)  # (B,)
        if t + 1 < TARGET_STEPS:
            decoder_input[:, t + 1] = tokens[:, t]
    return tokens


@runs_in_notebook
def train_and_translate(
    train, encoder_input, decoder_input, decoder_target, test_input, seed: int = 0
) -> dict:
    """Train the student's encoder-decoder, then decode `test_input` greedily with it.

    Runs in the student's notebook (in the sandbox when graded); the test targets never
    come here.

    Returns:
        `{"model": {"is_model", "type", "layers"}, "tokens": (batch, TARGET_STEPS) or None,
        "seconds": CPU seconds of training, "error": why there are no tokens, or None}`.
    """
    seed_everything(seed)
    start = time.process_time()  # CPU seconds of every thread: the load does not count
    model = train(encoder_input, decoder_input, decoder_target)
    seconds = time.process_time() - start
    try:
        tokens, error = _greedy_tokens(model, test_input), None
    except Exception as failure:  # the checks say why there are none
        tokens, error = None, f"{type(failure).__name__}: {str(failure)[:200]}"
    return {"model": _describe(model), "tokens": tokens, "seconds": seconds, "error": error}


def _decoded(tokens) -> list[str]:
    """Digit strings of greedy tokens; a row that is not a target sequence decodes as "?"."""
    strings = []
    for row in np.asarray(tokens):
        try:
            strings.append(decode_target(row.astype(int)))
        except ValueError:
            strings.append("?")
    return strings


@exercise(
    "8.9",
    student="train_translator(encoder_input, decoder_input, decoder_target)",
    call=train_and_translate,
    returns=Keys("model", "tokens", "seconds"),
    withhold=[seq2seq.build_seq2seq],
)
def check_translator(ex) -> None:
    """Exercise 8.9 (6 checks): `train_translator(encoder_input, decoder_input,
    decoder_target) -> model`.

    Seeds Python, NumPy and Keras, calls the function on `translator_data()` and decodes
    400 fresh digit strings (1 to 12 digits, read aloud) greedily with the returned
    training model: a `keras.Model` with a recurrent and an attention layer, trained
    within `TRAIN_SECONDS`, tokens of shape `(400, 13)`, and an exact-match accuracy of at
    least `MIN_EXACT_MATCH`. Inputs fixed by nature: the model trains on the project's
    data; only the test strings are drawn afresh when graded, and their digits never leave
    the grader.
    """
    data = translator_data()
    sources, targets = datasets.spoken_digits(
        _TEST_PAIRS, max_digits=12, seed=int(ex.seed(89) % 2**32)
    )
    test = datasets.encode_pairs(sources, targets, source_timesteps=SOURCE_STEPS)

    def exact_match(tokens):
        score = seq2seq.exact_match(_decoded(tokens), targets)
        if score >= MIN_EXACT_MATCH:
            return None
        return (
            f"exact match on {len(targets)} fresh strings: {score:.3f}; at least "
            f"{MIN_EXACT_MATCH} passes."
        )

    ex.case(
        f"greedy decoding of {len(targets)} fresh strings with the trained model",
        data.encoder_input,
        data.decoder_input,
        data.decoder_target,
        test.encoder_input,
        values=False,
        checks=[
            *_model_checks(need_attention=True),
            Shape(
                (len(targets), TARGET_STEPS),
                of="tokens",
                name="greedy tokens",
                layout="(batch, target_timesteps)",
                hint=f"the model maps [encoder_input, decoder_input] to logits (batch, "
                f"target_timesteps, {len(TARGET_TOKENS)}).",
            ),
            Expect(
                exact_match,
                of="tokens",
                name="exact match",
                hint="mask the source padding (mask_zero=True), train for more epochs, and "
                "let each decoder step attend to the encoder's outputs.",
            ),
        ],
    )
