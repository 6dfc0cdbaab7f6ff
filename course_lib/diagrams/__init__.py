"""The course's conceptual figures, drawn with matplotlib: cells and mechanisms.

Every `draw_...` function draws on an `Axes` (a new figure when `ax` is None), turns the
axis frame off and returns the `Axes`, so a notebook can place a diagram in a grid of
subplots or give it a title. Boxes are layers with weights, circles element-wise
operations, arrows the flow of values; dashed arrows in the backward-pass colour are
gradients. Four modules:

- `cells`: one step of the recurrent cells (SimpleRNN, the unrolled chain, LSTM, GRU);
- `sequences`: what goes in and out of a recurrent network (the input/output taxonomy,
  the encoder-decoder fed by teacher forcing or by itself, attention);
- `through_time`: how the steps are computed (backpropagation through time, the stream
  layout of stateful training, the blocked scan of a linear recurrence);
- `alignments`: how a short label sequence lines up with many frames (the CTC lattice).

Introduced in Chapter 1 (Sequences and the hidden state).
"""

from course_lib.diagrams.alignments import draw_ctc_lattice
from course_lib.diagrams.cells import (
    draw_gru_cell,
    draw_lstm_cell,
    draw_rnn_cell,
    draw_unrolled_rnn,
)
from course_lib.diagrams.sequences import draw_attention, draw_rnn_taxonomy, draw_teacher_forcing
from course_lib.diagrams.through_time import draw_blocked_scan, draw_bptt, draw_stream_windows

__all__ = [
    "draw_attention",
    "draw_blocked_scan",
    "draw_bptt",
    "draw_ctc_lattice",
    "draw_gru_cell",
    "draw_lstm_cell",
    "draw_rnn_cell",
    "draw_rnn_taxonomy",
    "draw_stream_windows",
    "draw_teacher_forcing",
    "draw_unrolled_rnn",
]
