"""Citations as the book writes them: (Feng et al., 2024) and Feng et al. (2024).

sphinxcontrib-bibtex (the `{cite:p}` and `{cite:t}` roles, and the reference list of
`references.md`) writes author-year citations with square brackets, [Feng et al., 2024].
This extension registers `author_year_round`, the same style with round brackets and a
semicolon between the works of one parenthetical citation; `_config.yml` selects it with
`bibtex_reference_style`.

It also makes the reference list an accessible list: docutils writes it as `<div
role="list">` whose entries have the role `doc-biblioentry`, which DPUB-ARIA 1.1
deprecated, and axe-core (rule aria-required-children, WCAG 1.3.1) wants a list's children
to be `listitem`s. The entries get that role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


def _round_list() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


@dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """`author_year` with (round) brackets: Cho et al. (2014a); (Chung et al., 2014; ...)."""

    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_parenthetical: BracketStyle = field(default_factory=_round_list)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


register_plugin(
    "sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearReferenceStyle
)


def entries_as_list_items(app, pagename, templatename, context, doctree) -> None:
    """Give the entries of a reference list the role `listitem` in the page's HTML."""
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    app.connect("html-page-context", entries_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
