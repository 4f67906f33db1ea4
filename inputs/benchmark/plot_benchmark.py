#!/usr/bin/python3
"""Plots of an `ionscreen benchmark` output directory (curves_<strategy>.csv, summary.csv).

usage: /usr/bin/python3 inputs/benchmark/plot_benchmark.py DIR
writes DIR/p_optimum.png (probability of having evaluated the optimum vs evaluations) and
DIR/sub_threshold.png (fraction of the sub-threshold candidates evaluated vs evaluations), one
curve per strategy with its 95% band, random search dashed as the baseline. Needs numpy and
matplotlib (Debian: python3-numpy python3-matplotlib, installed by cmake/quickstart.sh).
"""
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_curve(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([float(r[key]) for r in rows]) for key in rows[0]}


def plot(directory, curves, value, lo, hi, ylabel, out):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, c in curves.items():
        x = 100 * c["fraction_of_space"]
        style = dict(color="k", linestyle="--") if name == "random" else {}
        (line,) = ax.plot(x, c[value], label=name, linewidth=1.6, **style)
        ax.fill_between(x, c[lo], c[hi], color=line.get_color(), alpha=0.15, linewidth=0)
    ax.axvline(30, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("evaluations (% of the candidate space)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(directory / out, dpi=130)
    plt.close(fig)
    print(f"wrote {directory / out}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = Path(sys.argv[1])
    with open(directory / "summary.csv", newline="") as f:
        names = [r["strategy"] for r in csv.DictReader(f)]
    curves = {n: read_curve(directory / f"curves_{n}.csv") for n in names}
    plot(directory, curves, "p_optimum", "p_optimum_lo", "p_optimum_hi",
         "P(optimum evaluated)", "p_optimum.png")
    # Optimum-mode BO trials stop at the optimum: their sub-threshold counts stop growing there,
    # so only random search and threshold-mode strategies are drawn.
    threshold = {n: c for n, c in curves.items()
                 if n == "random" or n.split("-")[3:4] in (["lse"], ["straddle"])}
    plot(directory, threshold, "found_fraction", "found_fraction_lo", "found_fraction_hi",
         "fraction of sub-threshold candidates evaluated", "sub_threshold.png")


if __name__ == "__main__":
    main()
