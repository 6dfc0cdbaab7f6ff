"""bench/ch7.py reads Chapter 7's metrics from its notebooks: the names it reads must exist."""

import ast
import re

import nbformat
import pytest

from bench import ch7


@pytest.mark.parametrize("stem", sorted(ch7.METRICS))
def test_every_metric_reads_variables_the_notebook_assigns(stem):
    nb = nbformat.read(ch7.BOOK / f"{stem}.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assigned = {
        target.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign | ast.AugAssign | ast.For)
        for target in ast.walk(node.targets[0] if isinstance(node, ast.Assign) else node.target)
        if isinstance(target, ast.Name)
    }
    for name, expression in ch7.METRICS[stem].items():
        used = {n.id for n in ast.walk(ast.parse(expression)) if isinstance(n, ast.Name)}
        missing = used - assigned - {"float"}
        assert not missing, f"{name!r} reads {missing}, which {stem} does not assign"
        # and the key it subscripts is one the notebook writes
        for key in re.findall(r'\["([^"]+)"\]', expression):
            assert f'"{key}"' in source, f"{name!r}: {key!r} not in {stem}"


def test_metrics_cover_the_chapters_headline_claims():
    names = " ".join(name for metrics in ch7.METRICS.values() for name in metrics)
    for word in ("mask", "drift", "embedding", "bucketed", "stateful"):
        assert word in names
