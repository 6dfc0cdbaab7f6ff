"""Chapter 9's headline numbers per seed, read from its three notebooks.

The loop/scan ratio table (09a), the adding problem at T = 200 with Chapter 4's budget
(09b: test MSE and the epoch each model leaves the plateau, `None` when it does not
within the budget) and selective copying (09c: test accuracy). `python -m bench --only
ch9` runs each notebook under each seed (`bench.notebook_metrics`: one copy of every
experiment, the chapter's own).
"""

from __future__ import annotations

LENGTHS = (64, 256, 1024, 4096)
ADDING_MODELS = ("LSTM", "GRU", "minGRU, bias 0", "minGRU")
COPYING_MODELS = ("GRU", "minGRU, 1 layer", "minGRU, 2 layers", "time-invariant, 2 layers")

# notebook -> {metric name: Python expression evaluated at the end of the notebook}
METRICS: dict[str, dict[str, str]] = {
    "09a_linear_recurrences": {
        **{
            f"loop / scan, {kind}, T={T}": f'float(speed.loc[{T}, "{kind}"])'
            for kind in ("training pass", "forward only")
            for T in LENGTHS
        },
        "largest |layer - NumPy reference|": "max(gaps.values())",
        "|recurrence - FFT convolution|": "float(gap)",
        "gradient at distance 100, tanh RNN": 'float(at_100["tanh RNN"])',
        "gradient at distance 100, LRU slowest unit": 'float(at_100["LRU slowest unit"])',
    },
    "09b_long_memory": {
        "log10 product of a over 150 steps, untrained, gate bias 0": "float(log10_kept[0.0][150])",
        "log10 product of a over 150 steps, untrained, gate bias -3": (
            "float(log10_kept[-3.0][150])"
        ),
        **{f"adding T=200, test MSE, {m}": f'float(test_mse["{m}"])' for m in ADDING_MODELS},
        **{
            f"adding T=200, epoch off the plateau, {m}": f'left_plateau["{m}"]'
            for m in ADDING_MODELS
        },
        "trained minGRU, z at marked steps (most selective unit)": "float(z_marked[unit])",
        "trained minGRU, z elsewhere (same unit)": "float(z_other[unit])",
    },
    "09c_selective_copying": {
        **{f"selective copy, test accuracy, {m}": f'float(overall["{m}"])' for m in COPYING_MODELS},
        **{
            f"selective copy, accuracy on token 2, {m}": f'float(table.loc["{m}", "token 2"])'
            for m in COPYING_MODELS
        },
    },
}
