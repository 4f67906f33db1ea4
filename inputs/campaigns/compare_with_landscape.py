#!/usr/bin/python3
"""Compare a finished BVSE threshold campaign with the complete BVSE landscape.

Usage: compare_with_landscape.py CAMPAIGN_DIR [LANDSCAPE_CSV]
The demo's campaigns compute E_1D with the same code and settings as the shipped landscape
(inputs/landscape/bvse_tavorite.csv, which rounds to 6 digits), so the landscape is the truth the search is judged against:
which compounds really are below the campaign's threshold, and how many of them it found.
"""
import csv
import os
import sys

import h5py

campaign = sys.argv[1]
landscape = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "landscape", "bvse_tavorite.csv")
with h5py.File(os.path.join(campaign, "campaign.h5"), "r") as f:
    threshold = float(f.attrs["threshold"])
    names = [n.decode() for n in f["candidates/name"][()]]
    carrier = f["candidates"].attrs["carrier"]
    state = [s.decode() for s in f["ledger/state"][()]]
    candidate = f["ledger/candidate"][()]
    e_b = f["ledger/e_b"][()]
done = {names[c]: e for s, c, e in zip(state, candidate, e_b) if s == "done"}
with open(landscape) as f:
    rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))
            if r["carrier"] == carrier]
truth = {r["compound"]: float(r["E_1D"]) for r in rows}
below = {k for k, v in truth.items() if v < threshold}
found = {k for k, v in done.items() if v < threshold}
mismatch = [k for k, v in done.items() if k in truth and abs(v - truth[k]) > 1e-4]
print(f"{carrier}: {len(found)} of the {len(below)} compounds below {threshold:.3f} eV in the "
      f"landscape found with {len(done)} evaluations of {len(names)} "
      f"({100.0 * len(done) / len(names):.0f}% of the space); random search would need about "
      f"{100.0 * len(found) / max(len(below), 1):.0f}% of the space for the same share")
if below - found:
    print(f"  not found: {', '.join(sorted(below - found))}")
if mismatch:
    print(f"  WARNING: {len(mismatch)} campaign barriers differ from the landscape: {mismatch[:5]}")
