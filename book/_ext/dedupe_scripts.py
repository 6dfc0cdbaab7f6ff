"""Write each inline script of a page once.

Sphinx 7.4 adds the inline scripts that extensions register after the builder has started
(sphinx-thebe's `const THEBE_JS_URL = ...`, sphinx-togglebutton's settings) to every page
twice: once as registered, once again when it prepares writing, with `''` instead of `None`
as file name, so its duplicate check misses them. The second `const` declaration is a
JavaScript error on every page ("Identifier 'THEBE_JS_URL' has already been declared").
This extension drops the repeats from the page's `script_files` before the page is written.
"""

from __future__ import annotations


def _key(script) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    priority = getattr(script, "priority", 500)
    return (str(filename), priority, tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the list the template renders


def setup(app):
    # After every extension that adds page scripts in html-page-context (default 500).
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
