"""Benchmarks of the RNN course: `make bench` (or `python -m bench`).

Answers a teacher's questions with numbers measured on the machine at hand: how long the
chapters, the book build and `make test` take, how long grading a class takes, and
whether the models reach the results the book claims. Writes `bench/results.json`
(machine-readable) and `bench/results.md` (the table the book's appendix includes).
Not part of `make test`; `tests/test_bench.py` runs a small smoke version of the harness.
"""
