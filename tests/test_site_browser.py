"""The built website, tested in a real browser (headless Chromium driven by Playwright).

`make test` builds the book first; this file then serves `book/_build/html` on 127.0.0.1 and
visits every page with every request to another host blocked, as on a laptop without
internet. Each page must: log no console error, request nothing from another host, load
every image, have every internal link and #anchor resolve, typeset all its math (no raw
TeX left in the text). Chapter pages get a full-page screenshot in artifacts/screenshots/.
Search must find results; notebook pages must offer the Binder, Colab, download and
repository buttons; chapter titles must carry their numbers from the table of contents.

Environment variables (all optional):
    RNN_SITE_DIR   the built site to test (default: book/_build/html); the book folder is
                   taken to be two levels up (its _config.yml and _toc.yml are read).
    RNN_CHROMIUM   the browser. Without it one is looked for where people have one
                   (tests/find_browser.py: Debian's and Ubuntu's Chromium, Google Chrome on
                   Linux, macOS and Windows, a browser Playwright installed); `make site`
                   runs Playwright's own install when none is found.
    RNN_AXE        axe-core's axe.min.js (default: node_modules/axe-core/axe.min.js, which
                   `make site` installs with npm from package.json; never a CDN).

Accessibility: axe-core runs on every page in the light and the dark colour mode with the
WCAG 2.1 A and AA rules, and any critical or serious violation fails, except the few on
AXE_ALLOWED below (from the theme, each with its upstream issue). Every image in a cell
output needs alt text saying what it shows (never its file name).
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from alt_text import PLOTTING_CODE, alt_text_problem
from find_browser import BrowserNotFound, find_browser

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
SITE_DIR = Path(os.environ.get("RNN_SITE_DIR") or REPO / "book" / "_build" / "html").resolve()
BOOK_DIR = SITE_DIR.parents[1] if SITE_DIR.parent.name == "_build" else REPO / "book"
AXE_JS = Path(os.environ.get("RNN_AXE") or REPO / "node_modules" / "axe-core" / "axe.min.js")
# Where the test's server serves axe-core, beside the site (a path the site cannot have).
AXE_URL_PATH = "/__rnn_tests__/axe.min.js"
SCREENSHOTS = REPO / "artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
]
TIMEOUT_MS = 30_000

# Sphinx's own math elements; MathJax's output inside them carries other classes.
MATH_SELECTOR = "span.math.notranslate, div.math.notranslate"
TYPESET_SELECTOR = ".MathJax, .MathJax_Display, .MathJax_SVG, .MathJax_CHTML, mjx-container"
# TeX error output of MathJax 2 (noErrors / noUndefined) and MathJax 3.
MATH_ERROR_SELECTOR = ".noError, .merror, [data-mjx-error], mjx-merror"

# Wait until MathJax (2 or 3) has loaded and typeset the page; return an error or null.
WAIT_FOR_MATHJAX_JS = """
async () => {
  for (let i = 0; i < 250; i++) {
    if (window.MathJax && (window.MathJax.isReady || window.MathJax.startup)) break;
    await new Promise(r => setTimeout(r, 100));
  }
  if (!window.MathJax || !(window.MathJax.isReady || window.MathJax.startup)) {
    return 'MathJax did not load within 25 s';
  }
  if (window.MathJax.Hub) {
    await new Promise(r => window.MathJax.Hub.Queue(r));
  } else if (window.MathJax.startup) {
    await window.MathJax.startup.promise;
  }
  return null;
}
"""

# Make lazy images load, wait for every image, return the ones that did not load.
BROKEN_IMAGES_JS = """
async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = 'eager'; });
  const settled = images.map(img => img.complete ? Promise.resolve() : new Promise(r => {
    img.addEventListener('load', r, {once: true});
    img.addEventListener('error', r, {once: true});
  }));
  await Promise.race([Promise.all(settled), new Promise(r => setTimeout(r, 15000))]);
  return images.filter(img => !img.complete || img.naturalWidth === 0)
               .map(img => img.getAttribute('src') || img.outerHTML.slice(0, 120));
}
"""

# The alt attribute (null when absent) and src of every image in the page's article.
IMAGES_ALT_JS = """
() => Array.from(document.querySelectorAll('article img')).map(img => ({
  alt: img.getAttribute('alt'), src: img.getAttribute('src') || ''}))
"""

# axe-core's WCAG 2.0/2.1 level A and AA rules; the violations as plain data.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("critical", "serious")
RUN_AXE_JS = """
async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)}))}));
}
"""
AXE_RESULTS = REPO / "artifacts" / "axe"

# Violations from the theme that our configuration and templates cannot fix:
# (rule, a CSS selector axe reports for the node) -> why, with the upstream issue.
AXE_ALLOWED: dict[tuple[str, str], str] = {}

MATH_PROBLEMS_JS = """
([mathSelector, typesetSelector, errorSelector]) => {
  const problems = [];
  for (const el of document.querySelectorAll(mathSelector)) {
    const tex = (el.querySelector('script') || el).textContent.trim().slice(0, 80);
    if (!el.querySelector(typesetSelector)) problems.push('math not typeset: ' + tex);
    else if (el.querySelector(errorSelector)) problems.push('math has a TeX error: ' + tex);
  }
  // Raw TeX left in the visible text (code, scripts and MathJax's own output excluded).
  const skip = 'pre, code, script, style, textarea, .highlight, .cell_input, '
             + '.MathJax, .MathJax_Display, .MathJax_Preview, .MathJax_SVG, mjx-container';
  const raw = /\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\$\\$|\\$[^$\\n]*[\\\\_^{}][^$\\n]*\\$/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement && node.parentElement.closest(skip)) continue;
    const text = node.textContent;
    const match = text.match(raw);
    if (match) {
      const start = Math.max(0, match.index - 30);
      problems.push('raw TeX in the text: ...' + text.slice(start, match.index + 50).trim());
    }
  }
  return problems;
}
"""


# --- the site on disk ---------------------------------------------------------------------


def site_pages() -> list[str]:
    """Every HTML page of the site (paths relative to it), skipping _static, _sources..."""
    if not (SITE_DIR / "index.html").is_file():
        return []
    pages = []
    for path in SITE_DIR.rglob("*.html"):
        relative = path.relative_to(SITE_DIR)
        if not any(part.startswith("_") for part in relative.parts[:-1]):
            pages.append(relative.as_posix())
    return sorted(pages)


def read_yaml(name: str) -> dict:
    path = BOOK_DIR / name
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def toc_numbers() -> dict[str, str]:
    """docname -> expected section number ("4", "6.2") of every numbered page of _toc.yml.

    Jupyter Book numbers chapters continuously across numbered parts
    (html.use_multitoc_numbering, on by default) and sections below their chapter.
    """
    toc = read_yaml("_toc.yml")
    if toc.get("parts"):
        groups = [(bool(part.get("numbered")), part.get("chapters", [])) for part in toc["parts"]]
    else:
        numbered = bool((toc.get("options") or {}).get("numbered"))
        groups = [(numbered, toc.get("chapters", []))]
    numbers: dict[str, str] = {}

    def visit(entries: list, prefix: str) -> None:
        for position, entry in enumerate(entries, start=1):
            number = f"{prefix}{position}"
            if "file" in entry:
                numbers[str(entry["file"]).removesuffix(".md").removesuffix(".ipynb")] = number
            visit(entry.get("sections", []), number + ".")

    chapter = 0
    for numbered, chapters in groups:
        if not numbered:
            continue
        for entry in chapters:
            chapter += 1
            if "file" in entry:
                numbers[str(entry["file"]).removesuffix(".md").removesuffix(".ipynb")] = str(
                    chapter
                )
            visit(entry.get("sections", []), f"{chapter}.")
    return numbers


def toc_pages() -> list[str]:
    """The pages of the table of contents (root first), as HTML paths."""
    toc = read_yaml("_toc.yml")
    names = [toc["root"]] if toc.get("root") else []

    def visit(entries: list) -> None:
        for entry in entries:
            if "file" in entry:
                names.append(str(entry["file"]))
            visit(entry.get("sections", []))

    for part in toc.get("parts") or [{"chapters": toc.get("chapters", [])}]:
        visit(part.get("chapters", []))
    return [name.removesuffix(".md").removesuffix(".ipynb") + ".html" for name in names]


def notebook_pages() -> list[str]:
    """Pages built from a .ipynb (their source is copied to _sources/ as .ipynb)."""
    return [
        page
        for page in site_pages()
        if (SITE_DIR / "_sources" / page).with_suffix(".ipynb").is_file()
    ]


def draws_figures(page: str) -> bool:
    """Whether the notebook behind `page` has a code cell that draws a figure."""
    source = (SITE_DIR / "_sources" / page).with_suffix(".ipynb")
    if not source.is_file():
        return False
    cells = json.loads(source.read_text(encoding="utf-8")).get("cells", [])
    return any(
        cell.get("cell_type") == "code" and PLOTTING_CODE.search("".join(cell.get("source", "")))
        for cell in cells
    )


class _IdCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


@functools.cache
def anchors_of(path: Path) -> frozenset[str]:
    """The ids (and <a name>) a page defines, read from the HTML file."""
    collector = _IdCollector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(collector.ids)


def resolve_internal_link(href: str) -> str | None:
    """None if an internal link (absolute URL on our server) resolves, else the problem."""
    parts = urlsplit(href)
    path = unquote(parts.path).lstrip("/")
    target = SITE_DIR / path
    if path == "" or path.endswith("/") or target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"broken link: {href} (no file {target.relative_to(SITE_DIR)})"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in anchors_of(target):
        return f"broken anchor: {href} (no id {fragment!r} in {target.relative_to(SITE_DIR)})"
    return None


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(
            f"The website is not built: {SITE_DIR / 'index.html'} is missing. Build it with "
            "`make book` (`make test` builds it before running this test), or point "
            "RNN_SITE_DIR at a built site.",
            pytrace=False,
        )
    return SITE_DIR


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site, and axe-core at AXE_URL_PATH (from the npm package, never a CDN)."""

    def translate_path(self, path):
        if urlsplit(path).path == AXE_URL_PATH:
            return str(AXE_JS)
        return super().translate_path(path)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def base_url(site_dir: Path):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    try:
        chromium = find_browser()
    except BrowserNotFound as error:
        pytest.fail(str(error), pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
    except Exception as error:
        playwright.stop()
        pytest.fail(f"the browser at {chromium} did not start: {error}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class Visit:
    """What happened while a page loaded."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser, base_url):
    """visit(path) -> (page, Visit): open a page of the site with other hosts blocked."""
    contexts = []

    def open_page(path: str, *, mode: str | None = None):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        if mode:  # the theme reads the reader's choice from localStorage before painting
            context.add_init_script(
                f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
            )
        record = Visit(url=f"{base_url}/{path}")

        def route(route):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                record.external_requests.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on(
            "console",
            lambda message: (
                record.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: record.console_errors.append(f"uncaught: {error}"))
        page.on(
            "response",
            lambda response: (
                record.failed_requests.append(f"HTTP {response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )
        page.on(
            "requestfailed",
            lambda request: (
                record.failed_requests.append(f"{request.failure} {request.url}")
                if urlsplit(request.url).hostname == "127.0.0.1"
                else None
            ),
        )
        page.goto(record.url, wait_until="load")
        return page, record

    yield open_page
    for context in contexts:
        context.close()


def _wait_for_index_redirect(page, page_path: str) -> None:
    if page_path == "index.html":  # Jupyter Book writes a redirect to the root page
        page.wait_for_url("**/*.html", timeout=TIMEOUT_MS)
        page.wait_for_load_state("load")


def _settle(page) -> None:
    """Let late requests (fonts, MathJax's files) finish."""
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except Exception:  # a page that keeps polling is judged by its other checks
        pass


# --- tests --------------------------------------------------------------------------------

PAGES = site_pages() or ["<site not built>"]


def test_site_has_pages(site_dir):
    pages = site_pages()
    assert "index.html" in pages and "search.html" in pages, f"pages found: {pages}"
    missing = [page for page in toc_pages() if page not in pages]
    assert not missing, f"pages of _toc.yml missing from the site: {missing}"


@pytest.mark.parametrize("page_path", PAGES)
def test_page(site_dir, visit, page_path):
    """One visit per page: console, network, images, links, math, screenshot."""
    page, record = visit(page_path)
    _wait_for_index_redirect(page, page_path)
    problems: list[str] = []

    has_math = page.locator(MATH_SELECTOR).count() > 0
    if has_math:
        error = page.evaluate(WAIT_FOR_MATHJAX_JS)
        if error:
            problems.append(error)
    _settle(page)

    problems += [f"console error: {text}" for text in record.console_errors]
    problems += [f"request to another host: {url}" for url in record.external_requests]
    problems += [f"failed request: {text}" for text in record.failed_requests]
    problems += [f"image did not load: {src}" for src in page.evaluate(BROKEN_IMAGES_JS)]

    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    origin = urlsplit(page.url)
    for href in sorted(set(hrefs)):
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") and parts.netloc == origin.netloc:
            problem = resolve_internal_link(href)
            if problem:
                problems.append(problem)

    problems += page.evaluate(
        MATH_PROBLEMS_JS, [MATH_SELECTOR, TYPESET_SELECTOR, MATH_ERROR_SELECTOR]
    )

    # Figures: a notebook that plots must show images (a non-inline matplotlib backend in
    # the build, e.g. MPLBACKEND=Agg, silently drops them), never a figure's text repr.
    outputs = page.locator(".cell_output").all_text_contents()
    problems += [
        f"figure printed as text instead of drawn: {text.strip()[:80]}"
        for text in outputs
        if "<Figure size" in text or "<matplotlib." in text
    ]
    for image in page.evaluate(IMAGES_ALT_JS):
        problem = alt_text_problem(image["alt"])
        if problem:
            problems.append(
                f"image without alt text saying what it shows ({problem}): {image['src'][-60:]}"
            )
    if draws_figures(page_path) and page.locator(".cell_output img").count() == 0:
        problems.append(
            "the notebook draws figures but the page shows none (was the book built with "
            "a non-inline matplotlib backend, e.g. MPLBACKEND=Agg?)"
        )

    if page_path in toc_pages():
        # Fonts loaded and the page at its top, so the capture shows the page as a reader
        # first sees it (the theme scrolls the sidebar while it settles).
        page.evaluate("() => document.fonts.ready.then(() => window.scrollTo(0, 0))")
        page.wait_for_timeout(300)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / page_path.replace("/", "__").replace(".html", ".png")),
            full_page=True,
            animations="disabled",
        )

    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def axe_violations(page) -> list[dict]:
    """Run axe-core (served by the test's server beside the site) on the page as it is."""
    page.add_script_tag(url=AXE_URL_PATH)
    return page.evaluate(RUN_AXE_JS, AXE_TAGS)


def allowed(rule: str, target: str) -> bool:
    return any(rule == r and selector in target for r, selector in AXE_ALLOWED)


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_path", PAGES)
def test_accessibility(site_dir, visit, page_path, mode):
    """axe-core's WCAG 2.1 A/AA rules: no critical or serious violation, in either mode."""
    if not AXE_JS.is_file():
        pytest.fail(
            f"axe-core is missing: no {AXE_JS}. `make site` installs it (`npm ci`, from "
            "package.json); or point RNN_AXE at an axe.min.js.",
            pytrace=False,
        )
    page, _ = visit(page_path, mode=mode)
    _wait_for_index_redirect(page, page_path)
    if page.locator(MATH_SELECTOR).count() > 0:
        page.evaluate(WAIT_FOR_MATHJAX_JS)
    _settle(page)
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    assert theme == mode, f"{page_path}: asked for the {mode} mode, the page shows {theme}"
    page.wait_for_timeout(400)  # the theme's tab stops on scrollable blocks (debounced)
    violations = axe_violations(page)
    AXE_RESULTS.mkdir(parents=True, exist_ok=True)
    name = page_path.replace("/", "__").replace(".html", f".{mode}.json")
    (AXE_RESULTS / name).write_text(json.dumps(violations, indent=1), encoding="utf-8")
    problems = [
        f"{v['rule']} ({v['impact']}): {v['help']}\n      at {node['target']}: {node['html']}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
        for node in v["nodes"]
        if not allowed(v["rule"], node["target"])
    ]
    assert not problems, f"{page_path}, {mode} mode:\n  " + "\n  ".join(problems)


def test_search_finds_results(site_dir, visit):
    page, record = visit("search.html?q=recurrent")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(state="attached", timeout=TIMEOUT_MS)
    assert results.count() >= 1, "searching for 'recurrent' found nothing"
    first = results.first.locator("a").first.get_attribute("href")
    assert first and resolve_internal_link(f"{record.url.split('/search.html')[0]}/{first}") is None
    assert not record.console_errors, record.console_errors
    assert not record.external_requests, record.external_requests


@pytest.mark.parametrize("page_path", notebook_pages() or ["<no notebook pages yet>"])
def test_notebook_page_buttons(site_dir, visit, page_path):
    """Binder, Colab and download buttons and the repository link on a notebook page."""
    if page_path.startswith("<"):
        pytest.skip("the book has no notebook pages yet")
    repository = read_yaml("_config.yml").get("repository", {})
    url = repository["url"].rstrip("/")
    branch = repository.get("branch", "main")
    book_path = str(repository.get("path_to_book", "")).strip("/")
    notebook = "/".join(
        p for p in (book_path, Path(page_path).with_suffix(".ipynb").as_posix()) if p
    )
    org_repo = url.removeprefix("https://github.com/")

    page, _ = visit(page_path)
    launch = page.locator(".dropdown-launch-buttons a")
    links = [launch.nth(i).get_attribute("href") for i in range(launch.count())]
    binder = [link for link in links if "mybinder.org" in link]
    colab = [link for link in links if "colab.research.google.com" in link]
    assert binder and binder[0].startswith(f"https://mybinder.org/v2/gh/{org_repo}/{branch}?")
    assert binder[0].endswith(f"/tree/{notebook}"), binder
    assert colab == [
        f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{notebook}"
    ], colab

    download = page.locator(".dropdown-download-buttons a[href$='.ipynb']")
    assert download.count() >= 1, "no .ipynb download button"
    href = download.first.evaluate("a => a.href")
    assert resolve_internal_link(href) is None, f"download link {href} does not resolve"

    repo_button = page.locator("a.btn-source-repository-button")
    assert repo_button.count() == 1 and repo_button.get_attribute("href") == url

    # The install cell (tag remove-cell) is left out: the page opens on its chapter.
    first_code = page.locator("article div.cell").first.inner_text()
    assert "Install the course" not in page.locator("article").inner_text()
    assert first_code.lstrip().startswith("import course_lib"), first_code[:200]


NUMBERED = toc_numbers()


@pytest.mark.parametrize(
    "docname", sorted(NUMBERED) or ["<no numbered chapters yet>"], ids=lambda name: name
)
def test_chapter_title_carries_its_number(site_dir, visit, docname):
    if docname.startswith("<"):
        pytest.skip("the table of contents has no numbered chapters yet")
    page, _ = visit(f"{docname}.html")
    number = page.locator("article.bd-article h1 .section-number")
    assert number.count() == 1, f"{docname}: the title has no section number"
    assert number.text_content().strip() == NUMBERED[docname] + "."


def test_navigation_bar_carries_numbers(site_dir, visit):
    """The left navigation bar of the root page numbers every chapter and section."""
    if not NUMBERED:
        pytest.skip("the table of contents has no numbered chapters yet")
    page, _ = visit(toc_pages()[0])
    wrong = {}
    for docname, number in NUMBERED.items():
        link = page.locator(f"nav.bd-docs-nav a[href='{docname}.html']")
        text = link.first.text_content().strip() if link.count() else "<no link>"
        if not text.startswith(number + ". "):
            wrong[docname] = text
    assert not wrong, f"navigation entries without their number: {wrong}"


def test_exercises_page_lists_every_notebook(site_dir, visit):
    """One row per solutions/*.ipynb (the folder next to the book), or the note when empty."""
    from course_lib.exercise_index import exercise_index

    notebooks = exercise_index(BOOK_DIR.parent / "solutions")
    repository = read_yaml("_config.yml").get("repository", {})
    org_repo = repository["url"].rstrip("/").removeprefix("https://github.com/")
    branch = repository.get("branch", "main")
    colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}"
    binder = f"https://mybinder.org/v2/gh/{org_repo}/{branch}?"
    page, _ = visit("exercises.html")
    rows = page.locator("table.exercise-list tbody tr")
    if not notebooks:
        assert rows.count() == 0
        assert "being written" in page.locator("article").inner_text()
        return
    assert rows.count() == len(notebooks)
    for row, notebook in zip(rows.all(), notebooks, strict=True):
        chapter, exercises, points = (cell.inner_text() for cell in row.locator("td").all())
        assert chapter.startswith(f"{notebook.chapter}. "), chapter
        numbers = re.findall(r"^(\d+\.\d+)\b", exercises, flags=re.MULTILINE)
        assert numbers == [exercise.id for exercise in notebook.exercises], exercises
        assert float(points) == pytest.approx(notebook.points)
        student = BOOK_DIR.parent / "exercises" / f"{notebook.stem}.ipynb"
        download = row.locator("a.download")
        assert download.count() == (1 if student.is_file() else 0)
        # Exercises open where chapters open: the chapters' launch addresses.
        launch = {a.inner_text(): a.get_attribute("href") for a in row.locator("a").all()}
        in_repo = f"exercises/{notebook.stem}.ipynb"
        assert launch["Colab"] == f"{colab}/{in_repo}", launch
        assert launch["Binder"].startswith(binder) and launch["Binder"].endswith(in_repo), launch


# --- the class report (`rnn-course report`): a page of its own, outside the site ------------


def test_class_report_page_is_accessible_and_self_contained(browser, tmp_path):
    """The teacher's class report: axe-core's WCAG 2.1 A/AA rules, nothing fetched, alt text."""
    from class_records import STARTERS, known_class

    from course_lib.grading.class_report import class_report
    from course_lib.grading.report_page import report_html
    from course_lib.grading.run_record import read_run_record, write_run_record

    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing: no {AXE_JS}. `make site` installs it.", pytrace=False)
    names = {"gus": '<script>document.title="owned"</script>', "dan": "Zoë \u202eevil"}
    write_run_record(known_class(names), tmp_path / "run.json", starters=STARTERS,
                     not_graded=[("<b>notes</b>.txt", "not a released notebook")])  # fmt: skip
    page_path = tmp_path / "report.html"
    page_path.write_text(report_html(class_report(read_run_record(tmp_path / "run.json"))))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()))
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="load")
    for details in page.locator("details").all():  # the side-by-side views, opened
        details.evaluate("element => { element.open = true; }")
    assert page.title() == "Class report"  # no script of a student ran
    assert all(url == page_path.as_uri() for url in requests), requests  # figures inside
    images = page.evaluate(
        "() => Array.from(document.images).map(i => [i.getAttribute('alt'), i.naturalWidth])"
    )
    assert images and all(alt and width > 0 for alt, width in images), images
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(RUN_AXE_JS, AXE_TAGS)
    context.close()
    problems = [
        f"{v['rule']} ({v['impact']}): {v['help']} at {node['target']}: {node['html']}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
        for node in v["nodes"]
    ]
    assert not problems, "\n  ".join(problems)
