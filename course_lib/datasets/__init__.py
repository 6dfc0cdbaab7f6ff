"""Every data set of the course, generated or shipped with an installed package, never downloaded.

- `series`: synthetic series, windows, time-ordered splits and scaling (Chapter 3).
- `tasks`: the adding problem (Chapters 2, 4 and 9b), a long-sequence classification task
  (Chapter 6c) and the selective-copying task (Chapter 9c).
- `sunspots`: yearly sunspot numbers bundled with statsmodels (Chapter 6a).
- `text`: a character corpus shipped with Python itself, and a character n-gram chain of
  it that samples fresh text (Chapter 6b and its project).
- `digits`: scikit-learn's 8x8 digits read row by row (Chapter 6c).
- `messages`: short sentences in five languages, Sphinx's translated messages (Chapter 7).
- `spoken`: digit strings read aloud, to be written as digits (Chapter 8).
- `fsdd`: the Free Spoken Digit Dataset, recordings shipped with the package (Chapter 10).
- `connected_digits`: FSDD clips joined into spoken digit strings (Chapter 10).

Use it as::

    from course_lib import datasets
    X, y = datasets.adding_problem(1000, timesteps=50)
"""

from course_lib.datasets.connected_digits import (
    ConnectedDigits,
    connected_digits,
    split_speakers,
)
from course_lib.datasets.digits import load_digit_sequences
from course_lib.datasets.fsdd import FSDD_SPEAKERS, SpokenDigitClips, load_fsdd
from course_lib.datasets.messages import MESSAGE_LANGUAGES, load_messages
from course_lib.datasets.series import (
    ForecastingData,
    SeriesScaler,
    make_forecasting_data,
    make_windows,
    periodic_series,
    sine_series,
    split_by_time,
)
from course_lib.datasets.spoken import (
    Seq2SeqBatch,
    decode_target,
    digit_words,
    encode_pairs,
    spoken_digits,
)
from course_lib.datasets.sunspots import load_sunspots
from course_lib.datasets.tasks import (
    ADDING_BASELINE_MSE,
    adding_problem,
    long_sequence_classification,
    selective_copy,
)
from course_lib.datasets.text import (
    CharMarkovChain,
    CharVocabulary,
    load_corpus,
    make_char_sequences,
)

__all__ = [
    "ADDING_BASELINE_MSE",
    "FSDD_SPEAKERS",
    "MESSAGE_LANGUAGES",
    "CharMarkovChain",
    "CharVocabulary",
    "ConnectedDigits",
    "ForecastingData",
    "Seq2SeqBatch",
    "SeriesScaler",
    "SpokenDigitClips",
    "adding_problem",
    "connected_digits",
    "decode_target",
    "digit_words",
    "encode_pairs",
    "load_corpus",
    "load_digit_sequences",
    "load_fsdd",
    "load_messages",
    "load_sunspots",
    "long_sequence_classification",
    "make_char_sequences",
    "make_forecasting_data",
    "make_windows",
    "periodic_series",
    "selective_copy",
    "sine_series",
    "split_speakers",
    "split_by_time",
    "spoken_digits",
]
