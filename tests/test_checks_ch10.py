"""Checks of Chapter 10's exercises: typical mistakes fail with their hint."""

import numpy as np
from exercise_solutions import fails, load_solutions

from course_lib.checks import ch10

S = load_solutions("10_speech_recognition")

# The reference passing and the stub scoring 0 are tested for every exercise by
# tests/test_check_harness.py; this file keeps Chapter 10's mistake diagnoses.


def test_frames_counted_by_hop_are_diagnosed():
    def by_hop(n_samples, frame_length, hop_length):
        return n_samples // hop_length

    fails(ch10.check_frames_in_clip, by_hop, "a frame needs frame_length samples")


def test_a_partial_last_frame_is_diagnosed():
    def with_padding(n_samples, frame_length, hop_length):
        if n_samples < frame_length:
            return 0
        return int(np.ceil((n_samples - frame_length) / hop_length)) + 1

    fails(ch10.check_frames_in_clip, with_padding, "no padding")


def test_a_negative_count_for_a_short_clip_is_diagnosed():
    def negative(n_samples, frame_length, hop_length):
        return 1 + (n_samples - frame_length) // hop_length

    fails(ch10.check_frames_in_clip, negative, "shorter than one frame", passed=3)


def test_dropping_blanks_before_merging_is_diagnosed():
    def blanks_first(path):
        path = np.asarray(path)
        kept = path[path != 0]
        if kept.size == 0:
            return kept
        return kept[np.concatenate([[True], kept[1:] != kept[:-1]])]

    fails(ch10.check_collapse, blanks_first, "merge the repeats first", passed=3)


def test_a_collapse_that_keeps_repeats_is_diagnosed():
    def no_merge(path):
        path = np.asarray(path)
        return path[path != 0]

    fails(ch10.check_collapse, no_merge, "merge each run")


def test_a_collapse_that_keeps_blanks_is_diagnosed():
    def blanks_kept(path):
        path = np.asarray(path)
        return path[np.concatenate([[True], path[1:] != path[:-1]])]

    fails(ch10.check_collapse, blanks_kept, "drop the blanks")


def test_a_collapse_that_changes_its_input_is_caught():
    def in_place(path):
        answer = S.collapse(path.copy())
        path[:] = 0
        return answer

    fails(ch10.check_collapse, in_place, "changed its input `path` in place", passed=3)


def test_greedy_decoding_without_collapse_is_diagnosed():
    def argmax_only(logits):
        return np.argmax(logits, axis=-1)

    fails(ch10.check_greedy_decode, argmax_only, "must still be collapsed", passed=1)


def test_greedy_decoding_over_time_is_diagnosed():
    def over_time(logits):
        return S.collapse(np.argmax(logits, axis=0))

    fails(ch10.check_greedy_decode, over_time, "over the classes", passed=1)


def test_greedy_decoding_that_returns_digits_is_diagnosed():
    def digits(logits):
        return S.collapse(np.argmax(logits, axis=-1)) - 1

    fails(ch10.check_greedy_decode, digits, "not the digits", passed=1)


def test_position_by_position_distance_is_diagnosed():
    def hamming(reference, hypothesis):
        common = sum(r != h for r, h in zip(reference, hypothesis, strict=False))
        return common + abs(len(reference) - len(hypothesis))

    fails(ch10.check_edit_distance, hamming, "position by position")


def test_length_difference_as_distance_is_diagnosed():
    def length_difference(reference, hypothesis):
        return abs(len(reference) - len(hypothesis))

    fails(ch10.check_edit_distance, length_difference, "count substitutions too")


def test_a_substitution_costing_two_is_diagnosed():
    def costly(reference, hypothesis):
        previous = list(range(len(hypothesis) + 1))
        for i, r in enumerate(reference, start=1):
            current = [i]
            for j, h in enumerate(hypothesis, start=1):
                cost = 2 * (r != h)
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
            previous = current
        return previous[-1]

    fails(ch10.check_edit_distance, costly, "a substitution costs 1")


def _alpha(log_probs, target, may_skip):
    target = np.asarray(target)
    z = np.zeros(2 * len(target) + 1, dtype=int)
    z[1::2] = target
    alpha = np.full((len(log_probs), len(z)), -np.inf)
    alpha[0, :2] = log_probs[0, z[:2]]
    for t in range(1, len(log_probs)):
        for s in range(len(z)):
            total = alpha[t - 1, s]
            if s >= 1:
                total = np.logaddexp(total, alpha[t - 1, s - 1])
            if s >= 2 and may_skip(z, s):
                total = np.logaddexp(total, alpha[t - 1, s - 2])
            alpha[t, s] = total + log_probs[t, z[s]]
    return alpha


def test_skipping_the_blank_between_repeats_is_diagnosed():
    def skip_always(log_probs, target):
        return _alpha(log_probs, target, lambda z, s: z[s] != 0)

    fails(ch10.check_ctc_forward, skip_always, "only when they differ", passed=3)


def test_never_skipping_is_diagnosed():
    def skip_never(log_probs, target):
        return _alpha(log_probs, target, lambda z, s: False)

    fails(ch10.check_ctc_forward, skip_never, "may jump from s - 2")


def test_the_best_path_instead_of_the_sum_is_diagnosed():
    def best_path(log_probs, target):
        target = np.asarray(target)
        z = np.zeros(2 * len(target) + 1, dtype=int)
        z[1::2] = target
        alpha = np.full((len(log_probs), len(z)), -np.inf)
        alpha[0, :2] = log_probs[0, z[:2]]
        for t in range(1, len(log_probs)):
            for s in range(len(z)):
                options = [alpha[t - 1, s]] + ([alpha[t - 1, s - 1]] if s >= 1 else [])
                if s >= 2 and z[s] != 0 and z[s] != z[s - 2]:
                    options.append(alpha[t - 1, s - 2])
                alpha[t, s] = max(options) + log_probs[t, z[s]]
        return alpha

    fails(ch10.check_ctc_forward, best_path, "it does not keep the best")
