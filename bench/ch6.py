"""Chapter 6a's comparison of the GRU with the linear model, per seed, read from the notebook.

`python -m bench --only ch6` runs `book/06a_forecasting.ipynb` under each seed
(`bench.notebook_metrics`: the chapter's own experiment) and records the GRU's RMSE over
the linear autoregression's at its best and its worst horizon, the range the chapter's
"about as good as the linear autoregression" rests on.
"""

from __future__ import annotations

# notebook -> {metric name: Python expression evaluated at the end of the notebook}
METRICS: dict[str, dict[str, str]] = {
    "06a_forecasting": {
        "GRU RMSE / linear RMSE, best horizon": "float(ratio_linear.min())",
        "GRU RMSE / linear RMSE, worst horizon": "float(ratio_linear.max())",
        "horizons where the GRU beats the linear model": "int((ratio_linear < 1).sum())",
        "GRU RMSE / persistence RMSE, worst horizon from 2 on": "float(worst)",
    },
}
