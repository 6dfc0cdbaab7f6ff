"""The one loop that grades a class, over any executor: same rows whichever runs the tasks,
progress reported as each task ends, and a task that raised turned into rows that say so.

Students who handed nothing in take no kernel ("missing"), so these tests start none; the
local pool and Dask are tested with real kernels in test_grade.py and test_cluster.py.
"""

from concurrent.futures import Executor, Future, ThreadPoolExecutor

from conftest import FIXTURE_RELEASE

from course_lib.grading.class_grading import InProcessExecutor, grade_class, released_notebooks
from course_lib.grading.execute import ExecutionConfig
from course_lib.grading.outcomes import ExerciseStatus

CONFIG = ExecutionConfig(sandbox=False)


def students(tmp_path, *names):
    for name in names:
        (tmp_path / name).mkdir()
    return [tmp_path / name for name in names]


def rows(results):
    return [(n.student, n.notebook, r) for n in results for r in n.results]


def test_the_same_rows_in_this_process_and_on_a_pool(tmp_path):
    class_ = students(tmp_path, "alice", "bob")
    releases = released_notebooks(FIXTURE_RELEASE)
    lines = []
    here = grade_class(
        class_, releases, InProcessExecutor(), config=CONFIG, seed=1, progress=lines.append
    )
    with ThreadPoolExecutor(2) as pool:
        pooled = grade_class(class_, releases, pool, config=CONFIG, seed=1, progress=None)
    assert rows(here) == rows(pooled)
    assert [(n.student, n.notebook) for n in here] == [
        ("alice", "01_basics.ipynb"),
        ("alice", "02_more.ipynb"),
        ("bob", "01_basics.ipynb"),
        ("bob", "02_more.ipynb"),
    ]
    assert {r.status for _, _, r in rows(here)} == {ExerciseStatus.MISSING}
    assert [line.split(" points")[0] for line in lines] == [
        "[1/4] alice 01_basics.ipynb 0/5",
        "[2/4] alice 02_more.ipynb 0/1",
        "[3/4] bob 01_basics.ipynb 0/5",
        "[4/4] bob 02_more.ipynb 0/1",
    ]


def test_progress_in_this_process_is_reported_as_each_task_ends(tmp_path):
    class_ = students(tmp_path, "alice", "bob")
    releases = released_notebooks(FIXTURE_RELEASE)
    events = []

    class Recording(InProcessExecutor):
        def submit(self, fn, /, *args, **kwargs):
            events.append("submit")
            return super().submit(fn, *args, **kwargs)

    grade_class(
        class_, releases, Recording(), config=CONFIG, seed=1, progress=events.append, in_flight=1
    )
    assert [e if e == "submit" else "line" for e in events] == ["submit", "line"] * 4


def test_a_task_that_raised_gives_rows_that_say_so(tmp_path):
    class LostWorker(Executor):
        def submit(self, fn, /, *args, **kwargs):
            future = Future()
            future.set_exception(RuntimeError("the worker was lost"))
            return future

    releases = released_notebooks(FIXTURE_RELEASE)
    results = grade_class(
        students(tmp_path, "alice"), releases, LostWorker(), config=CONFIG, seed=3, progress=None
    )
    assert [(n.notebook, n.seed) for n in results] == [("01_basics.ipynb", 3), ("02_more.ipynb", 3)]
    assert {(r.exercise, r.status) for _, _, r in rows(results)} == {
        ("1.1", ExerciseStatus.ERROR),
        ("1.2", ExerciseStatus.ERROR),
        ("2.1", ExerciseStatus.ERROR),
    }
    assert all(
        r.message == "the grader failed on this notebook: RuntimeError: the worker was lost"
        for _, _, r in rows(results)
    )
