"""Multiple-choice items (`course_lib.checks.concepts`): graded like every exercise, the
right option named nowhere the student's code or messages can reach."""

from __future__ import annotations

import re

import pytest
from exercise_solutions import fails

from course_lib.checks import ch4
from course_lib.checks.concepts import Choice
from course_lib.checks.withheld import write_package


def test_a_wrong_option_is_told_why_and_never_which_option_is_right():
    message = fails(ch4.check_gate_reading_answer, lambda: "d", "does the selecting itself")
    assert "'b'" not in message and '"b"' not in message, message


def test_the_grader_s_copy_of_a_check_module_holds_no_right_option(tmp_path):
    package = write_package(tmp_path / "course_lib", [ch4.check_gate_reading_answer])
    text = (package / "checks" / "ch4.py").read_text(encoding="utf-8")
    assert "check_gate_reading_answer" in text
    assert not re.search(r"right\s*=", text), "the right option leaked into the sandbox's copy"
    assert "does the selecting itself" not in text, "a hint leaked into the sandbox's copy"


def test_a_choice_whose_wrong_options_include_the_right_one_is_refused():
    with pytest.raises(ValueError, match="must name the other options"):
        Choice("answer_1_1", "a", {"a": "no", "b": "no"})
