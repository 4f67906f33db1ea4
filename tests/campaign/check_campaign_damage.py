#!/usr/bin/python3
"""The damaged-file matrix (review findings D6, D7): copies of a finished campaign with
campaign.h5, campaign.h5.prev or candidates.h5 truncated, bit-flipped (1, 4 or 16 bits), a 4 KiB
block zeroed, or its checksum block damaged, each then given to `status`, `export` and `resume`:
  - damage in campaign.h5 alone: status and export show the previous checkpoint (exit 0, saying
    so on stderr) and change no file; resume goes on from campaign.h5.prev (exit 0), keeps the
    damaged file as campaign.h5.damaged, and every result of the previous checkpoint is kept;
  - campaign.h5 and campaign.h5.prev both damaged: every command refuses with exit code 2 and
    changes no file;
  - damage in candidates.h5: status and export refuse with exit 2 and change no file; resume sets
    it aside as candidates.h5.damaged, builds the pool again and goes on (exit 0);
and never a crash, a hang (60 s) or another exit code.

Usage: check_campaign_damage.py IONSCREEN WORKDIR [--variants N] [--seed S]
"""
import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from campaign_support import Checks, ledger, synthetic_table, write_ini  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("ionscreen")
parser.add_argument("workdir")
parser.add_argument("--variants", type=int, default=24)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
binary, work = os.path.abspath(args.ionscreen), os.path.abspath(args.workdir)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
rng = random.Random(args.seed)
table = os.path.join(work, "table.csv")
synthetic_table(table, rows=60, seed=4)
base = os.path.join(work, "base")
ini = os.path.join(work, "base.ini")
write_ini(ini, table, base, {"search.budget": "10", "engine.faults": "fail=0.1"})
subprocess.run([binary, "run", ini], check=True, capture_output=True)
# One more checkpoint after the finish, so that campaign.h5.prev is a finished campaign too.
subprocess.run([binary, "resume", ini, "--set", "search.budget=12"], check=True, capture_output=True)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def damage(path, how):
    data = bytearray(open(path, "rb").read())
    if how == "truncate":
        data = data[: rng.randrange(0, len(data))]
    elif how.startswith("flip"):
        for _ in range(int(how[4:])):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif how == "zero4k":
        at = rng.randrange(0, max(1, len(data) - 4096))
        data[at:at + 4096] = bytes(min(4096, len(data) - at))
    elif how == "header":
        data[rng.randrange(0, 512)] ^= 1 << rng.randrange(8)
    open(path, "wb").write(bytes(data))


def run(*argv):
    try:
        return subprocess.run([binary, *argv], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None


kinds = ["truncate", "flip1", "flip4", "flip16", "zero4k", "header"]
targets = ["campaign.h5", "candidates.h5", "both"]
counts = {}
for n in range(args.variants):
    target, how = targets[n % 3], kinds[(n // 3) % len(kinds)]
    v = os.path.join(work, "v")
    shutil.rmtree(v, ignore_errors=True)
    shutil.copytree(base, v)
    vini = os.path.join(work, "v.ini")
    write_ini(vini, table, v, {"search.budget": "10", "engine.faults": "fail=0.1",
                               "campaign.name": "base"})
    files = {"campaign.h5": ["campaign.h5"], "candidates.h5": ["candidates.h5"],
             "both": ["campaign.h5", "campaign.h5.prev"]}[target]
    for f in files:
        damage(os.path.join(v, f), how)
    where = f"variant {n} ({target}, {how})"
    before = {f: digest(os.path.join(v, f)) for f in os.listdir(v) if f.endswith((".h5", ".prev"))}
    prev_results = {j["job_id"]: j["e_b"] for j in ledger(os.path.join(v, "campaign.h5.prev"))
                    if j["state"] == "done"} if target != "both" else {}
    outcome = "refused"
    for command in (["status", v], ["export", v]):
        r = run(*command)
        c.check(r is not None, f"{where}: {command[0]} hung")
        if r is None:
            continue
        if target == "campaign.h5":
            c.check(r.returncode == 0 and "previous checkpoint" in r.stderr,
                    f"{where}: {command[0]} exit {r.returncode}, expected 0 from .prev: {r.stderr[-300:]}")
        else:
            c.check(r.returncode == 2, f"{where}: {command[0]} exit {r.returncode}, expected 2: {r.stderr[-300:]}")
        now = {f: digest(os.path.join(v, f)) for f in before}
        c.check(now == before, f"{where}: {command[0]} changed a file")
    r = run("resume", vini, "--set", "search.budget=14")
    c.check(r is not None, f"{where}: resume hung")
    if r is not None and target == "both":
        c.check(r.returncode == 2, f"{where}: resume exit {r.returncode}, expected 2: {r.stderr[-300:]}")
        now = {f: digest(os.path.join(v, f)) for f in before}
        c.check(now == before, f"{where}: a refused resume changed a file")
    elif r is not None:
        c.check(r.returncode == 0, f"{where}: resume exit {r.returncode}, expected 0: {r.stderr[-300:]}")
        aside = "campaign.h5.damaged" if target == "campaign.h5" else "candidates.h5.damaged"
        c.check(os.path.exists(os.path.join(v, aside)), f"{where}: no {aside} kept")
        after = {j["job_id"]: j["e_b"] for j in ledger(os.path.join(v, "campaign.h5"))
                 if j["state"] == "done"}
        lost = [j for j, e in prev_results.items() if after.get(j) != e]
        c.check(not lost, f"{where}: results of the previous checkpoint lost: {lost}")
        outcome = "recovered"
    counts[(target, outcome)] = counts.get((target, outcome), 0) + 1
print("summary: " + ", ".join(f"{t} {o}: {k}" for (t, o), k in sorted(counts.items())) +
      f" ({args.variants} variants, seed {args.seed})")
c.done()
