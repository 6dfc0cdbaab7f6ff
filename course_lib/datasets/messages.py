"""Short sentences in five languages: Sphinx's user messages and their translations.

Introduced in Chapter 7 (Variable-length sequences and real text).
"""

from __future__ import annotations

import functools
import gettext
import re
from pathlib import Path

import numpy as np

from course_lib.validation import check_choice, check_float

__all__ = ["MESSAGE_LANGUAGES", "load_messages"]

#: The languages of `load_messages`, in the order of their labels 0 .. 4.
MESSAGE_LANGUAGES: tuple[str, ...] = ("English", "French", "Spanish", "Portuguese", "Catalan")
# The Sphinx catalogue of each translated language (English is the source text).
_LOCALES = {"French": "fr", "Spanish": "es", "Portuguese": "pt_BR", "Catalan": "ca"}
# printf-style and format-style placeholders: "%s", "%(name)s", "%r", "%d", "{0}", "{name}"
_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdrfix]|\{[^{}]*\}")


def _clean(message: str) -> str:
    """Remove placeholders and collapse whitespace."""
    return " ".join(_PLACEHOLDER.sub(" ", message).split())


@functools.lru_cache(maxsize=1)
def _parallel_messages() -> tuple[tuple[str, ...], ...]:
    """Every message translated into all four languages, as `(English, French, ...)` rows."""
    import sphinx

    root = Path(sphinx.__file__).parent / "locale"
    catalogues = []
    for name in MESSAGE_LANGUAGES[1:]:
        with open(root / _LOCALES[name] / "LC_MESSAGES" / "sphinx.mo", "rb") as file:
            catalogue = gettext.GNUTranslations(file)._catalog  # msgid -> msgstr
        catalogues.append({k: v for k, v in catalogue.items() if isinstance(k, str) and v})
    rows = []
    for msgid in sorted(catalogues[0]):
        english = _clean(msgid)
        if not english or not all(msgid in c for c in catalogues):
            continue
        translations = [_clean(c[msgid]) for c in catalogues]
        if all(t and t != english for t in translations):  # skip untranslated copies
            rows.append((english, *translations))
    return tuple(rows)


def load_messages(
    split: str = "train", *, test_fraction: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Load short sentences labelled by language: English, French, Spanish, Portuguese, Catalan.

    Source: the user-interface and error messages of Sphinx (the documentation generator
    that builds this book, installed with Jupyter Book) and their translations by the
    Sphinx translators on Transifex, read from the `sphinx/locale/*/LC_MESSAGES/sphinx.mo`
    catalogues of the installed package, so nothing is downloaded. Licence: BSD 2-Clause
    (Sphinx; the catalogues are "distributed under the same license as the Sphinx
    project"). The sentences depend slightly on the installed Sphinx version (7.4 here).

    Every message that has a French (`fr`), Spanish (`es`), Brazilian Portuguese
    (`pt_BR`) and Catalan (`ca`) translation gives five sentences, one per language
    (about 660 messages, 3,300 sentences). Placeholders such as `%s`, `%(name)s` and
    `{0}` are removed, whitespace is collapsed, and messages whose translation is a copy
    of the English text are left out. Lengths spread naturally, from one word
    (`"Bases"`) to about 90, with a median of 5 words.

    The split is by message, so the five translations of a message are all in the same
    split and a test sentence is never a translation of a training sentence. The split is
    fixed (it does not depend on the course's seed).

    Args:
        split: `"train"`, `"test"` or `"all"`. Defaults to `"train"`.
        test_fraction: the fraction of messages in the test split, between 0.05 and 0.5.
            Defaults to `0.2`.

    Returns:
        `(texts, labels)`: `texts` a NumPy array of `str`, shape `(n,)`, and `labels` an
        int array `(n,)` of indices into `MESSAGE_LANGUAGES`, in message order (the five
        languages of a message one after the other).

    Example:
    >>> texts, labels = load_messages("test")
    >>> len(texts) > 600, [MESSAGE_LANGUAGES[i] for i in labels[:2]]
    (True, ['English', 'French'])

    Introduced in Chapter 7 (Variable-length sequences and real text).
    """
    split = check_choice(split, "split", ("train", "test", "all"))
    test_fraction = check_float(test_fraction, "test_fraction", minimum=0.05, maximum=0.5)
    rows = _parallel_messages()
    order = np.random.default_rng(7).permutation(len(rows))  # a fixed split of the messages
    is_test = np.zeros(len(rows), dtype=bool)
    is_test[order[: int(round(test_fraction * len(rows)))]] = True
    keep = {"train": ~is_test, "test": is_test, "all": np.ones(len(rows), dtype=bool)}[split]
    chosen = [row for row, k in zip(rows, keep, strict=True) if k]
    texts = np.array([text for row in chosen for text in row], dtype=str)  # (n,)
    labels = np.tile(np.arange(len(MESSAGE_LANGUAGES)), len(chosen))  # (n,)
    return texts, labels
