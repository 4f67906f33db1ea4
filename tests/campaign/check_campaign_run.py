#!/usr/bin/python3
"""A table-engine campaign run end to end by the real binary on the local backend, read back
with h5py and h5dump (independent readers).

Usage: check_campaign_run.py IONSCREEN WORKDIR
Checks: the documented schema (root attributes, ledger, decisions, picks, optimiser state, the
external link to candidates.h5); every recorded E_b equals the table's value for its candidate
(the table is synthetic and known); job ids unique; the budget respected; export and status agree
with the file; a finished campaign resumes without submitting anything; user-named initial
candidates come first; threshold mode records its labels and threshold.
"""
import csv
import io
import os
import shutil
import subprocess
import sys

import h5py

from campaign_support import Checks, ionscreen, ledger, synthetic_table, write_ini

binary, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
table = os.path.join(work, "table.csv")
truth = synthetic_table(table)

# --- optimum mode, to the budget ---------------------------------------------------------------
ini = os.path.join(work, "opt.ini")
write_ini(ini, table, os.path.join(work, "opt"), {"search.initial_candidates": "LiC003, LiC010"})
run = ionscreen(binary, "run", ini, check=0)
h5 = os.path.join(work, "opt", "campaign.h5")
with h5py.File(h5, "r") as f:
    c.check(f.attrs["format"] == "ionscreen campaign", "root attribute format")
    c.check(int(f.attrs["schema_version"]) == 1, "schema_version 1")
    c.check(str(f.attrs["status"]).startswith("finished: evaluation budget"), f"status {f.attrs['status']}")
    names = [n.decode() for n in f["candidates/name"][()]]  # through the external link
    c.check(len(names) == 60, f"60 candidates through /candidates, got {len(names)}")
    c.check(f["candidates/descriptors"].shape == (60, 4), "descriptor matrix 60 x 4")
    c.check(f.get("candidates", getlink=True).__class__.__name__ == "ExternalLink",
            "/candidates is an external link")
    state = f["optimizer/state"][0].decode()
    c.check("observation" in state, "optimizer state text holds observations")
    picks = f["decisions/picks/candidate"][()]
    decision_reasons = [r.decode() for r in f["decisions/reason"][()]]
    c.check(decision_reasons[0] == "user-named initial candidates",
            f"first decision is the user-named candidates, got {decision_reasons[0]}")
    c.check([names[i] for i in picks[:2]] == ["LiC003", "LiC010"], "user-named picks first")
    c.check(any(r == "ei" for r in decision_reasons), "model-based (ei) decisions follow")
    hp = [h.decode() for h in f["decisions/hyperparameters"][()]]
    c.check(any("noise.variance=" in h for h in hp), "hyperparameters recorded by name")
jobs = ledger(h5)
ids = [j["job_id"] for j in jobs]
c.check(len(ids) == len(set(ids)), "job ids unique")
done = [j for j in jobs if j["state"] == "done"]
c.check(len(done) == 14, f"budget 14 evaluations, got {len(done)}")
for j in done:
    name = names[j["candidate"]]
    c.check(abs(j["e_b"] - truth[name]) < 1e-12, f"{name}: recorded {j['e_b']} != table {truth[name]}")
    c.check(j["directory"] == "jobs/" + j["job_id"], f"job directory {j['directory']}")
    c.check(os.path.exists(os.path.join(work, "opt", j["directory"], "result.json")), "result.json kept")
pairs = [(j["candidate"], j["attempt"]) for j in jobs]
c.check(len(pairs) == len(set(pairs)), "each (candidate, attempt) once")
for f in ("campaign.h5", "candidates.h5"):
    dump = subprocess.run(["h5dump", "-H", os.path.join(work, "opt", f)], capture_output=True, text=True)
    c.check(dump.returncode == 0, f"h5dump -H {f}: {dump.stderr[:200]}")

export = ionscreen(binary, "export", os.path.join(work, "opt"), check=0).stdout
rows = list(csv.DictReader(io.StringIO(export)))
c.check(len(rows) == 14, f"export: 14 result rows, got {len(rows)}")
for r in rows:
    c.check(r["status"] == "done" and abs(float(r["E_b"]) - truth[r["candidate"]]) < 1e-12,
            f"export row {r}")
out_csv = os.path.join(work, "jobs.csv")
ionscreen(binary, "export", ini, "--table", "jobs", "--out", out_csv, check=0)
with open(out_csv) as f:
    c.check(len(list(csv.DictReader(f))) == len(jobs), "export --table jobs: one row per ledger row")
status = ionscreen(binary, "status", os.path.join(work, "opt"), check=0).stdout
best = min(done, key=lambda j: j["e_b"])
c.check(f"best E_b: {names[best['candidate']]}" in status, "status names the best candidate")
c.check("done 14" in status, "status counts jobs by state")

# A finished campaign resumes without submitting anything.
again = ionscreen(binary, "resume", ini, check=0)
c.check("submitted" not in again.stdout, "resume of a finished campaign submits nothing")
c.check(len(ledger(h5)) == len(jobs), "resume of a finished campaign adds no job")

# --- stop rules: wall clock (then resume), target ----------------------------------------------
ini_w = os.path.join(work, "wall.ini")
write_ini(ini_w, table, os.path.join(work, "wall"),
          {"search.wall_clock": "1s", "engine.faults": "slow=1", "search.budget": "12"})
ionscreen(binary, "run", ini_w, check=0)
with h5py.File(os.path.join(work, "wall", "campaign.h5"), "r") as f:
    c.check(str(f.attrs["status"]).startswith("stopped: wall-clock"), f"wall clock stop: {f.attrs['status']}")
    first = sum(s == b"done" for s in f["ledger/state"][()])
c.check(first < 12, f"stopped before the budget ({first} results)")
ionscreen(binary, "resume", ini_w, "--set", "search.wall_clock=0", check=0)
jobs_w = ledger(os.path.join(work, "wall", "campaign.h5"))
c.check(sum(j["state"] == "done" for j in jobs_w) == 12, "resume after the wall-clock stop reaches the budget")
c.check(len({(j["candidate"], j["attempt"]) for j in jobs_w}) == len(jobs_w), "no (candidate, attempt) twice across the stop")

target = sorted(truth.values())[5]  # the 6th lowest: reachable, not trivially
ini_g = os.path.join(work, "target.ini")
write_ini(ini_g, table, os.path.join(work, "target"), {"search.target": repr(target), "search.budget": "0"})
ionscreen(binary, "run", ini_g, check=0)
with h5py.File(os.path.join(work, "target", "campaign.h5"), "r") as f:
    c.check(str(f.attrs["status"]).startswith("finished: target"), f"target stop: {f.attrs['status']}")
best = min(j["e_b"] for j in ledger(os.path.join(work, "target", "campaign.h5")) if j["state"] == "done")
c.check(best <= target, f"target reached: best {best} <= {target}")

# --- threshold mode ----------------------------------------------------------------------------
# One job at a time, so that the proposals do not depend on which result arrives first.
ini_t = os.path.join(work, "thr.ini")
write_ini(ini_t, table, os.path.join(work, "thr"),
          {"search.threshold": "0.3", "search.budget": "40", "search.batch": "1",
           "jobs.max_in_flight": "1"}, mode="threshold")
ionscreen(binary, "run", ini_t, check=0)
with h5py.File(os.path.join(work, "thr", "campaign.h5"), "r") as f:
    c.check(abs(f.attrs["threshold"] - 0.3) < 1e-15, "threshold 0.3 eV recorded")
    undecided = f["decisions/undecided"][()]
    c.check((undecided >= 0).any(), "threshold labels recorded with the model-based decisions")
    status_t = str(f.attrs["status"])
    c.check(status_t.startswith("finished"), f"threshold run finished: {status_t}")
jobs_t = ledger(os.path.join(work, "thr", "campaign.h5"))
below_truth = {n for n, e in truth.items() if e < 0.3}
found = {names[j["candidate"]] for j in jobs_t if j["state"] == "done" and j["e_b"] < 0.3}
print(f"threshold mode: {len(found)} of {len(below_truth)} below 0.3 eV found in "
      f"{sum(j['state'] == 'done' for j in jobs_t)} evaluations of 60")
if status_t.startswith("finished: threshold search complete"):
    c.check(found == below_truth, f"nothing undecided, so every hit is found: {sorted(below_truth - found)} missing")
c.done()
