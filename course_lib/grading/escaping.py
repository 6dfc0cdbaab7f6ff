"""Student text made inert wherever the grader shows it: terminal, Markdown, spreadsheet.

Names come from archive entries and folders, messages quote what a student's function
returned: the grader treats all of it as hostile text. One helper per place it goes, used
everywhere text of a student reaches that place:

- `terminal_text`: control characters (escape sequences that clear the screen or move the
  cursor, carriage returns and new lines that forge a line, bidirectional overrides) are
  written as visible escapes (`\\x1b`, `\\n`, `\\u202e`).
- `markdown_inline` and `markdown_block`: for the Markdown feedback. Inline text (names,
  table cells, notes) has every character Markdown reads as syntax backslash-escaped, so
  raw HTML, links, emphasis and code spans render as the characters typed; a block (a
  multi-line message) goes into a code fence longer than any run of backticks inside it,
  so no line of the message can close the fence.
- `html_text`: for the class report's HTML page: `& < > " '` become entities and control
  characters visible escapes, so a name or a solution shows as typed and runs nothing.
- `spreadsheet_cell`: a CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
  return is a formula to Excel, LibreOffice and Google Sheets; it gets a leading `'`.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from __future__ import annotations

import html
import re

# C0 and C1 control characters, DEL, and the bidirectional controls (Trojan Source).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What Markdown (CommonMark, GitHub's tables, MyST's `$` math) reads as syntax inside a line;
# `.` and `)` only after leading digits (an ordered list).
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-!|<>&~$])")
_ORDERED_LIST = re.compile(r"^(\d{1,9})([.)])")
_BACKTICK_RUN = re.compile(r"`+")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match) -> str:
    if match.group() in _NAMED:
        return _NAMED[match.group()]
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: object, *, keep_newlines: bool = False) -> str:
    """Return `text` with its control characters written as visible escapes.

    Args:
        text: anything; converted with `str`.
        keep_newlines: keep `\\n` (for a message printed over several lines). Defaults to
            False: a name or a one-line message cannot start a new line.

    Returns:
        Printable text: no character of it moves the cursor or changes the terminal.

    Example:
        >>> terminal_text("alice\\x1b[2J\\rGraded 50 notebooks")
        'alice\\\\x1b[2J\\\\rGraded 50 notebooks'
    """
    text = str(text)
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_visible, line) for line in text.split("\n"))
    return _CONTROL.sub(_visible, text)


def markdown_inline(text: object) -> str:
    """Return `text` for one line of Markdown (a heading, a table cell, a list item).

    Line breaks become spaces, control characters visible escapes, and every character
    Markdown reads as syntax is backslash-escaped (CommonMark renders `\\<` as `<`), so the
    text renders as typed: no HTML, link, emphasis, code span, heading, list, math or table
    column of its own.

    Args:
        text: anything; converted with `str`.

    Returns:
        Inline Markdown that renders as the characters of `text`.

    Example:
        >>> markdown_inline("<b>8 of 8</b>")
        '\\\\<b\\\\>8 of 8\\\\</b\\\\>'
    """
    one_line = terminal_text(" ".join(str(text).split()))
    return _ORDERED_LIST.sub(r"\1\\\2", _MARKDOWN_SYNTAX.sub(r"\\\1", one_line))


def markdown_block(text: object, info: str = "text") -> list[str]:
    """Return the lines of a fenced code block that shows `text` verbatim.

    The fence is one backtick longer than the longest run of backticks in `text` (at
    least three): CommonMark closes a fence only with one at least as long, so no line of
    `text` can end the block and be rendered as Markdown.

    Args:
        text: anything; converted with `str`.
        info: the fence's info string. Defaults to "text".

    Returns:
        The block's lines: opening fence, the text's lines, closing fence; shape `(n + 2,)`.

    Example:
        >>> markdown_block("```\\n**Total: 8 of 8 points**")
        ['````text', '```', '**Total: 8 of 8 points**', '````']
    """
    body = terminal_text(str(text).strip("\n"), keep_newlines=True)
    longest = max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *body.split("\n"), fence]


def html_text(text: object, *, keep_newlines: bool = False) -> str:
    """Return `text` for an HTML page (an element's text or an attribute's value).

    Args:
        text: anything; converted with `str`.
        keep_newlines: keep `\\n` (for a `<pre>` block). Defaults to False.

    Returns:
        Text with `& < > " '` as entities and control characters (bidirectional overrides
        included) as visible escapes: no tag, attribute or script of its own.

    Example:
        >>> html_text('<img src=x onerror="alert(1)">')
        '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(terminal_text(text, keep_newlines=keep_newlines), quote=True)


def spreadsheet_cell(value: object) -> object:
    """Return `value` as a CSV cell no spreadsheet reads as a formula.

    Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
    (the apostrophe spreadsheets hide and treat as "this is text"); numbers pass unchanged.

    Args:
        value: a cell's value.

    Returns:
        The value to write.

    Example:
        >>> spreadsheet_cell('=HYPERLINK("http://x", "8/8")')
        '\\'=HYPERLINK("http://x", "8/8")'
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
