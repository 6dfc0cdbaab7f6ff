"""Smoke test of the benchmark harness (the benchmark itself runs with `make bench`)."""

import json

import pytest

from bench import report
from bench.__main__ import RESULTS_JSON, RESULTS_MD
from bench.book import build_env, chapter_seconds
from bench.grading import SOLUTIONS, make_class
from bench.timing import run_command, summarise

SAMPLE = {
    "date": "2026-11-22",
    "machine": {"platform": "Linux x86_64", "cpus": "2", "python": "3.11.7",
                "tensorflow": "2.21.0", "keras": "3.15.1"},
    "book": {
        "chapters": {"04_lstm.ipynb": summarise([61.0, 59.0, 60.0])},
        "cold_build": summarise([400.0, 420.0, 410.0]),
        "cached_build": summarise([20.0]),
    },
    "quality": [
        {"task": "adding problem, T=100", "model": "LSTM", "metric": "test MSE",
         "median": 0.0042, "values": [0.004, 0.0042, 0.005], "reference": "baseline 1/6 = 0.1667",
         "seconds": 41.5, "seeds": [0, 1, 2]},
    ],
}  # fmt: skip


def test_summarise_takes_the_median_and_rejects_no_samples():
    s = summarise([3.0, 1.0, 2.0])
    assert (s["median"], s["min"], s["max"], s["runs"]) == (2.0, 1.0, 3.0, 3)
    with pytest.raises(ValueError, match="`samples` must hold at least one"):
        summarise([])


def test_render_writes_every_section_with_its_numbers():
    text = report.render(SAMPLE)
    assert text.startswith(report.HEADER)
    assert "| chapter `04_lstm.ipynb` (execution) | 60.0 s (min 59.0, max 61.0), 3 runs |" in text
    assert "410.0 s" in text and "20.0 s, 1 run |" in text
    assert "| adding problem, T=100 | LSTM | test MSE = 0.0042 | baseline 1/6 = 0.1667 |" in text
    assert "Grading" not in text  # a section that was not measured is left out


def test_render_writes_the_chapter_cluster_and_seed_sections():
    text = report.render(
        {
            **SAMPLE,
            "ch9": {"seeds": [0, 1, 2], "metrics": {
                "adding T=200, epoch off the plateau, LSTM": {"median": 14.0, "values": [None, None, 14.0]},
                "adding T=200, test MSE, minGRU": {"median": 0.0036, "values": [0.0036, 0.0032, 0.00361]},
                "|recurrence - FFT|": {"median": 8e-15, "values": [8e-15, 1.4e-14, 7e-15]},
            }},
            "plateau": {"seeds": [0, 1, 2], "epochs": 60, "metrics": {
                "LSTM, T=200: first epoch below half the baseline": {
                    "median": 22.0, "values": [22.0, None, 14.0]}}},
            "measured_on": {"ch9": {"date": "2026-12-05", "commit": "622b3be"},
                            "quality": {"date": "2026-11-22", "recorded_in": "c835e7d"}},
            "seeds": {"04_lstm.ipynb": [
                {"seed": 1, "seconds": 40.2, "failures": []},
                {"seed": 2, "seconds": 41.0, "failures": [
                    {"cell": 7, "error": "AssertionError", "message": "LSTM test MSE 0.02"}]},
            ]},
            "cluster": {"class_size": 20, "notebooks": ["01_x.ipynb"], "workers": 2,
                        "local_seconds": 50.0, "dask_seconds": 40.0, "ratio": 0.8,
                        "seconds_per_submission_local": 2.5, "seconds_per_submission_dask": 2.0,
                        "gradebooks_equal": True},
        }
    )  # fmt: skip
    assert "## Chapter 9 per seed" in text
    assert "| metric | seed 0 | seed 1 | seed 2 | median |" in text
    # the median of (never, never, 14) is never, and the table says how many seeds got there
    row = (
        "| adding T=200, epoch off the plateau, LSTM | never | never | 14 | never (1 of 3 seeds) |"
    )
    assert row in text
    assert "| adding T=200, test MSE, minGRU | 0.0036 | 0.0032 | 0.00361 | 0.0036 |" in text
    assert "| `04_lstm.ipynb` | all assertions hold (40 s) | 1 failing (41 s) |" in text
    assert "- `04_lstm.ipynb`, seed 2, cell 7: AssertionError: LSTM test MSE 0.02" in text
    assert "| Dask | 40.0 s | 2.0 s |" in text and "the two gradebooks are equal" in text
    assert "| \\|recurrence - FFT\\| | 8e-15 | 1.4e-14 | 7e-15 | 8e-15 |" in text  # | escaped
    assert "## Chapter 9 per seed\n\nMeasured on 2026-12-05 at commit `622b3be`." in text
    assert "Measured on or before 2026-11-22; recorded in commit `c835e7d`" in text
    assert "The book under other seeds\n\nWhen and at which commit this section was" in text
    assert "## Chapter 5: the plateau at T = 200, with a longer budget" in text
    assert "trained for up to 60 epochs instead of 20" in text
    assert (
        "| LSTM, T=200: first epoch below half the baseline | 22 | never | 14 | 22 (2 of 3 seeds) |"
        in text
    )
    assert "Chapter 7 per seed" not in text


def test_a_section_that_misses_notebooks_of_the_book_says_so():
    book = ["04_lstm.ipynb", "10_speech.ipynb"]
    text = report.render(SAMPLE, book)
    assert (
        "**This section is out of date**: it covers 1 of the book's 2 notebooks; not measured: "
        "`10_speech.ipynb`. Run `make bench` again." in text
    )
    assert "cold book build (the 1 notebooks above executed)" in text
    assert report.incomplete_sections(SAMPLE, book).keys() == {"book"}
    assert report.incomplete_sections(SAMPLE, ["04_lstm.ipynb"]) == {}
    assert "out of date" not in report.render(SAMPLE, ["04_lstm.ipynb"])
    gone = report.incomplete_sections(SAMPLE, [])["book"]
    assert "notebooks the book no longer has: 04_lstm.ipynb" in gone


def test_bench_fails_when_a_section_misses_a_notebook_of_the_book(monkeypatch, capsys):
    from bench import __main__ as bench_main

    monkeypatch.setattr(bench_main, "book_notebook_names", lambda: ["04_lstm.ipynb", "10_x.ipynb"])
    assert bench_main.complain_about_incomplete_sections(SAMPLE) == 1
    assert "section 'book': This section is out of date" in capsys.readouterr().err
    monkeypatch.setattr(bench_main, "book_notebook_names", lambda: ["04_lstm.ipynb"])
    assert bench_main.complain_about_incomplete_sections(SAMPLE) == 0


def test_the_cluster_section_grades_200_fixture_submissions_by_default_and_says_so(monkeypatch):
    from bench import __main__ as bench_main
    from bench import cluster

    asked, written = {}, {}

    def measure(size, workers=2, notebooks=cluster.NOTEBOOKS, *, fixtures=False, repeats=1):
        asked.update(size=size, fixtures=fixtures, repeats=repeats)
        return {"class_size": size, "notebooks": ["01_basics.ipynb"], "workers": workers,
                "fixtures": fixtures, "local_seconds": 50.0, "dask_seconds": 55.0,
                "local_runs": [50.0, 51.0], "dask_runs": [55.0, 54.0], "ratio": 1.1,
                "seconds_per_submission_local": 0.25, "seconds_per_submission_dask": 0.275,
                "gradebooks_equal": True}  # fmt: skip

    monkeypatch.setattr(cluster, "measure", measure)
    monkeypatch.setattr(bench_main, "write", lambda results: written.update(results))
    bench_main.main(["--only", "cluster"])  # the class: 200, the fixtures, twice
    assert asked == {"size": 200, "fixtures": True, "repeats": 2}
    text = report.render({**SAMPLE, "cluster": written["cluster"]})
    assert "200 submissions of `01_basics.ipynb`" in text
    assert "NumPy-only fixture notebooks" in text and "2 times each way, interleaved" in text
    course = ["--cluster-notebooks", "course", "--cluster-class-size", "7"]
    bench_main.main(["--only", "cluster", *course, "--cluster-repeats", "1"])
    assert asked == {"size": 7, "fixtures": False, "repeats": 1}


def test_each_section_is_stamped_with_its_commit():
    from bench.__main__ import current_commit

    commit = current_commit()
    assert commit != "unknown" and len(commit.removesuffix("-dirty")) >= 7
    assert report.provenance({}, "book").startswith("When and at which commit")
    assert report.provenance({"measured_on": {"book": "2026-12-01"}}, "book") == (
        "Measured on 2026-12-01; the commit was not recorded."
    )
    record = {"date": "2026-12-06", "commit": "abc1234-dirty", "load": 0.4}
    assert report.provenance({"measured_on": {"book": record}}, "book") == (
        "Measured on 2026-12-06 at commit `abc1234-dirty`, the machine's load average 0.4 when "
        "it started."
    )


def test_run_command_reports_a_failing_command():
    assert run_command(["true"]) >= 0
    with pytest.raises(RuntimeError, match="exit code 3"):
        run_command(["sh", "-c", "echo broken; exit 3"])


def test_chapter_seconds_needs_a_built_book(tmp_path):
    with pytest.raises(FileNotFoundError, match="build the book first"):
        chapter_seconds(tmp_path / "missing")


def test_the_timed_builds_render_figures_as_make_does(monkeypatch):
    # MPLBACKEND=Agg in a kernel's environment hides every figure: the builds the bench
    # timed until 2026-12-07 rendered none, and its `make test` failed the browser test.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = build_env()
    assert "MPLBACKEND" not in env
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3"


def test_make_class_mixes_solved_and_broken_submissions(tmp_path):
    notebook = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))[0]
    counts = make_class(tmp_path, notebook, 50)
    assert counts == {"solved": 44, "unsolved": 4, "invalid_json": 1, "kernel_dies": 1}
    assert len(list(tmp_path.glob(f"*/{notebook}"))) == 50
    with pytest.raises(json.JSONDecodeError):
        json.loads((tmp_path / "student025" / notebook).read_text())


def test_results_table_is_up_to_date_with_results_json():
    # bench/results.md is generated from bench/results.json; CI fails when they drift.
    assert RESULTS_JSON.exists(), "run `make bench` to create bench/results.json"
    from bench.__main__ import book_notebook_names

    expected = report.render(json.loads(RESULTS_JSON.read_text()), book_notebook_names())
    assert RESULTS_MD.read_text() == expected, "run `python -m bench --render-only`"


def test_seeds_section_finds_failing_assertions_and_renders_them(tmp_path):
    import nbformat

    from bench import seeds

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import os\nseed = int(os.environ['RNN_COURSE_SEED'])"),
        nbformat.v4.new_code_cell("assert seed != 2, f'fails under seed {seed}'"),
        nbformat.v4.new_code_cell("assert True"),
    ]
    path = tmp_path / "01_x.ipynb"
    nbformat.write(notebook, path)
    runs = [seeds.run_chapter(path, seed, timeout=120) for seed in (1, 2)]
    assert runs[0]["failures"] == []
    assert runs[1]["failures"] == [
        {"cell": 1, "error": "AssertionError", "message": "fails under seed 2"}
    ]
    table = seeds.render({"01_x.ipynb": runs})
    assert "| `01_x.ipynb` | all assertions hold" in table
    assert "1 failing" in table and "seed 2, cell 1: AssertionError: fails under seed 2" in table
    assert [p.name for p in seeds.chapters()][:2] == [
        "01_sequences_hidden_state.ipynb",
        "02_bptt_vanishing_gradients.ipynb",
    ]


def test_chapter_8_table_has_both_models_and_every_bin():
    from bench import ch8

    got = ch8.accuracy_by_length(0, n_train=64, n_test=40, max_digits=4, units=4, epochs=1)
    assert got["bins"] == ["1-3", "4-6"]
    for name, _ in ch8.MODELS:
        assert set(got[name]) == {"1-3", "4-6"}
        assert all(0.0 <= value <= 1.0 for value in got[name].values())
        assert got["seconds"][name] > 0


def test_render_writes_the_gradescope_section_and_memory_is_sampled():
    from bench.gradescope import run_with_peak_memory

    section = {
        "notebooks": {"04_lstm.ipynb": {"peak_pss_mb": 850, "peak_rss_mb": 900, "seconds": 95.0}},
        "max_peak_pss_mb": 850,
        "max_peak_rss_mb": 900,
        "max_seconds": 95.0,
    }
    text = report.render({**SAMPLE, "gradescope": section})
    assert "| `04_lstm.ipynb` | 850 MB | 900 MB | 95.0 s |" in text
    assert "Largest: 850 MB PSS, 900 MB RSS, 95.0 s." in text
    # A child that holds 200 MB is seen (the sampling follows the process tree).
    code = "import time; b = bytearray(200 * 2**20); time.sleep(1)"
    numbers = run_with_peak_memory(["bash", "-c", f'python3 -c "{code}"; true'])
    assert numbers["returncode"] == 0 and 200 <= numbers["peak_pss_mb"] < 400


def test_render_writes_the_class_report_section():
    section = {
        "class": {"students": 500, "exercises": 4, "planted_copies": 5},
        "notebook": "04_lstm.ipynb",
        "record_mb": 3.2,
        "page_mb": 0.16,
        "repeats": 3,
        "seconds": {"read": 0.7, "count": 0.1, "similarity": 5.5, "page": 1.2, "csv": 0.2,
                    "in_process": 7.7},
        "command_s": 12.0,
        "candidate_pairs": 47000,
        "all_pairs": 468000,
        "similar_pairs_listed": 20,
    }  # fmt: skip
    text = report.render({**SAMPLE, "class_report": section})
    assert "## The class report at scale" in text
    assert "| similarity pass | 5.5 s |" in text
    assert "compared 47000 candidate pairs" in text and "of the 468000 pairs" in text


@pytest.mark.slow
def test_the_generated_class_hides_copies_the_report_finds(tmp_path):
    from bench.class_report import EXERCISES, NOTEBOOK, make_class_record
    from course_lib.grading.class_report import class_report
    from course_lib.grading.grade import ReleasedNotebook
    from course_lib.grading.run_record import read_run_record

    counts = make_class_record(100, tmp_path / "run.json")
    exercises = len(ReleasedNotebook.read(EXERCISES / NOTEBOOK).exercises)
    assert counts == {"students": 100, "exercises": exercises, "planted_copies": 1}
    found = class_report(read_run_record(tmp_path / "run.json")).similarity
    pairs = {(p.first, p.second) for result in found for p in result.pairs}
    assert pairs == {("student098", "student099")}


def test_render_writes_the_speech_section_per_seed_and_per_speaker():
    from bench import speech

    def row(speaker, seed, greedy):
        return {"test_speaker": speaker, "seed": seed, "greedy": greedy, "beam": greedy - 0.01,
                "final_loss": 1.5, "train_seconds": 61.0}  # fmt: skip

    per_seed = [row("theo", s, 0.1 + 0.01 * s) for s in (0, 1, 2)]
    per_speaker = [row(name, 0, 0.2) for name in speech.FSDD_SPEAKERS]
    results = {
        "speech": {"budget": {**speech.asdict(speech.SpeechBudget()), "epochs": 2},
                   "per_seed": per_seed, "per_speaker": per_speaker},
        "measured_on": {"speech": {"date": "2026-12-07", "commit": "abc1234", "load": 3.0}},
    }  # fmt: skip
    text = report.render(results, [])
    assert "## Chapter 10: digit error rate per seed and per held-out speaker" in text
    assert "| theo | 2 | 0.120 | 0.110 | 1.5 | 61 s |" in text
    assert "| yweweler | 0 | 0.200 | 0.190 | 1.5 | 61 s |" in text
    assert "2 epochs" in text and "commit `abc1234`" in text
    assert "Mean over the six held-out speakers: greedy 0.200, beam search 0.190." in text


def test_the_speech_budget_is_changed_by_name_only():
    from bench import speech

    budget = speech.budget_from(["n_train=100", "lr=0.01"])
    assert (budget.n_train, budget.lr, budget.epochs) == (100, 0.01, speech.SpeechBudget().epochs)
    with pytest.raises(ValueError, match="FIELD in"):
        speech.budget_from(["steps=3"])
