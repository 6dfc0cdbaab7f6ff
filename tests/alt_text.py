"""What counts as alternative text for a figure: words saying what it shows, not a file name.

Shared by tests/test_figure_alt_text.py (the notebooks' cell metadata) and
tests/test_site_browser.py (the `alt` of every image on the built pages).
"""

from __future__ import annotations

import re

# A file name or path (what myst-nb writes when a cell gives no alt text: the image's
# content hash with its extension), a bare hash, or a placeholder word.
_FILE_NAME = re.compile(r"\.(png|jpe?g|gif|svg|webp|pdf)\b", re.IGNORECASE)
_HASH = re.compile(r"\b[0-9a-f]{16,}\b", re.IGNORECASE)
_PLACEHOLDERS = {"figure", "image", "plot", "png", "output", "chart", "graph", "picture"}
MIN_WORDS = 5


def alt_text_problem(alt: str | None) -> str | None:
    """None when `alt` is alternative text that says something, else what is wrong with it.

    Args:
        alt: the alt text, or None when there is none.

    Returns:
        None, or a short description of the problem ("missing", "a file name: ...").
    """
    if alt is None or not alt.strip():
        return "missing"
    text = alt.strip()
    a_path = " " not in text and ("/" in text or "\\" in text)
    if _FILE_NAME.search(text) or _HASH.search(text) or a_path:
        return f"a file name, not a description: {text!r}"
    if text.lower().strip(" .") in _PLACEHOLDERS:
        return f"a placeholder, not a description: {text!r}"
    if len(text.split()) < MIN_WORDS:
        return f"too short to say what the figure shows (fewer than {MIN_WORDS} words): {text!r}"
    return None


# Code that draws a figure: pyplot, a course_lib.plotting or diagrams function, a
# DataFrame's or Axes' .plot(), imshow, scikit-learn's *Display.from_* helpers.
PLOTTING_CODE = re.compile(
    r"\bplt\.|\bplot_[a-z_]+\(|\.plot\(|\.imshow\(|\bplotting\.|\bdiagrams\.|Display\.from_"
)


def cell_alt_text(cell: dict) -> str | None:
    """The alt text myst-nb gives the images of a cell (`mystnb: image: alt` metadata)."""
    options = ((cell.get("metadata") or {}).get("mystnb") or {}).get("image") or {}
    alt = options.get("alt")
    return alt if isinstance(alt, str) else None
