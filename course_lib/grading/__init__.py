"""Generate exercises, self-check and grade submissions: the machinery behind `rnn-course`.

One concept per module:

- `notebook_format`: the exercise-notebook format (nbgrader metadata, solution markers,
  check cells), its validation and deterministic reading and writing.
- `assign`: solution notebooks -> the students' exercise notebooks (`rnn-course assign`).
- `restore`: the released exercise + a student's answers -> the notebook that is graded.
- `execute`: run a notebook cell by cell in a fresh kernel, surviving every fault.
- `sandbox`: the bubblewrap sandbox each notebook runs in, and what it promises.
- `cgroups`: caps on a sandbox's memory and processes in total (Linux cgroups).
- `result_file`: the one file a sandboxed execution hands back to the grader.
- `untrusted_files`: reading what a student or a sandbox produced (regular files only,
  bounded, never quoted).
- `grade`: score one student's notebook, one result per exercise.
- `outcomes`: the grader's vocabulary: cell and exercise statuses, kernel faults, scores
  and result rows, imported by every layer (`ExerciseStatus.ERROR`, never a bare `ERROR`).
- `class_grading`: grade a class over any executor: this process, a local pool or a Dask
  cluster (`rnn-course grade`, `--workers N`, `--dask ADDRESS`).
- `assignment`: the notebooks that make up the assignment graded, and late work.
- `zip_entries`: a zip archive read entry by entry, each bad entry refused on its own.
- `submissions`: an LMS's "download all submissions" archive -> one folder per student.
- `gradebook`: the grader's gradebooks: long and wide CSV, Gradescope's results.json.
- `canvas`: the Canvas gradebook export in, an import file for this assignment out.
- `moodle`: the Moodle grading worksheet filled in, by participant id.
- `feedback`: tables and Markdown feedback for people (`rnn-course check`, `--feedback`).
- `run_record`: what a grading run decided, for the class report (`OUT-run.json`).
- `class_report`: the class report's numbers (scores, checks, mistakes, times) and CSV.
- `similarity`: submissions that look alike (winnowed fingerprints, an index of them).
- `report_page`: the class report as one accessible HTML page (`rnn-course report`).
- `escaping`: student text made inert for the terminal, Markdown and spreadsheets.

Introduced in Chapter 0 (Introduction and set-up), which explains how exercises are graded.
"""

from course_lib.grading.assign import (
    AssignError,
    AssignReport,
    assign,
    make_exercise,
    refresh_outputs,
)
from course_lib.grading.canvas import read_roster, write_canvas_csv
from course_lib.grading.class_grading import grade_submissions
from course_lib.grading.execute import ExecutionConfig, run_notebook
from course_lib.grading.feedback import results_table, student_feedback, write_feedback
from course_lib.grading.grade import grade_notebook
from course_lib.grading.gradebook import write_csv, write_gradescope, write_wide_csv
from course_lib.grading.moodle import read_worksheet, write_moodle_worksheet
from course_lib.grading.notebook_format import (
    NotebookFormatError,
    NotebookReadError,
    read_notebook,
    validate,
    write_notebook,
)
from course_lib.grading.outcomes import CellRun, ExerciseResult, NotebookResult
from course_lib.grading.submissions import unpack_archive

__all__ = [
    "AssignError",
    "AssignReport",
    "CellRun",
    "ExecutionConfig",
    "ExerciseResult",
    "NotebookFormatError",
    "NotebookReadError",
    "NotebookResult",
    "assign",
    "grade_notebook",
    "grade_submissions",
    "make_exercise",
    "read_notebook",
    "read_roster",
    "read_worksheet",
    "refresh_outputs",
    "results_table",
    "run_notebook",
    "student_feedback",
    "unpack_archive",
    "validate",
    "write_canvas_csv",
    "write_csv",
    "write_feedback",
    "write_gradescope",
    "write_moodle_worksheet",
    "write_notebook",
    "write_wide_csv",
]
