import random

import numpy as np
import pytest

import course_lib


def draw_from_every_generator():
    """One draw from Python's, NumPy's global and Keras's random number generators."""
    import keras

    # Students' code uses NumPy's global generator, so setup() must seed it too.
    numpy_draw = np.random.rand()  # noqa: NPY002
    return random.random(), numpy_draw, float(keras.random.uniform(()).numpy())


def test_setup_seeds_python_numpy_and_keras():
    course_lib.setup(seed=7, style=False)
    first = draw_from_every_generator()
    course_lib.setup(seed=7, style=False)
    second = draw_from_every_generator()
    assert first == second
    course_lib.setup(seed=8, style=False)
    third = draw_from_every_generator()
    assert all(a != b for a, b in zip(first, third, strict=True))


def test_setup_quiets_tensorflow_startup_noise(tmp_path):
    # A fresh interpreter that calls setup() and builds a layer prints nothing on stderr.
    import subprocess
    import sys

    code = (
        "import course_lib; course_lib.setup(style=False); import keras; "
        "keras.layers.LSTM(2)(np.zeros((1, 3, 1), 'float32'))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TF_")}
    result = subprocess.run(
        [sys.executable, "-c", "import numpy as np; " + code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", f"unexpected stderr:\n{result.stderr}"


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_setup_rejects_a_bad_seed(seed):
    with pytest.raises(ValueError, match="`seed` must be"):
        course_lib.setup(seed=seed)


def test_setup_is_quiet_inside_a_jupyter_kernel():
    # Inside ipykernel, sys.stderr is not descriptor 2: the start-up lines of TensorFlow
    # would reach the notebook (and fail the strict book build) if setup() missed that.
    import os

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import course_lib\ncourse_lib.setup()"),
        nbformat.v4.new_code_cell("import keras\nprint(keras.layers.GRU(2).units)"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute(env=env)
    streams = [o for c in nb.cells for o in c.outputs if o.output_type == "stream"]
    assert [o.name for o in streams] == ["stdout"], [o.text for o in streams]
    assert streams[0].text.strip() == "2"


def test_setup_reads_the_seed_from_the_environment(monkeypatch):
    import course_lib
    from course_lib import session

    monkeypatch.setenv(session.SEED_VARIABLE, "2")
    course_lib.setup(style=False)
    assert course_lib.current_seed() == 2
    course_lib.setup(seed=5, style=False)  # an explicit seed wins
    assert course_lib.current_seed() == 5
    monkeypatch.setenv(session.SEED_VARIABLE, "two")
    with pytest.raises(ValueError, match="RNN_COURSE_SEED.*got 'two'"):
        course_lib.setup(style=False)
    monkeypatch.delenv(session.SEED_VARIABLE)
    course_lib.setup(style=False)
    assert course_lib.current_seed() == 0
