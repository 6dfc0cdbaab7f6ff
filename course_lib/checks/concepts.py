"""Concept items: a multiple-choice question, graded like every other exercise.

The student's function takes no argument and returns the letter of the option they
choose (`def answer_4_5(): return "b"`, the solution region inside the function as
`rnn-course assign` requires). A chapter's check module declares the item with
`exercise` and, in the declaration's body, calls `choice`::

    @exercise("4.5", student="answer_4_5()")
    def check_adding_problem_answer(ex):
        choice(ex, "the option you chose", right="b", wrong={"a": "...", "c": "...", "d": "..."})

The right letter lives only in the declaration's body, so the grader's copy of the check
module (`course_lib.checks.withheld`) holds none of it, and no message names it: a wrong
answer is told why that option is wrong (its own hint), never which option is right.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are checked.
"""

from __future__ import annotations

from collections.abc import Mapping

from course_lib.checks.exercise import Expect, Mistake

__all__ = ["Choice", "choice"]


class Choice(Expect):
    """The check of a multiple-choice answer: the right letter, or why the chosen one is wrong.

    Args:
        student: the student's function's name, for messages (`"answer_4_5"`).
        right: the right letter.
        wrong: each wrong letter and why it is wrong (its hint).
    """

    exact = True  # a chosen letter is compared with `==` when a wrong option is diagnosed

    def __init__(self, student: str, right: str, wrong: Mapping[str, str]):
        letters = sorted({right, *wrong})
        if right in wrong or len(letters) < 2:
            raise ValueError(
                f"`wrong` must name the other options, not the right one {right!r}; got "
                f"{sorted(wrong)}."
            )
        listed = ", ".join(repr(letter) for letter in letters)

        def rule(answer) -> str | None:
            if not isinstance(answer, str) or answer.strip().lower() not in letters:
                return f"{student}() must return one of {listed}, as a string; got {answer!r}."
            if answer.strip().lower() != answer:
                return f"{student}() must return the letter in lowercase, e.g. 'a'; got {answer!r}."
            if answer == right:
                return None
            return f"{student}() returned {answer!r}, which is not the right option."

        super().__init__(
            rule,
            name=f"the option {student}() returns",
            hint="read the question and the options again.",
        )
        self.mistakes = tuple(
            Mistake(f"chose-{letter}", hint, lambda letter=letter: letter)
            for letter, hint in sorted(wrong.items())
        )


def choice(ex, name: str, *, right: str, wrong: Mapping[str, str]) -> None:
    """Declare the one case of a multiple-choice item (one point).

    Args:
        ex: the declaration's `Draw`.
        name: how the case is named in messages, e.g. `"the option you chose"`.
        right: the right letter, e.g. `"b"`.
        wrong: every other letter with its hint: why that option is wrong.
    """
    ex.case(name, values=False, checks=[Choice(ex.exercise.student, right, wrong)])
