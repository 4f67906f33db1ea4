#!/usr/bin/python3
"""The same campaign run by 1 process and under `mpirun -n 2` and `-n 3` (oversubscribed): every
proposal (candidate, acquisition value, posterior mean and variance) must be identical, bit for
bit, because the ranks only share the scoring of the pool (whole 1024-row blocks per rank).

Usage: check_campaign_mpi.py IONSCREEN WORKDIR
A 3000-candidate synthetic table (3 blocks, so 2 and 3 ranks each score real shards); one job at a
time so that results arrive in the same order in every run; optimum (EI) and threshold (LSE).
"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

from campaign_support import Checks, synthetic_table, write_ini

binary, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
table = os.path.join(work, "table.csv")
synthetic_table(table, rows=3000)


def decisions(directory):
    with h5py.File(os.path.join(directory, "campaign.h5"), "r") as f:
        p = f["decisions/picks"]
        return {k: p[k][()] for k in ("decision", "candidate", "acquisition", "mean", "variance")}, \
            str(f.attrs["status"])


for mode, extra in (("optimum", {}), ("threshold", {"search.threshold": "10%", "search.threshold_reference": table,
                                           "search.threshold_column": "E_b"})):
    runs = {}
    for ranks in (1, 2, 3):
        directory = os.path.join(work, f"{mode}-{ranks}")
        ini = directory + ".ini"
        write_ini(ini, table, directory, dict(extra, **{
            "campaign.name": f"mpi-{mode}-{ranks}", "search.batch": "1", "search.budget": "12",
            "jobs.max_in_flight": "1"}), mode=mode)
        command = [binary, "run", ini]
        if ranks > 1:
            command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks)] + command
        run = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            c.check(False, f"{mode}, {ranks} rank(s): exit {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
            continue
        if ranks > 1:
            c.check(f"scoring the candidate pool on {ranks} MPI ranks" in run.stdout,
                    f"{mode}, {ranks} ranks: the pool scoring is shared")
        runs[ranks], status = decisions(directory)
        c.check(status.startswith("finished"), f"{mode}, {ranks} rank(s): {status}")
    if 1 not in runs:
        continue
    model_based = np.isfinite(runs[1]["acquisition"]).sum()
    c.check(model_based >= 5, f"{mode}: {model_based} model-based picks to compare")
    for ranks in (2, 3):
        if ranks not in runs:
            continue
        for key in runs[1]:
            a, b = runs[1][key], runs[ranks][key]
            same = a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
            c.check(same, f"{mode}: /decisions/picks/{key} with {ranks} ranks differs from 1 rank:\n{a}\n{b}")
    print(f"{mode}: {len(runs[1]['candidate'])} picks ({model_based} model-based) identical with 1, 2 and 3 ranks")
c.done()
