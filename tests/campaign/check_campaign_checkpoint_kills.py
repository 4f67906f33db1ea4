#!/usr/bin/python3
"""Kills aimed inside checkpoint writes: a local-backend table campaign is SIGKILLed the moment
its campaign.h5.tmp appears (a checkpoint is being written: docs/campaign_file.md), then
resumed, over and over. After every kill the campaign must read (h5py, and `ionscreen status`
with exit 0), its ledger must be consistent and no result may be lost or changed
(campaign_checks.check_progress); a campaign that finishes is checked as a whole
(check_finished) and a new one takes over.

Usage: check_campaign_checkpoint_kills.py IONSCREEN WORKDIR [--kills N] [--seed S]

A kill counts as "inside" when campaign.h5.tmp still exists after the process died (the write
had begun and not yet been renamed); the others landed just after a rename.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from campaign_checks import check_finished, check_progress  # noqa: E402
from campaign_support import Checks, synthetic_table, write_ini  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("ionscreen")
parser.add_argument("workdir")
parser.add_argument("--kills", type=int, default=30)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
binary, work = os.path.abspath(args.ionscreen), os.path.abspath(args.workdir)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
rng = random.Random(args.seed)
RETRIES = 2
table = os.path.join(work, "table.csv")
truth = synthetic_table(table, rows=120, seed=7)
stats = {"kills": 0, "inside": 0, "resumes": 0, "campaigns": 0, "results": 0, "finished": 0}


class Campaign:
    def __init__(self, index):
        self.index = index
        self.dir = os.path.join(work, f"campaign{index}")
        self.ini = os.path.join(work, f"campaign{index}.ini")
        self.h5 = os.path.join(self.dir, "campaign.h5")
        self.previous, self.results = {}, {}
        write_ini(self.ini, table, self.dir, {
            "campaign.name": f"ckpt{index}", "campaign.seed": str(args.seed * 1000 + index),
            "search.batch": "2", "search.initial": "4", "search.budget": "30",
            "engine.faults": "fail=0.1,garbage=0.05", "jobs.retries": str(RETRIES),
            "jobs.max_in_flight": "3", "jobs.poll": "0.01s"})
        stats["campaigns"] += 1


def run_until_checkpoint(camp, skip):
    """Starts run/resume and SIGKILLs it when the `skip`-th campaign.h5.tmp appears. Returns
    (killed, exit code, tmp present after the kill)."""
    command = "resume" if os.path.exists(camp.h5) else "run"
    tmp = camp.h5 + ".tmp"
    p = subprocess.Popen([binary, command, camp.ini], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    seen, was_there, deadline = 0, False, time.time() + 120
    while p.poll() is None and time.time() < deadline:
        there = os.path.exists(tmp)
        if there and not was_there:
            seen += 1
            if seen > skip:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
                return True, p.returncode, os.path.exists(tmp), ""
        was_there = there
    if p.poll() is None:
        p.kill()
    p.wait()
    return False, p.returncode, False, p.stderr.read().decode()[-600:]


camp = Campaign(1)
t0 = time.time()
while stats["kills"] < args.kills and not c.failures:
    killed, rc, inside, err = run_until_checkpoint(camp, rng.randrange(0, 6))
    stats["resumes"] += 1
    where = f"step {stats['resumes']} (campaign {camp.index}, {'killed' if killed else 'ended'})"
    if killed:
        stats["kills"] += 1
        stats["inside"] += inside
    else:
        c.check(rc == 0, f"{where}: exit {rc}: {err}")
    check_progress(c, camp, truth, RETRIES, where)
    if os.path.exists(camp.h5):
        status = subprocess.run([binary, "status", camp.dir], capture_output=True, text=True)
        c.check(status.returncode == 0, f"{where}: status exit {status.returncode}: {status.stderr}")
    if not killed and rc == 0:
        _, jobs, done, _ = check_finished(c, camp, f"campaign {camp.index}")
        stats["results"] += len(done)
        stats["finished"] += 1
        camp = Campaign(camp.index + 1)
print(f"summary: {stats['kills']} kills when a checkpoint began ({stats['inside']} with the "
      f"temporary file still there: inside the write), {stats['resumes']} runs/resumes, "
      f"{stats['finished']} campaigns finished with {stats['results']} results, "
      f"{len(camp.results)} results in the last; {time.time() - t0:.0f} s")
c.done()
