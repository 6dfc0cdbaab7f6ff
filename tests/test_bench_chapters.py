"""The chapters' bench tables (bench/ch7.py, bench/ch9.py) read what their notebooks assign.

A metric is a Python expression evaluated at the end of a notebook (bench/notebook_metrics.py);
these tests read the notebooks and fail when an expression names a variable no code cell
assigns, or a key the notebook never writes, so a renamed variable breaks here, not in the
middle of `make bench`.
"""

import ast
import re

import nbformat
import pytest

from bench import ch6, ch7, ch9, notebook_metrics
from bench.__main__ import SECTIONS

TABLES = {"ch6": ch6.METRICS, "ch7": ch7.METRICS, "ch9": ch9.METRICS}
CASES = [(label, stem) for label, table in TABLES.items() for stem in sorted(table)]


def _assigned_names(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.For):
            targets = [node.target]
        else:
            continue
        names |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize(("label", "stem"), CASES)
def test_every_metric_reads_variables_the_notebook_assigns(label, stem):
    assert label in SECTIONS
    nb = nbformat.read(notebook_metrics.BOOK / f"{stem}.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assigned = _assigned_names(source)
    for name, expression in TABLES[label][stem].items():
        used = {n.id for n in ast.walk(ast.parse(expression)) if isinstance(n, ast.Name)}
        missing = used - assigned - {"float", "max", "int"}
        assert not missing, f"{name!r} reads {missing}, which {stem} does not assign"
        for key in re.findall(r'\["([^"]+)"\]', expression):  # a key the notebook writes
            assert f'"{key}"' in source, f"{name!r}: {key!r} not in {stem}"
        for key in re.findall(r'\.loc\[[^,\]]+, "([^"]+)"\]', expression):  # a column
            assert f'"{key}"' in source, f"{name!r}: column {key!r} not in {stem}"


def test_the_tables_cover_the_chapters_headline_claims():
    names = " ".join(name for metrics in ch7.METRICS.values() for name in metrics)
    for word in ("mask", "drift", "embedding", "bucketed", "stateful"):
        assert word in names
    names = " ".join(name for metrics in ch9.METRICS.values() for name in metrics)
    for word in ("loop / scan", "T=1024", "adding", "plateau", "LSTM", "selective copy"):
        assert word in names


def test_summaries_take_the_median_and_count_never_as_the_latest():
    runs = [{"a": 1.0, "left": None}, {"a": 3.0, "left": 14}, {"a": 2.0, "left": None}]
    summary = notebook_metrics.summarise(runs, (0, 1, 2))
    assert summary["seeds"] == [0, 1, 2]
    assert summary["metrics"]["a"] == {"median": 2.0, "values": [1.0, 3.0, 2.0]}
    # never, never, 14: the typical seed never leaves the plateau
    assert summary["metrics"]["left"] == {"median": None, "values": [None, 14.0, None]}
    never = notebook_metrics.summarise([{"left": None}], (0,))
    assert never["metrics"]["left"] == {"median": None, "values": [None]}


@pytest.mark.parametrize(
    ("values", "median"),
    [([None, 5, 6], 6.0), ([4, None], None), ([4, 6], 5.0), ([None, None, 2, 3], None),
     ([2, 3, 9, None], 6.0), ([7], 7.0)],
)  # fmt: skip
def test_median_over_seeds_sorts_never_after_every_number(values, median):
    assert notebook_metrics.median_over_seeds(values) == median


def test_median_over_seeds_needs_values():
    with pytest.raises(ValueError, match="`values` must hold one value per seed"):
        notebook_metrics.median_over_seeds([])


def test_run_notebook_evaluates_the_metrics_under_the_seed(tmp_path, monkeypatch):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = [1, 2, 3]")])
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    monkeypatch.setattr(notebook_metrics, "BOOK", tmp_path)
    monkeypatch.delenv("RNN_COURSE_SEED", raising=False)
    metrics = {"last": "x[-1]", "seed": 'int(__import__("os").environ["RNN_COURSE_SEED"])'}
    values, seconds = notebook_metrics.run_notebook("tiny", 7, metrics)
    assert values == {"last": 3, "seed": 7}
    assert seconds > 0
    assert "RNN_COURSE_SEED" not in __import__("os").environ  # restored afterwards
