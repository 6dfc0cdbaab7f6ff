"""Numbers in the book's prose, and the runs they must come from.

A sentence of the book may state a number with three or more significant digits (0.953,
175, 1,024, 12.5 %) only when a run produced it: it must appear in an output of the
executed notebook the sentence belongs to, or in `bench/results.json`, which `make bench`
regenerates. A number written in the notebook's own code (`batch_size = 128`, a literal
the reader sees next to the sentence) counts too: it is a setting of the run, not a result
typed from memory. Comments and strings of the code do not count.

Numbers with one or two significant digits (0.5, 200 steps, 10^-5, 85 %) are not checked:
they are thresholds the notebooks assert, round settings and rough sizes. What is left
unmatched is either a typed result (remove it, or print and assert it in the notebook) or
one of the reviewed constants of `ALLOWED` (a year, a paper's published figure).

A number in the text matches a number of a run when the run's value, rounded to the
decimals the text writes, is the text's number (0.9526 matches "0.953"); a percentage
also matches its fraction (12.5 % matches 0.125).
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CACHE = BOOK / "_build" / ".jupyter_cache"  # the build's execution cache (Jupyter Book 1)
RESULTS = [ROOT / "bench" / "results.json"]

# Reviewed constants that no run produces: a number, as the text writes it, and why it may
# stand there. Keep this list short; every entry is a sentence that cannot be checked.
ALLOWED = {
    "175": "Feng et al. (2024): their minGRU's training step over the GRU's, on a GPU (09a)",
    "512": "Feng et al. (2024): the sequence length of that figure (09a)",
}

# A number in prose: digits with optional thousands separators and decimals, not part of a
# word (float32, Chapter 6b, 09a) and not part of a dotted version (3.11.7).
_PROSE_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?!\.?\w)(\s*%)?")
# A number in an output: also scientific notation (1.1e-06) and numbers glued to words.
_OUTPUT_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")
# Prose that is not prose: code, links' targets, roles, comments, directives' options.
_NOT_PROSE = [
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r"`[^`]*`"),  # inline code, and the targets of roles such as {cite:t}`key`
    re.compile(r"\]\([^)]*\)"),  # the target of a link
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"https?://\S+"),  # bare addresses
]


@dataclass(frozen=True)
class ProseNumber:
    """A number as the text writes it."""

    text: str  # e.g. "1,024", "0.953", "12.5 %"
    value: float  # 1024.0, 0.953, 12.5
    decimals: int  # digits after the decimal point
    percent: bool
    context: str  # the words around it, for the failure message

    @property
    def significant_digits(self) -> int:
        digits = self.text.split("%")[0].strip().replace(",", "").replace(".", "")
        digits = digits.lstrip("0")
        if "." not in self.text:  # trailing zeros of an integer are not significant
            digits = digits.rstrip("0")
        return len(digits)

    def matches(self, candidate: float) -> bool:
        """Whether `candidate`, rounded to the decimals of the text, is this number."""
        targets = [(self.value, self.decimals)]
        if self.percent:
            targets.append((self.value / 100, self.decimals + 2))
        return any(
            abs(abs(candidate) - value) <= 0.5 * 10.0**-decimals * (1 + 1e-9)
            for value, decimals in targets
        )


def prose(markdown: str) -> str:
    """The markdown with code, link targets, role targets and comments blanked out."""
    for pattern in _NOT_PROSE:
        markdown = pattern.sub(lambda m: " " * len(m.group()), markdown)
    return markdown


def prose_numbers(markdown: str) -> list[ProseNumber]:
    """Every number of the prose of `markdown`, with its significant digits."""
    text = prose(markdown)
    found = []
    for match in _PROSE_NUMBER.finditer(text):
        whole, fraction, percent = match.group(1), match.group(2) or "", match.group(3)
        start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
        found.append(
            ProseNumber(
                text=f"{whole}{fraction}{' %' if percent else ''}",
                value=float(whole.replace(",", "") + fraction),
                decimals=len(fraction) - 1 if fraction else 0,
                percent=bool(percent),
                context=" ".join(text[start:end].split()),
            )
        )
    return found


def output_numbers(text: str) -> Iterator[float]:
    """Every number in a piece of output text, unsigned."""
    for match in _OUTPUT_NUMBER.finditer(text):
        try:
            yield float(match.group().replace(",", ""))
        except ValueError:
            continue


def code_numbers(source: str) -> Iterator[float]:
    """The numeric literals of Python code (not its comments or strings)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type == tokenize.NUMBER:
                try:
                    yield abs(float(token.string.replace("_", "").rstrip("jJ")))
                except ValueError:
                    continue
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return


def _output_text(output: dict) -> Iterator[str]:
    if "text" in output:
        yield "".join(output["text"])
    for kind, value in output.get("data", {}).items():
        if kind.startswith("text/") or kind == "application/json":
            yield value if isinstance(value, str) else json.dumps(value)


def executed(path: Path, cache_dir: Path = CACHE) -> dict | None:
    """The notebook at `path` with the outputs of its last build, or None if it has none.

    The build's execution cache holds one executed copy per version of a notebook's code;
    the copy that matches the notebook as it is now is the run its text must agree with.
    (The copies in `_build/jupyter_execute` are no use: myst-nb writes them without
    outputs when a rebuild takes a notebook from the cache.)
    """
    import nbformat
    from jupyter_cache import get_cache

    notebook = nbformat.read(path, as_version=4)
    try:
        _, merged = get_cache(str(cache_dir)).merge_match_into_notebook(notebook)
    except KeyError:
        return None
    return json.loads(nbformat.writes(merged))


def notebook_evidence(notebook: dict) -> set[float]:
    """The numbers a run of `notebook` produced (its outputs) and its code's literals."""
    found: set[float] = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        found.update(code_numbers("".join(cell.get("source", ""))))
        for output in cell.get("outputs", []):
            for text in _output_text(output):
                found.update(output_numbers(text))
    return found


def results_evidence(paths: Iterable[Path] = RESULTS) -> set[float]:
    """Every number of the results files: numeric values and numbers inside strings."""
    found: set[float] = set()

    def walk(value) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float):
            found.add(abs(float(value)))
        elif isinstance(value, str):
            found.update(output_numbers(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in paths:
        walk(json.loads(path.read_text()))
    return found


def markdown_of(notebook: dict) -> str:
    return "\n\n".join(
        "".join(cell.get("source", ""))
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "markdown"
    )


def unproduced(
    markdown: str, evidence: set[float], allowed: Iterable[str] = ALLOWED, min_digits: int = 3
) -> list[ProseNumber]:
    """The numbers of `markdown` with `min_digits` or more significant digits that no run made."""
    allowed = set(allowed)
    return [
        number
        for number in prose_numbers(markdown)
        if number.significant_digits >= min_digits
        and number.text.split(" %")[0] not in allowed
        and not any(number.matches(value) for value in evidence)
    ]
