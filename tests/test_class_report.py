"""The class report: the run record, the counts, the similarity pass, the page and the CSV."""

import csv
import dataclasses
import json
import re

import numpy as np
import pytest
from class_records import (
    BIAS_HINT,
    EXPECTED,
    HONEST_RECURSIVE,
    HONEST_SCAN,
    NOTEBOOK,
    ORIGINAL,
    PLANTED_COPY,
    STARTER,
    STARTERS,
    known_class,
)

from course_lib.checks import ch1, probe
from course_lib.cli import main
from course_lib.grading import similarity
from course_lib.grading.class_report import class_report, write_report_csv
from course_lib.grading.report_page import report_html
from course_lib.grading.run_record import read_run_record, write_run_record


@pytest.fixture
def record(tmp_path):
    path = tmp_path / "grades-run.json"
    not_graded = [("notes.txt", "not a released notebook")]
    write_run_record(known_class(), path, starters=STARTERS, not_graded=not_graded)
    return read_run_record(path)


def test_judging_records_every_check_with_the_diagnosed_mistake_and_its_hint():
    def bias_after_tanh(x_t, h, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel + h @ recurrent_kernel) + bias

    check = ch1.check_rnn_step
    cases = check.cases(None)
    report = check.judge(cases, probe.self_check_answers(check, bias_after_tanh, cases))
    assert len(report.outcomes) == report.total
    assert sum(o.passed for o in report.outcomes) == report.passed
    failed = [o for o in report.outcomes if not o.passed]
    assert failed and {o.diagnosis for o in failed} == {"bias-after-tanh"}
    assert all(o.hint == "the bias goes inside the tanh, not after it." for o in failed)
    assert all(o.name.startswith("values: ") for o in failed)


def test_the_run_record_keeps_what_the_report_needs(record):
    assert len(record.results) == EXPECTED["students"]
    gus = next(r for r in record.results if r.student == "gus")
    assert gus.results[1].solution == PLANTED_COPY
    assert [c.diagnosis for c in gus.results[0].checks] == [None, "bias-after-tanh", None,
                                                             "bias-after-tanh"]  # fmt: skip
    assert gus.seconds == 16.0 and record.seed == 7
    assert record.starters[(NOTEBOOK, "1.2")] == STARTER
    assert record.not_graded == [("notes.txt", "not a released notebook")]


def test_a_file_that_is_not_a_run_record_is_refused_with_its_name(tmp_path):
    path = tmp_path / "grades.json"
    path.write_text(json.dumps({"students": []}))
    with pytest.raises(ValueError, match=r"grades\.json` must be a grading run's record"):
        read_run_record(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="cannot read it"):
        read_run_record(path)


def test_a_generated_class_gives_the_counts_expected(record):
    report = class_report(record)
    assert len(report.students) == EXPECTED["students"]
    first = report.exercises[0]
    assert [(m.id, m.students, m.hint) for m in first.mistakes] == EXPECTED["mistakes_1_1"]
    assert first.judged == EXPECTED["judged_1_1"]
    passed, judged = first.checks["values: h_t for a random batch"]
    assert (passed, judged) == (EXPECTED["values_random_batch_passed"], EXPECTED["judged_1_1"])
    assert first.checks["shape: h_t for a random batch"] == [6, 6]
    problems = {(p.student, p.exercise, p.status) for p in report.problems}
    assert problems == EXPECTED["problems"]
    assert report.total_seconds == sum(10.0 + n for n in range(8) if n != 4)  # eve: nothing in
    assert report.top_mistakes(1)[0][1].id == "bias-after-tanh"
    totals = dict(zip(report.students, report.student_totals(), strict=True))
    assert totals["ada"] == 5.0 and totals["eve"] == 0.0 and totals["cid"] == 4.0


def test_the_planted_copy_is_found_and_honest_answers_are_not(record):
    report = class_report(record)
    found = {r.exercise: r for r in report.similarity}["1.2"]
    assert [(p.first, p.second) for p in found.pairs] == [EXPECTED["planted"]]
    assert found.pairs[0].similarity >= similarity.THRESHOLD
    assert found.compared == 4 and found.too_short == 2  # dan's one line, ivy's starter code


def test_renaming_reordering_and_comments_keep_the_fingerprints():
    a = similarity.answer_tokens(ORIGINAL, STARTER)
    b = similarity.answer_tokens(PLANTED_COPY, STARTER)
    common = similarity.fingerprints(a) & similarity.fingerprints(b)
    union = similarity.fingerprints(a) | similarity.fingerprints(b)
    assert len(common) / len(union) >= similarity.THRESHOLD
    for honest in (HONEST_SCAN, HONEST_RECURSIVE):
        c = similarity.fingerprints(similarity.answer_tokens(honest, STARTER))
        assert len(c & similarity.fingerprints(a)) / len(c | similarity.fingerprints(a)) < 0.3


def test_the_threshold_and_the_shortest_answer_compared():
    copy = ORIGINAL.replace("states", "kept")
    pair = similarity.similar_pairs("1.2", {"a": ORIGINAL, "b": copy}, STARTER)
    assert len(pair.pairs) == 1 and pair.pairs[0].similarity == 1.0
    honest = similarity.similar_pairs("1.2", {"a": ORIGINAL, "b": HONEST_SCAN}, STARTER)
    assert honest.pairs == () and honest.candidates <= 1
    similarity_of = similarity.similar_pairs(
        "1.2", {"a": ORIGINAL, "b": HONEST_SCAN}, STARTER, threshold=0.01
    )
    measured = similarity_of.pairs[0].similarity if similarity_of.pairs else 0.0
    assert measured < similarity.THRESHOLD
    # the shortest answer compared has MIN_TOKENS tokens besides the starter code
    line = "    y = x + y * 2\n"  # 7 tokens
    tokens = len(similarity.answer_tokens(line, STARTER))
    body = STARTER.splitlines(keepends=True)[:2]
    short = "".join(body) + line * (similarity.MIN_TOKENS // tokens)
    long = short + line
    assert len(similarity.answer_tokens(short, STARTER)) < similarity.MIN_TOKENS
    assert len(similarity.answer_tokens(long, STARTER)) >= similarity.MIN_TOKENS
    assert similarity.similar_pairs("1.2", {"a": short, "b": short}, STARTER).too_short == 2
    assert similarity.similar_pairs("1.2", {"a": long, "b": long}, STARTER).compared == 2
    with pytest.raises(ValueError, match="`threshold` must be within"):
        similarity.similar_pairs("1.2", {}, threshold=0)


def test_what_everybody_writes_makes_no_pair():
    answers = {f"s{i:02d}": ORIGINAL for i in range(similarity.COMMON_MAX + 1)}
    result = similarity.similar_pairs("1.2", answers, STARTER)
    assert result.candidates == 0 and result.pairs == ()


def test_code_that_does_not_tokenize_is_still_compared():
    broken = ORIGINAL + '    s = "unterminated\n    return (\n'
    assert len(similarity.normalised_tokens(broken)) > similarity.MIN_TOKENS


def test_the_page_puts_the_summary_first_and_states_the_method(record):
    page = report_html(class_report(record))
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings[0] == "At a glance"
    glance = page.split('<h2 id="scores"')[0]
    assert "bias-after-tanh" in glance and BIAS_HINT in glance
    assert "8 students" in glance
    assert "never a grade" in page
    assert f"fewer than {similarity.MIN_TOKENS} tokens" in page
    assert f"at least {similarity.THRESHOLD:.0%} of the fingerprints" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    images = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', page)
    assert images and all("Histograms of scores" in alt for alt in images)
    assert '<th scope="col">' in page and "<caption>" in page


def test_hostile_text_is_escaped_everywhere(tmp_path):
    evil = '<script>alert("x")</script>\u202e'
    results = known_class(names={"gus": evil, "dan": "=HYPERLINK(1)"})
    hostile = PLANTED_COPY + "# </pre><img src=x>\n"
    results[6].results[1] = dataclasses.replace(results[6].results[1], solution=hostile)
    path = tmp_path / "run.json"
    write_run_record(results, path, starters=STARTERS,
                     not_graded=[("<b>x</b>.ipynb", "<i>why</i>")])  # fmt: skip
    report = class_report(read_run_record(path))
    page = report_html(report)
    assert "<script" not in page and "<img src=x>" not in page and "<b>x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\u202e" in page
    assert "# &lt;/pre&gt;&lt;img src=x&gt;" in page  # shown side by side, inert
    write_report_csv(report, tmp_path / "report.csv")
    with (tmp_path / "report.csv").open() as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells


def test_the_csv_holds_the_same_numbers(record, tmp_path):
    report = class_report(record)
    write_report_csv(report, tmp_path / "report.csv")
    with (tmp_path / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    mistakes = [(r["item"], r["count"], r["of"]) for r in rows if r["table"] == "mistake"]
    assert mistakes == [("bias-after-tanh", "3", "6"), ("no-tanh", "1", "6")]
    pairs = [r["item"] for r in rows if r["table"] == "similar pair"]
    assert pairs == ["ada / gus"]
    total = next(r for r in rows if r["table"] == "grading seconds total")
    assert float(total["value"]) == report.total_seconds


def test_report_command_writes_page_and_csv_from_a_run_folder(tmp_path, capsys):
    write_run_record(known_class(), tmp_path / "run" / "grades-run.json", starters=STARTERS)
    assert main(["report", str(tmp_path / "run"), "--out", str(tmp_path / "r.html")]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "r.csv").is_file()
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert "holds no" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "run"), "--out", str(tmp_path / "r.txt")]) == 2
    assert "--out must name an .html file" in capsys.readouterr().err


def test_the_released_starter_code_is_ignored():
    starter = STARTER + "    table = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n"
    answers = {"a": starter + "    y = 1\n", "b": starter + "    z = 2\n"}
    result = similarity.similar_pairs("1.2", answers, starter)
    assert result.too_short == 2 and result.pairs == ()
    assert similarity.similar_pairs("1.2", answers, "").pairs != ()  # the starter, unknown
