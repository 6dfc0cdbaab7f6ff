"""Companion package of the open course on Recurrent Neural Networks.

The modules read like the course's table of contents:

- `course_lib.datasets`: every data set of the course, generated or shipped, never downloaded.
- `course_lib.cells`: SimpleRNN, LSTM and GRU forward passes in NumPy, in Keras's layout.
- `course_lib.gradients`: gradient norms through time and recurrent Jacobians.
- `course_lib.training`: a compact `fit` with early stopping and a tidy progress display.
- `course_lib.baselines`: naive forecasts every model must beat.
- `course_lib.plotting`: the course's plots, in one style.
- `course_lib.diagrams`: conceptual figures drawn with matplotlib: cells and mechanisms.
- `course_lib.linear_recurrences`: linear scans, minGRU/minLSTM in NumPy, LRU, SSM kernels.
- `course_lib.mingru`: minGRU and minLSTM Keras layers, computed by a loop or a scan.
- `course_lib.checks`: the checks behind the exercises.
- `course_lib.grading`: generate exercises, self-check and grade submissions.

Start every notebook with::

    import course_lib
    course_lib.setup()
"""

from course_lib.session import current_seed, setup

__version__ = "0.1.0"
__all__ = ["current_seed", "setup", "__version__"]
