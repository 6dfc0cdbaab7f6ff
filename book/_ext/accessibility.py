"""Name the toggles of the navigation bar: each `<summary>` says which sections it shows.

pydata-sphinx-theme's `generate_toctree_html` turns a chapter with sections into
`<a ...>6. Applications</a><details><summary><span class="toctree-toggle"
role="presentation"><i class="fa-solid fa-chevron-down"></i></span></summary>`: a toggle
with an icon only, which a screen reader announces without a name (WCAG 4.1.2, axe rule
summary-name). This extension wraps the function the templates call and gives every such
`<summary>` an `aria-label`, "Sections of 6. Applications". The other accessibility fixes
are a stylesheet (book/_static/accessibility.css) and two templates (book/_templates/).
"""

from __future__ import annotations

import functools
import html
import re

# A toctree link followed by the <details><summary> that toggles its children.
_TOGGLE = re.compile(
    r"(?P<link><a\b[^>]*>(?P<title>(?:(?!</?a\b).)*?)</a>)\s*(?P<details><details\b[^>]*>)\s*<summary>",
    flags=re.DOTALL,
)
_TAG = re.compile(r"<[^>]+>")


def name_toggles(markup: str) -> str:
    """Give every navigation `<summary>` right after a link the label "Sections of TITLE"."""

    def label(match: re.Match) -> str:
        title = html.unescape(_TAG.sub("", match["title"])).strip()
        name = html.escape(f"Sections of {title}", quote=True)
        return f'{match["link"]}{match["details"]}<summary aria-label="{name}">'

    return _TOGGLE.sub(label, markup)


def name_toggles_in_tree(soup) -> None:
    """The same for a BeautifulSoup tree, in place (the theme caches and reuses it)."""
    for summary in soup.select("details > summary"):
        details = summary.parent
        link = details.find_previous_sibling("a")
        if link is not None and not summary.get("aria-label"):
            summary["aria-label"] = f"Sections of {link.get_text(' ', strip=True)}"


def wrap_toctree(app, pagename, templatename, context, doctree) -> None:
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "names_toggles", False):
        return

    @functools.wraps(generate)
    def generate_named(*args, **kwargs):
        markup = generate(*args, **kwargs)
        if isinstance(markup, str):
            return name_toggles(markup)
        name_toggles_in_tree(markup)  # pydata-sphinx-theme 0.17 returns a BeautifulSoup tree
        return markup

    generate_named.names_toggles = True
    context["generate_toctree_html"] = generate_named


def setup(app):
    # After pydata-sphinx-theme puts generate_toctree_html into the context (priority 500).
    app.connect("html-page-context", wrap_toctree, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
