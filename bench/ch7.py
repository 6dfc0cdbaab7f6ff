"""Chapter 7's headline metrics and execution time, per seed, read from the notebooks.

`python -m bench --only ch7` runs both notebooks under each seed
(`bench.notebook_metrics`: one copy of every experiment, the chapter's own).
"""

from __future__ import annotations

# notebook -> {metric name: Python expression evaluated at the end of the notebook}
METRICS: dict[str, dict[str, str]] = {
    "07a_padding_masking": {
        "accuracy, mask": 'accuracy["mask"]',
        "accuracy, no mask": 'accuracy["no mask"]',
        "final-state drift after 56 pad steps, mask": 'drift["mask"][-1]',
        "final-state drift after 56 pad steps, no mask": 'drift["no mask"][-1]',
        "NumPy vs Keras masked GRU, max |diff|": "float(masked_diff)",
        "embedding: nearest neighbour in the same language": "agreement",
    },
    "07b_bucketing_stateful": {
        "padded steps, longest / bucketed": 'steps["padded to the longest"] / steps["bucketed"]',
        "epoch time, longest / bucketed": "speedup",
        "bits/char, stateful (TBPTT)": 'float(by_position["stateful (TBPTT)"].mean())',
        "bits/char, independent windows": 'float(by_position["independent windows"].mean())',
        "bits/char gain of the stateful model": "float(gain)",
    },
}
