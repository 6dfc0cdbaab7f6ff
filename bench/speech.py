"""Chapter 10: the digit error rate of connected-digit recognition, per seed and per held-out speaker.

The experiment is the chapter's own, `course_lib.speech.run_speech` with the chapter's
budget (`course_lib.speech.SpeechBudget()` unless `--speech-budget` changes it): a 64-unit
bidirectional GRU with CTC on log-mel features, trained on utterances of five FSDD
speakers and tested on utterances of the sixth, never heard in training.

1. **Per seed**: held-out speaker `theo` (the chapter's), seeds 0, 1 and 2.
2. **Leave one speaker out**: each of the six speakers held out in turn, seed 0.

`python -m bench --only speech` records both in `bench/results.json` (section `speech`,
rendered in `bench/results.md`); `python -m bench.speech --speaker theo --seed 0` runs one
and prints it. Heavy: 8 trainings (about a minute each on a quiet 2-core machine at the
chapter's budget).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from course_lib.datasets.fsdd import FSDD_SPEAKERS
from course_lib.speech import SpeechBudget, run_speech

CHAPTER_SPEAKER = "theo"  # the chapter's held-out speaker


def _row(test_speaker: str, seed: int, budget: SpeechBudget) -> dict[str, Any]:
    result, _ = run_speech(test_speaker, seed, budget)
    row = {
        "test_speaker": result.test_speaker,
        "seed": result.seed,
        "greedy": result.greedy_error_rate,
        "beam": result.beam_error_rate,
        "final_loss": result.final_loss,
        "train_seconds": result.train_seconds,
    }
    print(f"  speech {test_speaker}, seed {seed}: {row}", flush=True)
    return row


def budget_from(fields: Sequence[str]) -> SpeechBudget:
    """The chapter's budget with `FIELD=VALUE` changes, e.g. `["n_train=1000", "epochs=2"]`."""
    budget = SpeechBudget()
    changes: dict[str, Any] = {}
    for field in fields:
        name, _, value = field.partition("=")
        if name not in asdict(budget) or not value:
            raise ValueError(
                f"`--speech-budget` takes FIELD=VALUE with FIELD in {sorted(asdict(budget))}; "
                f"got {field!r}."
            )
        changes[name] = type(getattr(budget, name))(value)
    return replace(budget, **changes)


def measure(seeds: Sequence[int] = (0, 1, 2), budget: SpeechBudget | None = None) -> dict[str, Any]:
    """Digit error rates per seed (held-out `theo`) and per held-out speaker (seed 0).

    Returns:
        `{"budget", "per_seed": [row, ...], "per_speaker": [row, ...]}`, each row with
        `test_speaker`, `seed`, `greedy`, `beam` (digit error rates), `final_loss` and
        `train_seconds`. The run of `theo` under the first seed is shared by both lists.
    """
    budget = budget or SpeechBudget()
    per_seed = [_row(CHAPTER_SPEAKER, seed, budget) for seed in seeds]
    first = per_seed[0] if per_seed else None
    per_speaker = [
        first if first and speaker == CHAPTER_SPEAKER else _row(speaker, seeds[0], budget)
        for speaker in FSDD_SPEAKERS
    ]
    return {"budget": asdict(budget), "per_seed": per_seed, "per_speaker": per_speaker}


def render(section: dict[str, Any], when: str) -> str:
    """The Markdown of the section: the budget, then one table per seed and per speaker."""
    budget = section["budget"]
    header = ["held-out speaker", "seed", "digit error rate, greedy", "beam search",
              "final training loss", "training time"]  # fmt: skip

    def rows(entries):
        return [
            [r["test_speaker"], str(r["seed"]), f"{r['greedy']:.3f}", f"{r['beam']:.3f}",
             f"{r['final_loss']:.3g}", f"{r['train_seconds']:.0f} s"]
            for r in entries
        ]  # fmt: skip

    def mean(entries, key):
        return sum(r[key] for r in entries) / len(entries)

    from bench.report import _table

    text = (
        "\n## Chapter 10: digit error rate per seed and per held-out speaker\n\n"
        f"{when} `bench.speech`: the chapter's experiment (`course_lib.speech.run_speech`), "
        f"a {budget['units']}-unit bidirectional GRU with CTC on log-mel features, "
        f"{budget['n_train']} training utterances (2 to {budget['max_digits']} digits) of five "
        f"speakers, {budget['stack']} frames per step, input dropout {budget['dropout']}, "
        f"{budget['epochs']} epochs, batches of {budget['batch_size']}, Adam {budget['lr']}; "
        f"tested on {budget['n_test']} utterances (2 to 7 digits) of the sixth speaker; beam width "
        f"{budget['beam_width']}.\n\n"
        "Per seed, held-out speaker theo:\n\n"
        + _table(header, rows(section["per_seed"]))
        + "\nLeave one speaker out, seed 0:\n\n"
        + _table(header, rows(section["per_speaker"]))
    )
    if section["per_speaker"]:
        text += (
            f"\nMean over the six held-out speakers: greedy "
            f"{mean(section['per_speaker'], 'greedy'):.3f}, beam search "
            f"{mean(section['per_speaker'], 'beam'):.3f}.\n"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speech", description=__doc__)
    parser.add_argument("--speaker", default=CHAPTER_SPEAKER, choices=FSDD_SPEAKERS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=SpeechBudget.n_train)
    parser.add_argument("--epochs", type=int, default=SpeechBudget.epochs)
    args = parser.parse_args(argv)
    budget = replace(SpeechBudget(), n_train=args.n_train, epochs=args.epochs)
    print(json.dumps(_row(args.speaker, args.seed, budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
