"""Smoke test of bench/ch9.py (the measurement itself runs with `python -m bench --only ch9`)."""

from bench import ch9
from bench.__main__ import SECTIONS


def test_loop_scan_ratios_returns_one_row_per_length():
    import course_lib

    course_lib.setup(seed=0)
    rows = ch9.loop_scan_ratios(0, lengths=(16, 40))
    assert [r["timesteps"] for r in rows] == [16, 40]
    for row in rows:
        assert row["loop"] > 0 and row["scan"] > 0
        assert abs(row["ratio"] - row["loop"] / row["scan"]) < 1e-12


def test_ch9_is_a_bench_section():
    assert "ch9" in SECTIONS
    assert ch9.MEMORY_CELLS == ("minGRU", "minLSTM", "GRU", "LSTM")
