"""Connected-digit utterances: FSDD clips of one speaker joined into a digit string.

An utterance is 2 to 7 recordings of one speaker, each with its own gain, separated by
pauses of random length, with a little white noise over the whole; its label is the digit
string and nothing else: no frame says where a digit begins, which is the problem CTC
solves. Speakers are split, never clips: build the training utterances from some speakers
and the test utterances from another, whose voice the model then never hears in training.

Everything is drawn from `np.random.default_rng(seed)`; the clips come from
`course_lib.datasets.fsdd`, shipped with the package.

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.datasets.fsdd import FSDD_SPEAKERS, load_fsdd
from course_lib.validation import check_float, check_int

__all__ = ["ConnectedDigits", "connected_digits", "split_speakers"]


@dataclass(frozen=True)
class ConnectedDigits:
    """Utterances of connected digits and their digit strings.

    Attributes:
        audio: tuple of float32 waveforms at `sample_rate`, each `(samples,)`.
        labels: tuple of int arrays, each `(digits,)`, the digits said, in order.
        speaker: `(utterances,)` int, the speaker (an index into `FSDD_SPEAKERS`).
        bounds: tuple of int arrays, each `(digits, 2)`: where each digit's clip starts and
            ends in `audio`, in samples (for plots and baselines; the model never sees them).
        sample_rate: samples per second, 8000.
    """

    audio: tuple[np.ndarray, ...]
    labels: tuple[np.ndarray, ...]
    speaker: np.ndarray
    bounds: tuple[np.ndarray, ...]
    sample_rate: int

    def __len__(self) -> int:
        return len(self.audio)

    @property
    def texts(self) -> list[str]:
        """The digit strings, for example `"4071"`."""
        return ["".join(str(int(d)) for d in label) for label in self.labels]


def split_speakers(test_speaker: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The training speakers and the held-out speaker: `(five names, (test_speaker,))`.

    Args:
        test_speaker: one of `FSDD_SPEAKERS`.

    Returns:
        `(train, test)`, two tuples of names with no speaker in both.

    Example:

    >>> split_speakers("theo")
    (('george', 'jackson', 'lucas', 'nicolas', 'yweweler'), ('theo',))
    """
    if test_speaker not in FSDD_SPEAKERS:
        raise ValueError(f"`test_speaker` must be one of {FSDD_SPEAKERS}; got {test_speaker!r}.")
    return tuple(s for s in FSDD_SPEAKERS if s != test_speaker), (test_speaker,)


def connected_digits(
    n_utterances: int,
    speakers: str | tuple[str, ...] | list[str],
    *,
    seed: int = 0,
    min_digits: int = 2,
    max_digits: int = 7,
    max_pause: float = 0.3,
    gain_db: float = 6.0,
    snr_db: tuple[float, float] = (20.0, 40.0),
) -> ConnectedDigits:
    """Draw utterances of 2 to 7 spoken digits, each by one speaker of `speakers`.

    For each utterance: a speaker, a number of digits (uniform in `[min_digits,
    max_digits]`) and uniform random digits; for each digit a random repetition of it by
    that speaker, scaled by a gain uniform in `[-gain_db, +gain_db]` dB; pauses of silence
    uniform in `[0, max_pause]` seconds before, between and after the clips; then white
    noise at a signal-to-noise ratio uniform in `snr_db`.

    Args:
        n_utterances: how many utterances, >= 1.
        speakers: a name or names from `FSDD_SPEAKERS`; only their recordings are used.
        seed: seed of `np.random.default_rng`. Defaults to 0.
        min_digits: fewest digits per utterance, >= 1. Defaults to 2.
        max_digits: most digits per utterance, >= `min_digits`. Defaults to 7.
        max_pause: longest pause, in seconds, >= 0. Defaults to 0.3.
        gain_db: largest gain or attenuation of a clip, in dB, >= 0. Defaults to 6.
        snr_db: `(low, high)` range of the signal-to-noise ratio, in dB. Defaults to
            `(20, 40)`.

    Returns:
        `ConnectedDigits`.

    Example:

    >>> data = connected_digits(3, "theo", seed=0)
    >>> len(data), all(2 <= len(t) <= 7 for t in data.texts)
    (3, True)
    """
    n_utterances = check_int(n_utterances, "n_utterances", minimum=1)
    min_digits = check_int(min_digits, "min_digits", minimum=1)
    max_digits = check_int(max_digits, "max_digits", minimum=min_digits)
    max_pause = check_float(max_pause, "max_pause", minimum=0.0)
    gain_db = check_float(gain_db, "gain_db", minimum=0.0)
    if len(snr_db) != 2 or not snr_db[0] <= snr_db[1]:
        raise ValueError(f"`snr_db` must be a pair (low, high) with low <= high; got {snr_db!r}.")
    clips = load_fsdd(speakers)
    speaker_ids = np.unique(clips.speaker)
    # pool[(speaker, digit)]: the positions in `clips` of that speaker's recordings of digit
    pool = {
        (s, d): np.flatnonzero((clips.speaker == s) & (clips.digit == d))
        for s in speaker_ids
        for d in range(10)
    }
    rng = np.random.default_rng(seed)
    rate = clips.sample_rate
    audio, labels, bounds, who = [], [], [], []
    for _ in range(n_utterances):
        speaker = int(rng.choice(speaker_ids))
        digits = rng.integers(0, 10, size=int(rng.integers(min_digits, max_digits + 1)))
        pieces, spans, position = [], [], 0
        for d in digits:
            pause = np.zeros(int(rng.uniform(0, max_pause) * rate), dtype=np.float32)
            clip = clips.clips[int(rng.choice(pool[(speaker, int(d))]))]
            clip = clip * np.float32(10 ** (rng.uniform(-gain_db, gain_db) / 20))
            pieces += [pause, clip]
            position += len(pause)
            spans.append((position, position + len(clip)))
            position += len(clip)
        pieces.append(np.zeros(int(rng.uniform(0, max_pause) * rate), dtype=np.float32))
        x = np.concatenate(pieces)  # (samples,)
        speech_power = np.mean(np.concatenate([x[a:b] for a, b in spans]) ** 2)
        noise_power = speech_power / 10 ** (rng.uniform(*snr_db) / 10)
        x += np.float32(np.sqrt(noise_power)) * rng.standard_normal(len(x), dtype=np.float32)
        audio.append(x)
        labels.append(digits.astype(np.int64))
        bounds.append(np.array(spans, dtype=np.int64).reshape(-1, 2))  # (digits, 2)
        who.append(speaker)
    return ConnectedDigits(tuple(audio), tuple(labels), np.array(who), tuple(bounds), rate)
