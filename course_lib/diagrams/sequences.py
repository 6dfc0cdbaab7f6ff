"""Diagrams of what goes into a recurrent network and what comes out.

- `draw_rnn_taxonomy`: the five shapes of input and output (one to one, one to many,
  many to one, many to many aligned and encoder-decoder), each with a task of the course;
- `draw_teacher_forcing`: the encoder-decoder of Chapter 8a, its decoder fed the true
  previous token in training (teacher forcing) or its own prediction at inference (free
  running);
- `draw_attention`: one decoder step of the attention model of Chapter 8b, from the
  query to the next token.

Introduced in Chapter 1 (Sequences and the hidden state); the encoder-decoder in Chapter
8a (Encoder, decoder and the search for the best output), attention in Chapter 8b.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.diagrams._shapes import (
    GRADIENT,
    INK,
    INPUT,
    MUTED,
    NODE,
    OUTPUT,
    SIGMOID,
    STATE,
    TANH,
    TRUTH,
    box,
    dot,
    finish,
    label,
    new_axes,
    panel,
    wire,
)
from course_lib.validation import as_array, describe

__all__ = ["draw_attention", "draw_rnn_taxonomy", "draw_teacher_forcing"]

# The five shapes: title, (inputs, outputs) per column, Keras note, example from the course.
_TAXONOMY = (
    (
        "one to one",
        [(True, True)],
        "(no sequence, no state)",
        "6a: linear autoregression,\n20 past values \u2192 the next 5",
    ),
    (
        "one to many",
        [(True, True), (False, True), (False, True)],
        "",
        "6b: sampling a text\nafter a prompt",
    ),
    (
        "many to one",
        [(True, False), (True, False), (True, True)],
        "return_sequences=False",
        "2: the adding problem;\n6c: one label per sequence",
    ),
    (
        "many to many, aligned",
        [(True, True)] * 3,
        "return_sequences=True",
        "6b: the next character\nat every position",
    ),
)


def _chain(ax, x0, y0, columns, *, pitch=1.0, size=0.58):
    """Cells at `(x0 + i * pitch, y0)` linked left to right; inputs below, outputs above."""
    for i, (has_input, has_output) in enumerate(columns):
        x = x0 + i * pitch
        box(ax, (x, y0), "", width=size, height=size, color=TANH, gid="cell")
        if has_input:
            box(ax, (x, y0 - 1.0), "", width=size, height=size, color=INPUT, gid="input")
            wire(ax, [(x, y0 - 1.0 + size / 2), (x, y0 - size / 2)], lw=1.2)
        if has_output:
            box(ax, (x, y0 + 1.0), "", width=size, height=size, color=OUTPUT, gid="output")
            wire(ax, [(x, y0 + size / 2), (x, y0 + 1.0 - size / 2)], lw=1.2)
        if i:
            wire(ax, [(x - pitch + size / 2, y0), (x - size / 2, y0)], lw=1.2)


def draw_rnn_taxonomy(ax: Any = None) -> Any:
    """Draw the five input/output shapes of recurrent networks, each with a course task.

    Blue boxes are inputs, green the network's state at each step, orange outputs. One
    to one has no sequence (the linear autoregression of Chapter 6a); one to many writes
    a sequence from one input (sampling text, 6b); many to one reads a sequence and
    answers once (the adding problem of Chapter 2, the classifiers of 6c); many to many
    aligned answers at every step (the next character, 6b); the encoder-decoder reads the
    whole input before it writes an output of another length (Chapter 8a).

    Args:
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).

    Returns:
        The `Axes` holding the diagram. Its boxes have the gids `"input"`, `"cell"` and
        `"output"`.

    Raises:
        ValueError: if `ax` is neither None nor a matplotlib Axes.

    Example:
    >>> from course_lib.diagrams import draw_rnn_taxonomy
    >>> ax = draw_rnn_taxonomy()

    Introduced in Chapter 1 (Sequences and the hidden state).
    """
    ax = new_axes(ax, (9.0, 7.0))
    pitch, width = 1.0, 4.8  # between two columns, of a panel of three columns
    top, bottom = 0.0, -5.6  # the y of the two rows of panels
    # Row 1: one to one, one to many, many to one. Row 2: aligned, encoder-decoder.
    places = [(0.0, top), (width, top), (2 * width, top), (0.0, bottom)]
    for (title, columns, keras_note, example), (x_left, y) in zip(_TAXONOMY, places, strict=True):
        panel_width = width - 0.5
        x0 = x_left + (panel_width - pitch * (len(columns) - 1)) / 2
        panel(ax, x_left, y - 3.0, x_left + panel_width, y + 1.95)
        label(ax, (x_left + panel_width / 2, y + 1.65), title, fontsize=11, weight="bold")
        _chain(ax, x0, y, columns, pitch=pitch)
        label(ax, (x_left + panel_width / 2, y - 1.75), example, fontsize=10, va="top")
        code = "=" in keras_note  # a Keras argument, or a remark
        label(
            ax,
            (x_left + panel_width / 2, y - 2.7),
            keras_note,
            fontsize=10 if code else 10.5,
            color=MUTED,
            family="monospace" if code else None,
        )

    # The encoder-decoder: three cells read, then three cells write.
    x_left, y = width, bottom
    panel_width = 2 * width - 0.5
    panel(ax, x_left, y - 3.0, x_left + panel_width, y + 1.95)
    label(
        ax,
        (x_left + panel_width / 2, y + 1.65),
        "many to many, encoder-decoder",
        fontsize=11,
        weight="bold",
    )
    x0 = x_left + (panel_width - 5 * (pitch + 0.15)) / 2
    columns = [(True, False)] * 3 + [(False, True)] * 3
    _chain(ax, x0, y, columns, pitch=pitch + 0.15)
    x_split = x0 + 2.5 * (pitch + 0.15)
    ax.plot([x_split, x_split], [y - 1.4, y + 1.3], color=MUTED, lw=1, linestyle=":", zorder=1)
    label(ax, (x0 + pitch + 0.15, y + 1.0), "encoder", fontsize=10.5, color=MUTED)
    label(ax, (x_split + 1.25 * (pitch + 0.15), y - 1.0), "decoder", fontsize=10.5, color=MUTED)
    label(
        ax,
        (x_left + panel_width / 2, y - 1.75),
        "8a: \u201cseven triple five\u201d \u2192 7555;\nthe output has its own length",
        fontsize=10,
        va="top",
    )
    label(
        ax,
        (x_left + panel_width / 2, y - 2.7),
        "the encoder's final state starts the decoder",
        fontsize=10.5,
        color=MUTED,
    )

    # Legend.
    y_legend = bottom - 3.6
    for i, (color, text) in enumerate(
        ((INPUT, "input"), (TANH, "the network at one step (its state)"), (OUTPUT, "output"))
    ):
        x = [0.3, 2.6, 9.8][i]
        box(ax, (x, y_legend), "", width=0.42, height=0.42, color=color)
        label(ax, (x + 0.35, y_legend), text, fontsize=10.5, ha="left")
    return finish(ax, (-0.3, 3 * width - 0.3), (y_legend - 0.45, top + 2.2))


def _tokens(value: Any, name: str, *, most: int) -> list[str]:
    """The tokens of `value`: a string of digits, one token per character."""
    if not isinstance(value, str) or not 1 <= len(value) <= most or not value.isdigit():
        raise ValueError(f"`{name}` must be a string of 1 to {most} digits; got {describe(value)}.")
    return list(value)


def _words(source: Any, *, fewest: int = 1, most: int) -> list[str]:
    """The words of `source`, `fewest` to `most` of them."""
    words = source.split() if isinstance(source, str) else []
    if not fewest <= len(words) <= most:
        raise ValueError(
            f"`source` must be a string of {fewest} to {most} words; got {describe(source)}."
        )
    return words


def draw_teacher_forcing(
    ax: Any = None,
    *,
    source: str = "seven triple five",
    target: str = "7555",
    predicted: str = "7585",
) -> Any:
    """Draw the encoder-decoder fed by teacher forcing (training) and by itself (inference).

    Two panels, one model. In both, a GRU encoder reads the source words and its final
    state `h` starts the decoder, which writes the target digits and `<end>`, starting
    from `<start>`. Top, teacher forcing: the decoder's input at step `t + 1` is the
    true token `t` (the target shifted right by one step), so every step can be trained
    at once. Bottom, free running: its input is its own prediction `t`; a wrong
    prediction (drawn in the gradient colour) is fed back, a situation the decoder never
    met in training (exposure bias).

    Args:
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).
        source: the source words, 1 to 5. Defaults to `"seven triple five"`.
        target: the target digits, 1 to 6. Defaults to `"7555"`.
        predicted: the free-running decoder's digits, as many as `target`. Defaults to
            `"7585"` (one mistake, for illustration).

    Returns:
        The `Axes` holding the diagram. The arrows that feed a token back as the next
        input have the gid `"teacher"` (top panel) or `"fed back"` (bottom panel).

    Raises:
        ValueError: if an argument is not as described, or `ax` is not an Axes.

    Example:
    >>> from course_lib.diagrams import draw_teacher_forcing
    >>> ax = draw_teacher_forcing(source="four two", target="42", predicted="47")

    Introduced in Chapter 8a (Encoder, decoder and the search for the best output).
    """
    words = _words(source, most=5)
    truth = _tokens(target, "target", most=6) + ["<end>"]
    guess = _tokens(predicted, "predicted", most=6) + ["<end>"]
    if len(guess) != len(truth):
        raise ValueError(
            f"`predicted` must have as many digits as `target` ({len(truth) - 1}); "
            f"got {len(guess) - 1}."
        )
    pitch, size, token_w = 1.45, 0.62, 1.1
    x_enc = pitch * np.arange(len(words))  # (W,)
    x_dec = x_enc[-1] + 2.0 + pitch * np.arange(len(truth))  # (D,)
    right = x_dec[-1] + 0.9
    ax = new_axes(ax, (0.62 * (right + 1.6), 8.2))

    def one_panel(y, written, fed, kind, title, note):
        panel(ax, -0.9, y - 2.15, right, y + 3.05)
        label(ax, (-0.75, y + 2.75), title, fontsize=12, weight="bold", ha="left")
        label(ax, (-0.75, y + 2.5), note, fontsize=10.5, color=MUTED, ha="left", va="top")
        # Encoder: one GRU step per source word.
        for i, (x, word) in enumerate(zip(x_enc, words, strict=True)):
            box(ax, (x, y), "", width=size, height=size, color=TANH)
            box(ax, (x, y - 1.2), word, width=1.15, height=0.5, color=INPUT, fontsize=10)
            wire(ax, [(x, y - 0.95), (x, y - size / 2)], lw=1.2)
            if i:
                wire(ax, [(x - pitch + size / 2, y), (x - size / 2, y)], lw=1.2)
        label(ax, ((x_enc[0] + x_enc[-1]) / 2, y + 0.75), "encoder", fontsize=10.5, color=MUTED)
        # The encoder's final state starts the decoder.
        wire(ax, [(x_enc[-1] + size / 2, y), (x_dec[0] - size / 2, y)], color=STATE, lw=2.2)
        label(ax, ((x_enc[-1] + x_dec[0]) / 2, y + 0.25), "$h$", fontsize=12, color=STATE)
        # Decoder: reads a token, writes a token.
        inputs = ["<start>"] + fed[:-1]
        for t, x in enumerate(x_dec):
            box(ax, (x, y), "", width=size, height=size, color=TANH)
            if t:
                wire(ax, [(x - pitch + size / 2, y), (x - size / 2, y)], lw=1.2)
            wrong_in = t > 0 and kind == "fed back" and fed[t - 1] != truth[t - 1]
            wrong_out = kind == "fed back" and written[t] != truth[t]
            box(
                ax,
                (x, y - 1.2),
                inputs[t],
                width=token_w,
                height=0.5,
                fontsize=9.5,
                color=INPUT if t == 0 else (TRUTH if kind == "teacher" else OUTPUT),
                edgecolor=GRADIENT if wrong_in else INK,
            )
            wire(ax, [(x, y - 0.95), (x, y - size / 2)], lw=1.2)
            box(
                ax,
                (x, y + 1.2),
                written[t],
                width=token_w,
                height=0.5,
                fontsize=9.5,
                color=TRUTH if kind == "teacher" else OUTPUT,
                edgecolor=GRADIENT if wrong_out else INK,
            )
            wire(ax, [(x, y + size / 2), (x, y + 0.95)], lw=1.2)
            if t + 1 < len(x_dec):  # token t becomes the input of step t + 1
                x_turn = x + pitch / 2
                color = GRADIENT if wrong_out else (STATE if kind == "teacher" else INK)
                wire(
                    ax,
                    [
                        (x + token_w / 2, y + 1.2),
                        (x_turn, y + 1.2),
                        (x_turn, y - 1.2),
                        (x_dec[t + 1] - token_w / 2, y - 1.2),
                    ],
                    color=color,
                    lw=1.1,
                    linestyle=(0, (3, 2)),
                    halo=True,
                    gid=kind,
                )

    y_top, y_bottom = 5.6, 0.0
    one_panel(
        y_top,
        truth,
        truth,
        "teacher",
        "Training: teacher forcing",
        "input: the true previous token, the target shifted right by one step"
        "\noutput: scored against the target, every step in one pass",
    )
    label(ax, (x_dec[0] - 0.7, y_top + 1.2), "target", fontsize=10, ha="right", color=MUTED)
    one_panel(
        y_bottom,
        guess,
        guess,
        "fed back",
        "Inference: free running",
        "input: its own previous prediction, one step after the other"
        "\n(at inference there is no target to read)",
    )
    label(ax, (x_dec[0] - 0.7, y_bottom + 1.2), "predicted", fontsize=10, ha="right", color=MUTED)
    wrong = [t for t in range(len(truth)) if guess[t] != truth[t]]
    if wrong:
        x = x_dec[wrong[0]]
        label(ax, (x + pitch, y_bottom - 1.8), "a mistake, fed back", fontsize=10, color=GRADIENT)
    return finish(ax, (-1.1, right + 0.2), (y_bottom - 2.4, y_top + 3.3))


def draw_attention(
    ax: Any = None, *, source: str = "seven triple five", weights: Any = None
) -> Any:
    """Draw one decoder step of the attention model of Chapter 8b, from query to next token.

    Bottom left, the encoder: a GRU reads the source words and keeps its output `k_j` at
    every word. Right, the decoder's GRU step turns the previous token and `s_{t-1}` into
    its state `s_t`, the query. A score layer compares `s_t` with every `k_j`,
    `e_j = v^T tanh(W_1 s_t + W_2 k_j)`; a softmax over the source turns the scores into
    weights `a_j` (the bars); the context is the weighted sum `c_t = sum_j a_j k_j`
    (arrows as thick as their weight). As in `course_lib.seq2seq.build_seq2seq`, the
    context and `s_t` make `tanh(W_c [s_t; c_t])`, which feeds the output layer (Luong
    et al.'s placement; Bahdanau et al. queried with `s_{t-1}` and fed `c_t` to the GRU).

    Args:
        ax: matplotlib `Axes` to draw on. Defaults to None (a new figure).
        source: the source words, 2 to 6. Defaults to `"seven triple five"`.
        weights: the attention weights to draw, one per word, non-negative and summing
            to 1, or None: weights growing towards the last word, for illustration.
            Defaults to None.

    Returns:
        The `Axes` holding the diagram. The score boxes have the gid `"score"`, the
        weight bars `"weight"` and the arrows into the weighted sum `"weighted"`.

    Raises:
        ValueError: if `source` or `weights` is not as described, or `ax` is not an Axes.

    Example:
    >>> from course_lib.diagrams import draw_attention
    >>> ax = draw_attention(source="four two", weights=[0.2, 0.8])

    Introduced in Chapter 8b (Attention).
    """
    from matplotlib.patches import Rectangle

    words = _words(source, fewest=2, most=6)
    if weights is None:
        weights = np.exp(np.arange(len(words), dtype=float))
        weights /= weights.sum()
    weights = as_array(weights, "weights", ndim=1, layout="(words,)", finite=True)
    if len(weights) != len(words) or weights.min() < 0 or abs(weights.sum() - 1) > 1e-6:
        raise ValueError(
            f"`weights` must hold {len(words)} non-negative numbers, one per source word, "
            f"summing to 1; got {np.round(weights, 4).tolist()}."
        )
    pitch, size = 2.0, 0.62
    xs = pitch * np.arange(len(words))  # (W,) the encoder's steps
    x_dec = xs[-1] + 3.6  # the decoder's step
    left, right = xs[0] - 2.0 - 0.3 * (len(words) == 2), x_dec + 2.2
    ax = new_axes(ax, (0.6 * (right - left), 7.6))
    y_values, y_query, y_score, y_soft, y_bar, y_sum = 0.85, 1.45, 2.35, 3.45, 4.15, 6.0
    score_color = "#ead1e3"

    panel(ax, xs[0] - 1.3, -1.75, xs[-1] + 1.1, 0.42)
    label(ax, (xs[0] - 1.2, -1.6), "encoder", fontsize=10.5, color=MUTED, ha="left")
    panel(ax, x_dec - 1.35, -1.75, x_dec + 1.35, 0.42)
    label(ax, (x_dec + 1.25, -1.6), "decoder, step $t$", fontsize=10.5, color=MUTED, ha="right")
    for j, (x, word) in enumerate(zip(xs, words, strict=True)):
        box(ax, (x, 0.0), "", width=size, height=size, color=TANH)
        box(ax, (x, -1.05), word, width=1.3, height=0.5, color=INPUT, fontsize=10)
        wire(ax, [(x, -0.8), (x, -size / 2)], lw=1.2)
        if j:
            wire(ax, [(x - pitch + size / 2, 0.0), (x - size / 2, 0.0)], lw=1.2)
        # k_j: up to the score (crossing the query line) and, at the dot, to the sum.
        dot(ax, (x - 0.25, y_values))
        wire(ax, [(x - 0.25, size / 2), (x - 0.25, y_score - 0.3)], lw=1.3, halo=True)
        label(ax, (x - 0.35, 1.15), f"$k_{{{j + 1}}}$", fontsize=11, ha="right")
        dot(ax, (x + 0.25, y_query))
        wire(ax, [(x + 0.25, y_query), (x + 0.25, y_score - 0.3)], lw=1.3, color=STATE)
        box(
            ax,
            (x, y_score),
            f"score $e_{{{j + 1}}}$",
            width=1.4,
            height=0.6,
            color=score_color,
            fontsize=10.5,
            gid="score",
        )
        wire(ax, [(x, y_score + 0.3), (x, y_soft - 0.3)], lw=1.2)
        # The weight a_j as a bar, and its share of the weighted sum.
        height = 1.0 * float(weights[j])
        bar = Rectangle((x - 0.25, y_bar), 0.5, height, facecolor=STATE, edgecolor=STATE, zorder=3)
        bar.set_gid("weight")
        ax.add_patch(bar)
        wire(ax, [(x, y_soft + 0.28), (x, y_bar)], lw=1.0, arrow=False, color=MUTED)
        label(ax, (x - 0.35, y_bar + 0.2), f"$a_{{{j + 1}}}$", fontsize=11, ha="right")
        wire(
            ax,
            [(x, y_bar + height), (x, y_sum - 0.3)],
            lw=0.8 + 4 * float(weights[j]),
            color=STATE,
            gid="weighted",
        )
    wire(ax, [(x_dec - 1.35, 0.0), (x_dec - size / 2, 0.0)], lw=1.2)
    label(ax, (x_dec - 0.95, 0.3), "$s_{t-1}$", fontsize=11)
    # The softmax and the weighted sum span the source; the values reach the sum's left end.
    x_mid = (xs[0] + xs[-1]) / 2
    soft_w, sum_w = max(xs[-1] - xs[0] + 1.6, 4.6), max(xs[-1] - xs[0] + 2.4, 4.6)
    x_side = min(xs[0] - 1.55, x_mid - sum_w / 2 - 0.35)  # where the values go up
    wire(
        ax,
        [
            (xs[-1] - 0.25, y_values),
            (x_side, y_values),
            (x_side, y_sum),
            (x_mid - sum_w / 2, y_sum),
        ],
        lw=1.2,
    )
    label(
        ax,
        (x_side - 0.15, (y_values + y_sum) / 2),
        "every $k_j$",
        fontsize=10.5,
        ha="right",
        rotation=90,
    )
    box(
        ax,
        (x_mid, y_soft),
        "softmax over the source words",
        width=soft_w,
        height=0.55,
        color=NODE,
        fontsize=10.5,
    )
    box(
        ax,
        (x_mid, y_sum),
        "context  $c_t = \\Sigma_j\\, a_j\\, k_j$",
        width=sum_w,
        height=0.6,
        color=NODE,
        fontsize=11.5,
    )

    # The decoder step: the GRU, the query, the attentional state, the next token.
    box(ax, (x_dec, 0.0), "GRU", width=1.0, height=size, color=TANH, fontsize=10)
    box(ax, (x_dec, -1.05), "$y_{t-1}$", width=1.0, height=0.5, color=OUTPUT, fontsize=11)
    wire(ax, [(x_dec, -0.8), (x_dec, -size / 2)], lw=1.2)
    dot(ax, (x_dec, y_query), color=STATE)
    wire(ax, [(x_dec, y_query), (xs[0] + 0.25, y_query)], arrow=False, color=STATE, lw=1.6)
    label(ax, (x_dec - 0.15, y_query + 0.25), "query $s_t$", fontsize=11, color=STATE, ha="right")
    y_comb, y_out = y_sum, y_sum + 1.2
    wire(ax, [(x_dec, size / 2), (x_dec, y_comb - 0.3)], lw=1.6, color=STATE)
    sum_right = x_mid + sum_w / 2
    wire(ax, [(sum_right, y_sum), (x_dec - 1.3, y_comb)], lw=1.6)
    label(ax, ((sum_right + x_dec - 1.3) / 2, y_sum + 0.25), "$c_t$", fontsize=12)
    box(
        ax,
        (x_dec, y_comb),
        "$\\tanh(W_c\\,[s_t;\\, c_t])$",
        width=2.6,
        height=0.6,
        color=TANH,
        fontsize=10.5,
    )
    wire(ax, [(x_dec, y_comb + 0.3), (x_dec, y_out - 0.3)], lw=1.2)
    box(ax, (x_dec, y_out), "Dense, softmax", width=2.6, height=0.6, color=SIGMOID, fontsize=10.5)
    wire(ax, [(x_dec, y_out + 0.3), (x_dec, y_out + 0.85)], lw=1.2)
    label(ax, (x_dec, y_out + 1.1), "next token $y_t$", fontsize=11.5)

    label(
        ax,
        (left, -2.3),
        "$e_j = v^\\top \\tanh(W_1 s_t + W_2 k_j)$,   $a = \\mathrm{softmax}(e)$,"
        "   $c_t = \\Sigma_j\\, a_j k_j$\nbar heights and arrow widths: the weights $a_j$"
        " (for illustration)",
        fontsize=11,
        ha="left",
        va="top",
        color=INK,
    )
    return finish(ax, (left, right), (-3.0, y_out + 1.5))
