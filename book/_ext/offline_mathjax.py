"""Serve MathJax from the website itself, so the book's equations render without internet.

Sphinx loads MathJax 3 from a CDN by default. This extension copies MathJax 2.7, shipped
by the `jupyter-server-mathjax` package (a pip dependency of the course, no Node.js needed),
into `_static/mathjax/` of the built site and points Sphinx at it:

- `mathjax_path` becomes `mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full` (Sphinx
  resolves a relative path under `_static/`).
- MathJax 2 reads `mathjax2_config`, so the settings MyST writes into `mathjax3_config`
  (process only the elements Sphinx marks as math) are translated into MathJax 2's `tex2jax`
  options, and `mathjax3_config` is cleared so the page does not also get a MathJax 3
  `window.MathJax = {...}` block and the `defer` attribute meant for MathJax 3.
- The package ships only the STIX-Web fonts, so the HTML-CSS output is told to use them and
  nothing on the page asks for the TeX fonts that are not there.

Settings given in `_config.yml` under `sphinx.config.mathjax2_config` are merged on top.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

MATHJAX_DIR = "mathjax"  # under _static/
MATHJAX_COMBINED_CONFIG = "TeX-AMS-MML_HTMLorMML-full"
# What MyST asks MathJax to process when its settings cannot be read (myst-parser's default).
DEFAULT_PROCESS_CLASS = "tex2jax_process|mathjax_process|math|output_area"


def mathjax_source() -> Path:
    """The folder holding MathJax.js inside the installed `jupyter-server-mathjax`."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")  # no import of jupyter_server
    locations = list(spec.submodule_search_locations or []) if spec else []
    static = Path(locations[0]) / "static" if locations else None
    if static is None or not (static / "MathJax.js").is_file():
        raise ExtensionError(
            "offline_mathjax: MathJax 2 was not found; the book serves it from the "
            "`jupyter-server-mathjax` package: `pip install jupyter-server-mathjax` "
            "(it is in the course's pyproject.toml)."
        )
    return static


def configure_mathjax(app) -> None:
    """Point Sphinx at the local MathJax 2 (runs after MyST has written its settings)."""
    if app.builder.format != "html":
        return
    mathjax_source()  # fail early, before any page is written
    app.config.mathjax_path = f"{MATHJAX_DIR}/MathJax.js?config={MATHJAX_COMBINED_CONFIG}"

    options = (app.config.mathjax3_config or {}).get("options", {})
    process_class = options.get("processHtmlClass", DEFAULT_PROCESS_CLASS)
    config = {
        "tex2jax": {
            # The delimiters Sphinx writes around math (\( \) and \[ \]) and nothing else,
            # so a dollar sign in prose or in code output is never typeset.
            "inlineMath": [list(app.config.mathjax_inline)],
            "displayMath": [list(app.config.mathjax_display)],
            "processEscapes": True,
            "processClass": process_class,
            "ignoreClass": "tex2jax_ignore|mathjax_ignore",
        },
        "HTML-CSS": {
            "availableFonts": [],
            "preferredFont": None,
            "webFont": "STIX-Web",
            "imageFont": None,
            # MathJax probes font loading against a font whose source is 'about:blank',
            # which Chrome reports as a CORS error on every page; a local() source that
            # does not exist fails the same way, silently.
            "styles": {
                "@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}
            },
        },
        "SVG": {"font": "STIX-Web"},
        # The hidden MathML copy for screen readers asks, through the NativeMML output's
        # styles, for MathJax's TeX web fonts, which the package does not ship (a 404 per
        # double-struck or script letter). It is never seen, so it keeps the page's font.
        "styles": {".MJX_Assistive_MathML [mathvariant]": {"font-family": "inherit !important"}},
    }
    config.update(app.config.mathjax2_config or {})
    app.config.mathjax2_config = config
    app.config.mathjax3_config = None


def copy_mathjax(app, exception) -> None:
    """Copy MathJax 2 into `_static/mathjax/` of the built site."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / MATHJAX_DIR
    shutil.copytree(mathjax_source(), target, dirs_exist_ok=True)


def setup(app):
    # MyST fills mathjax3_config at builder-inited with the default priority (500).
    app.connect("builder-inited", configure_mathjax, priority=900)
    app.connect("build-finished", copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
