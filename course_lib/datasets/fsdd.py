"""The Free Spoken Digit Dataset (FSDD): 3,000 recordings of the digits 0-9, shipped with the course.

Six speakers each say every digit 50 times, recorded at 8 kHz mono and trimmed to near
minimal silence. The recordings come from the public repository
`Jakobovski/free-spoken-digit-dataset` (Zohar Jackson and contributors), licence
CC BY-SA 4.0; `course_lib/datasets/fsdd_data/README.md` names the commit and what the
8-bit storage costs. The data file stays under CC BY-SA 4.0, whatever the licence of the
code around it.

The clips are stored in one compressed `.npz` file (no pickles) as 8-bit mu-law codes,
each clip scaled to its peak before encoding; `load_fsdd` decodes them to float32
waveforms at their original level. Nothing is downloaded.

Introduced in Chapter 10 (Speech recognition).
"""

from __future__ import annotations

import functools
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.validation import as_array, check_choice, describe

__all__ = [
    "FSDD_PATH",
    "FSDD_SPEAKERS",
    "SAMPLE_RATE",
    "SpokenDigitClips",
    "build_fsdd_archive",
    "load_fsdd",
    "mu_law_decode",
    "mu_law_encode",
    "read_recordings",
]

#: The shipped archive (8-bit mu-law codes, compressed `.npz`, CC BY-SA 4.0).
FSDD_PATH = Path(__file__).parent / "fsdd_data" / "fsdd_mulaw.npz"
#: The six speakers, in the order of their labels 0 .. 5.
FSDD_SPEAKERS: tuple[str, ...] = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
#: Samples per second of every recording.
SAMPLE_RATE = 8000
_MU = 255  # mu-law with 256 levels, as in G.711 and WaveNet
_FILE_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")  # {digit}_{speaker}_{index}.wav


def mu_law_encode(x: np.ndarray) -> np.ndarray:
    """Encode a waveform in [-1, 1] as 8-bit mu-law codes (mu = 255).

    Small amplitudes get finer steps than large ones, y = sign(x) ln(1 + mu |x|) / ln(1 + mu),
    and y in [-1, 1] is rounded to one of 256 evenly spaced levels.

    Args:
        x: waveform of any shape, values in [-1, 1] (values outside are clipped).

    Returns:
        `uint8` codes of the same shape; `mu_law_decode` inverts them up to rounding.

    Example:

    >>> mu_law_encode(np.array([-1.0, 0.0, 1.0]))
    array([  0, 128, 255], dtype=uint8)
    """
    x = np.clip(as_array(x, "x", allow_empty=True, finite=True), -1.0, 1.0)
    y = np.sign(x) * np.log1p(_MU * np.abs(x)) / np.log1p(_MU)  # same shape as x, in [-1, 1]
    return np.round((y + 1.0) / 2.0 * _MU).astype(np.uint8)


def mu_law_decode(codes: np.ndarray) -> np.ndarray:
    """Decode 8-bit mu-law codes (mu = 255) to a float32 waveform in [-1, 1].

    Args:
        codes: `uint8` codes of any shape, as returned by `mu_law_encode`.

    Returns:
        float32 array of the same shape.

    Example:

    >>> mu_law_decode(np.array([0, 255], dtype=np.uint8))
    array([-1.,  1.], dtype=float32)
    """
    codes = np.asarray(codes)
    if codes.dtype != np.uint8:
        raise ValueError(f"`codes` must be uint8 mu-law codes; got dtype {codes.dtype}.")
    y = np.arange(256) / _MU * 2.0 - 1.0  # (256,) the levels, evenly spaced in [-1, 1]
    table = np.sign(y) * np.expm1(np.abs(y) * np.log1p(_MU)) / _MU  # (256,) their amplitudes
    return table.astype(np.float32)[codes]


@dataclass(frozen=True)
class SpokenDigitClips:
    """Recordings of spoken digits with their labels, one entry per clip.

    Attributes:
        clips: tuple of float32 waveforms in [-1, 1] at `SAMPLE_RATE`, each `(samples,)`;
            lengths differ (about 0.14 to 2.3 s).
        digit: `(clips,)` int, the digit said, 0 .. 9.
        speaker: `(clips,)` int, the speaker, an index into `FSDD_SPEAKERS`.
        index: `(clips,)` int, the repetition number 0 .. 49 of that speaker and digit.
        sample_rate: samples per second, 8000.
    """

    clips: tuple[np.ndarray, ...]
    digit: np.ndarray
    speaker: np.ndarray
    index: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def __len__(self) -> int:
        return len(self.clips)

    def subset(self, mask: np.ndarray) -> SpokenDigitClips:
        """The clips where the boolean `mask` (shape `(clips,)`) is true, in the same order."""
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != self.digit.shape:
            raise ValueError(
                f"`mask` must be a boolean array of shape {self.digit.shape}; got "
                f"{describe(mask)} of dtype {mask.dtype}."
            )
        return SpokenDigitClips(
            clips=tuple(c for c, keep in zip(self.clips, mask, strict=True) if keep),
            digit=self.digit[mask],
            speaker=self.speaker[mask],
            index=self.index[mask],
            sample_rate=self.sample_rate,
        )


@functools.lru_cache(maxsize=1)
def _load_all() -> SpokenDigitClips:
    with np.load(FSDD_PATH, allow_pickle=False) as archive:
        codes = archive["codes"]  # (total samples,) uint8, every clip one after the other
        starts = archive["starts"]  # (clips + 1,) int, clip i is codes[starts[i]:starts[i+1]]
        peak = archive["peak"]  # (clips,) float32, the clip's peak |x| before encoding
        digit, speaker, index = archive["digit"], archive["speaker"], archive["index"]
    waves = mu_law_decode(codes)
    clips = tuple(
        waves[starts[i] : starts[i + 1]] * peak[i] for i in range(len(peak))
    )  # each (samples,) float32
    for c in clips:
        c.setflags(write=False)
    for a in (digit, speaker, index):
        a.setflags(write=False)
    return SpokenDigitClips(clips, digit.astype(np.int64), speaker.astype(np.int64),
                            index.astype(np.int64))  # fmt: skip


def load_fsdd(speakers: str | tuple[str, ...] | list[str] | None = None) -> SpokenDigitClips:
    """Load the Free Spoken Digit Dataset from the package, without any download.

    Source: `Jakobovski/free-spoken-digit-dataset` (Zohar Jackson and contributors,
    CC BY-SA 4.0), 6 speakers x 10 digits x 50 repetitions, 8 kHz mono. Stored as 8-bit
    mu-law; the decoded clips are within about 30-41 dB SNR of the 16-bit originals
    (see `course_lib/datasets/fsdd_data/README.md`).

    Args:
        speakers: a speaker's name, a list of names from `FSDD_SPEAKERS`, or `None`
            (default) for all six.

    Returns:
        `SpokenDigitClips` ordered by speaker, digit and repetition. The arrays are
        read-only (they are shared between calls); copy a clip before changing it.

    Example:

    >>> data = load_fsdd("theo")
    >>> len(data), data.sample_rate, sorted(set(data.digit.tolist())) == list(range(10))
    (500, 8000, True)
    """
    data = _load_all()
    if speakers is None:
        return data
    names = [speakers] if isinstance(speakers, str) else list(speakers)
    if not names:
        raise ValueError(f"`speakers` must name at least one of {FSDD_SPEAKERS}; got [].")
    wanted = [FSDD_SPEAKERS.index(check_choice(n, "speakers", FSDD_SPEAKERS)) for n in names]
    return data.subset(np.isin(data.speaker, wanted))


def _read_wav(path: Path) -> np.ndarray:
    """A 16-bit mono 8 kHz WAV file as float64 in [-1, 1), shape `(samples,)`."""
    with wave.open(str(path)) as file:
        layout = (file.getnchannels(), file.getsampwidth(), file.getframerate())
        if layout != (1, 2, SAMPLE_RATE):
            raise ValueError(
                f"{path.name} must be mono, 16-bit, {SAMPLE_RATE} Hz; got channels, bytes per "
                f"sample, rate = {layout}."
            )
        pcm = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
    return pcm.astype(np.float64) / 32768.0


def read_recordings(recordings: str | Path) -> list[tuple[int, int, int, np.ndarray]]:
    """Read FSDD's WAV files as `(speaker, digit, index, waveform)`, sorted.

    Args:
        recordings: the `recordings/` folder of the FSDD repository.

    Returns:
        One tuple per file, sorted by speaker, digit and index; waveforms are float64
        `(samples,)` in [-1, 1).
    """
    folder = Path(recordings)
    rows = []
    for path in folder.glob("*.wav"):
        match = _FILE_NAME.match(path.name)
        if match is None or match[2] not in FSDD_SPEAKERS:
            raise ValueError(
                f"`recordings` must hold files named {{digit}}_{{speaker}}_{{index}}.wav with a "
                f"speaker of {FSDD_SPEAKERS}; got {path.name!r}."
            )
        speaker = FSDD_SPEAKERS.index(match[2])
        rows.append((speaker, int(match[1]), int(match[3]), _read_wav(path)))
    if len(rows) != 3000:
        raise ValueError(f"`recordings` must hold the 3,000 FSDD clips; got {len(rows)} files.")
    return sorted(rows, key=lambda row: row[:3])


def build_fsdd_archive(recordings: str | Path, out: str | Path = FSDD_PATH) -> Path:
    """Encode FSDD's WAV files into the shipped archive (how `FSDD_PATH` was made).

    Each clip is divided by its peak |x|, encoded as 8-bit mu-law, and stored with the
    peak, so decoding returns it at its original level.

    Args:
        recordings: the `recordings/` folder of a checkout of
            `Jakobovski/free-spoken-digit-dataset`.
        out: where to write the `.npz` file. Defaults to `FSDD_PATH`.

    Returns:
        The path written.
    """
    rows = read_recordings(recordings)
    peak = np.array([max(np.abs(w).max(), 1.0 / 32768.0) for *_, w in rows], dtype=np.float32)
    codes = np.concatenate([mu_law_encode(w / p) for (*_, w), p in zip(rows, peak, strict=True)])
    starts = np.concatenate([[0], np.cumsum([len(w) for *_, w in rows])]).astype(np.int64)
    np.savez_compressed(
        out,
        codes=codes,  # (total samples,) uint8
        starts=starts,  # (clips + 1,) int64
        peak=peak,  # (clips,) float32
        speaker=np.array([r[0] for r in rows], dtype=np.int8),  # (clips,)
        digit=np.array([r[1] for r in rows], dtype=np.int8),  # (clips,)
        index=np.array([r[2] for r in rows], dtype=np.int8),  # (clips,)
    )
    return Path(out)


if __name__ == "__main__":  # python -m course_lib.datasets.fsdd path/to/recordings
    import sys

    print(build_fsdd_archive(sys.argv[1]))
