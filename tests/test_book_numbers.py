"""No number in the book's text that a run did not produce (tests/book_numbers.py says how).

The tests marked `built_book` read the outputs the strict book build leaves in its
execution cache (`book/_build/.jupyter_cache`), so the book is executed once in `make
test`: `make numbers` runs them right after `make book-strict`. They cover every page of
the table of contents, so a chapter added later is checked from its first build. The other
tests check the rules on small notebooks made here.
"""

import json

import nbformat
import pytest
from book_numbers import (
    ALLOWED,
    BOOK,
    CACHE,
    code_numbers,
    executed,
    markdown_of,
    notebook_evidence,
    prose_numbers,
    results_evidence,
    unproduced,
)

from bench.book import book_notebooks


def _notebook(markdown: str, code: str = "", output: str = "") -> dict:
    cell = nbformat.v4.new_code_cell(code)
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(markdown), cell])))  # fmt: skip


def test_a_planted_number_that_no_run_printed_fails():
    nb = _notebook("The GRU reaches 0.953 and then 0.912.", output="accuracy 0.9526\n")
    assert [n.text for n in unproduced(markdown_of(nb), notebook_evidence(nb))] == ["0.912"]


def test_numbers_are_matched_at_the_precision_the_text_states():
    evidence = {0.9526, 1024.0, 0.125, 3456.0}
    text = "0.953, 0.95, 1,024 sentences, 12.5 % of them, 3456 parameters, 0.9527"
    assert [n.text for n in unproduced(text, evidence, min_digits=2)] == ["0.9527"]


def test_code_literals_count_but_comments_and_strings_do_not():
    nb = _notebook("batches of 128 and 256", code='batch_size = 128  # or 256\nname = "256"')
    assert [n.text for n in unproduced(markdown_of(nb), notebook_evidence(nb))] == ["256"]
    assert sorted(code_numbers("x = 1_024 + 2.5e-3 + 3j\n%timeit y = 7")) == [0.0025, 3.0, 1024.0]


def test_code_links_roles_and_names_are_not_prose():
    markdown = (
        "`batch_size=4096`, [Chapter 6b](06b_text_generation.ipynb), {cite:t}`feng2024were`, "
        "float32, Python 3.11.7, <!-- 123.4 -->\n```python\nx = 99.9\n```\nand 4.58 bits."
    )
    assert [n.text for n in prose_numbers(markdown)] == ["4.58"]


def test_significant_digits_ignore_leading_and_integer_trailing_zeros():
    digits = {n.text: n.significant_digits for n in prose_numbers(
        "0.004 200 1,024 0.953 1.50 12.5 % 1997 435,576 2.0")}  # fmt: skip
    assert digits == {"0.004": 1, "200": 1, "1,024": 4, "0.953": 3, "1.50": 3, "12.5 %": 3,
                      "1997": 4, "435,576": 6, "2.0": 2}  # fmt: skip


def test_allowed_constants_pass_and_are_few():
    assert unproduced("Feng et al. report 175 times", set()) == []
    assert len(ALLOWED) <= 10


def test_results_files_are_evidence(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"ch9": {"values": [0.1618, None, 14.0]}, "ref": "MSE 0.1667"}))
    assert {0.1618, 14.0, 0.1667} <= results_evidence([path])


def test_the_run_is_the_cached_one_that_matches_the_notebook_as_it_is_now(tmp_path):
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.reads(json.dumps(_notebook("It reached 0.953.", "x = 1")), 4), path)
    ran = nbformat.read(path, as_version=4)
    ran.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="0.9526\n")]
    get_cache(str(tmp_path / "cache")).cache_notebook_bundle(
        CacheBundleIn(ran, str(path)), check_validity=False
    )
    found = executed(path, tmp_path / "cache")
    assert unproduced(markdown_of(found), notebook_evidence(found)) == []
    changed = nbformat.read(path, as_version=4)
    changed.cells[1].source = "x = 2"  # new code: the cached run no longer counts
    nbformat.write(changed, path)
    assert executed(path, tmp_path / "cache") is None


# -- the book itself, after `make book-strict` ------------------------------------------------

PAGES = [path.name for path in book_notebooks()]


@pytest.fixture(scope="module")
def evidence() -> dict:
    runs = {name: executed(BOOK / name) for name in PAGES} if CACHE.is_dir() else {}
    missing = [name for name in PAGES if runs.get(name) is None]
    if missing:
        pytest.fail(
            f"no run of {', '.join(missing)} as it is now in {CACHE}: build the book first "
            "(`make book-strict`; `make numbers` runs this test after it)."
        )
    runs = {name: notebook_evidence(notebook) for name, notebook in runs.items()}
    return {"runs": runs, "results": results_evidence()}


def _failure(name: str, numbers) -> str:
    lines = [f"{name}: numbers with 3 or more significant digits that no run produced:"]
    lines += [f"  {n.text!r} in '... {n.context} ...'" for n in numbers]
    lines.append(
        "Print and assert the number in the notebook, take it from bench/results.json (and "
        "name the section), round it, or remove it; tests/book_numbers.py explains."
    )
    return "\n".join(lines)


@pytest.mark.built_book
@pytest.mark.parametrize("name", PAGES)
def test_every_number_of_a_notebook_comes_from_its_run_or_the_results(name, evidence):
    markdown = markdown_of(json.loads((BOOK / name).read_text()))
    found = unproduced(markdown, evidence["runs"][name] | evidence["results"])
    assert not found, _failure(name, found)


@pytest.mark.built_book
def test_every_number_of_the_part_pages_comes_from_a_run_or_the_results(evidence):
    everything = set().union(evidence["results"], *evidence["runs"].values())
    pages = sorted(set(BOOK.glob("*.md")) - {BOOK / "appendix_benchmarks.md"})
    failures = [(p.name, unproduced(p.read_text(), everything)) for p in pages]
    assert not any(found for _, found in failures), "\n".join(
        _failure(name, found) for name, found in failures if found
    )
