#!/usr/bin/python3
"""Writes demo_landscape.csv: a SYNTHETIC barrier table for the interim GP/BO demo.

It is not physics: 300 made-up compounds, two descriptors per site group (A, M, X, Z), and an
E_b (eV) that is a smooth additive function of the descriptors plus 0.02 eV noise, so that the
per-site additive kernel has real structure to find. The real tavorite landscape (BVSE barriers of
enumerated compounds) replaces it when the structures and BVSE issues land.

Regenerate: /usr/bin/python3 inputs/demo/make_demo_landscape.py > inputs/demo/demo_landscape.csv
"""
import numpy as np

rng = np.random.default_rng(2018)
n = 300
sites = ["A", "M", "X", "Z"]
x = rng.uniform(0.0, 1.0, size=(n, 2 * len(sites)))
e = 0.35 * np.ones(n)
for k, _ in enumerate(sites):
    a, b = x[:, 2 * k], x[:, 2 * k + 1]
    centre = 0.25 + 0.15 * k
    e += 0.30 * np.minimum((2.5 * (a - centre)) ** 2, 1.5) + 0.08 * np.sin(5.0 * b + k)
e += rng.normal(0.0, 0.02, size=n)
header = ["compound"] + [f"{s}.d{j}" for s in sites for j in range(2)] + ["E_b"]
print("# SYNTHETIC demo landscape written by inputs/demo/make_demo_landscape.py (seed 2018); "
      "not physical barriers")
print(",".join(header))
for i in range(n):
    print(",".join([f"demo-{i:03d}"] + [repr(float(v)) for v in x[i]] + [repr(float(e[i]))]))
