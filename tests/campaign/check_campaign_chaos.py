#!/usr/bin/python3
"""Chaos test of the exactly-once protocol (docs/campaign_file.md): a Slurm-backed table-engine
campaign whose driver is killed with SIGKILL at random (seeded) moments and resumed each time.

Usage: check_campaign_chaos.py IONSCREEN WORKDIR [--kills N] [--seed S] [--faults SPEC]
                               [--budget B] [--slow-sbatch SECONDS] [--inject-duplicate]

Slurm is the shared single-node cluster of cluster/slurm/local-slurm.sh (started if needed and
stopped by the last user out, as cluster/slurm/README.md describes); the site profile is
cluster/slurm/profiles/local.ini. Only the ionscreen process is killed, never its Slurm jobs.

Each step starts `ionscreen run` (no campaign file yet) or `ionscreen resume`, sleeps a seeded
random time (a fifth of the steps 0-0.3 s, to land in start-up, pool building and reconciliation;
the others 0.3-3 s: proposing, submitting, polling, checkpointing) and SIGKILLs it unless it has
finished. After every step:
  - campaign.h5 opens with h5py; its ledger is consistent (unique job ids, each (candidate,
    attempt) once, attempts 1..k, at most 1 + retries, every `done` E_b the table's value);
  - nothing went backwards since the previous step: every ledger row is still there, no state
    regressed (planned < submitted < done | failed), done E_b unchanged, a recorded scheduler id
    never forgotten;
  - no result lost: every job directory holding a valid result.json whose job is `done` has the
    same E_b, and no job with a valid result.json is recorded as `failed`; every job directory
    belongs to a ledger row.
When a campaign finishes before the kills are used up, it is checked as below and a new campaign
(a new name) takes over, so that every kill hits a running campaign. After N kills the current
campaign is resumed without killing until it finishes (exit 0), and then:
  - every job directory with a valid result.json is recorded as done, with that E_b; the
    optimiser's observations and failures are exactly the ledger's;
  - exactly once against Slurm itself: from `sacct -c` (job completion log) and `squeue -t all`,
    no job name ionscreen-<campaign>-<job id> appears with two Slurm job ids, every name is a
    ledger row, and there are as many names as ledger rows that reached `submitted` or beyond.
--inject-duplicate submits one job a second time by hand (sbatch, same name) before that check,
to see the check catch a duplicate submission (the run must then fail).
--slow-sbatch S puts an `sbatch` first on the PATH of ionscreen that waits S seconds before it
runs the real one (a busy controller), so that kills land inside submissions and the killed
driver's orphaned sbatch may still be on its way when the next resume reconciles.
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
from campaign_checks import (LOCAL_PROFILE, LocalSlurm, check_exactly_once, check_finished,  # noqa: E402
                             check_progress, job_name_prefix, read_campaign, show_step)
from campaign_support import Checks, synthetic_table, write_ini  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("ionscreen")
parser.add_argument("workdir")
parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of the driver (default 20)")
parser.add_argument("--seed", type=int, default=1, help="seeds the kill times and the campaign")
parser.add_argument("--faults", default="fail=0.1,garbage=0.05,slow=0.2",
                    help="[engine] faults of the table engine, so that kills also hit retries")
parser.add_argument("--budget", type=int, default=30)
parser.add_argument("--rows", type=int, default=72)
parser.add_argument("--slow-sbatch", type=float, default=0.0,
                    help="ionscreen's sbatch waits this long before submitting (default 0: the real sbatch)")
parser.add_argument("--inject-duplicate", action="store_true",
                    help="self-test: submit one job twice by hand; the exactly-once check must fail")
args = parser.parse_args()

binary, work = os.path.abspath(args.ionscreen), os.path.abspath(args.workdir)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
rng = random.Random(args.seed)
t_all = time.time()
RETRIES = 2
table = os.path.join(work, "table.csv")
truth = synthetic_table(table, rows=args.rows, seed=11)
base_name = f"chaos-s{args.seed}-p{os.getpid()}"

stats = {"kills": 0, "steps": 0, "natural_ends": 0, "campaigns": 0, "jobs": 0, "slurm_jobs": 0, "submissions": 0,
         "found_by_name": 0, "recovered": 0, "lost": 0, "no_campaign_file": 0}
phases = {}


class Campaign:
    """One campaign of the run: its files and what earlier steps saw."""

    @property
    def prefix(self):
        return job_name_prefix(self.h5)

    def __init__(self, index):
        self.index = index
        self.name = f"{base_name}-e{index}"
        self.dir = os.path.join(work, f"campaign{index}")
        self.ini = os.path.join(work, f"campaign{index}.ini")
        self.h5 = os.path.join(self.dir, "campaign.h5")
        self.previous = {}      # job id -> ledger row at the previous step (check_progress)
        self.results = {}       # job id -> E_b of every valid result.json ever seen
        write_ini(self.ini, table, self.dir, {
            "campaign.name": self.name,
            "campaign.seed": str(args.seed * 100 + index),
            "search.batch": "3",
            "search.initial": "4",
            "search.budget": str(args.budget),
            "engine.faults": args.faults,
            "jobs.backend": "slurm",
            "jobs.slurm_profile": LOCAL_PROFILE,
            "jobs.max_in_flight": "4",
            "jobs.retries": str(RETRIES),
            "jobs.poll": "0.2s",
            "jobs.time_limit": "5m",
        })
        stats["campaigns"] += 1


def phase_of(stdout_path):
    """Where a killed driver was, from the last line it printed."""
    try:
        with open(stdout_path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except OSError:
        lines = []
    if not lines:
        return "start-up (nothing printed)"
    last = lines[-1]
    for prefix, phase in (("starting", "after start (pool, first checkpoint)"),
                          ("resuming", "reconciling / first poll"),
                          ("recovered", "reconciling / first poll"),
                          ("found", "reconciling / first poll"),
                          ("proposal", "submitting (after a proposal)"),
                          ("submitted", "submitting / polling"),
                          ("result", "polling / ingesting"),
                          ("attempt", "polling / ingesting"),
                          ("threshold", "after start (pool, first checkpoint)")):
        if last.startswith(prefix):
            return phase
    return "polling / ingesting" if "failed for good" in last else "other: " + last[:40]


def count_events(stdout_path):
    with open(stdout_path) as f:
        for line in f:
            if line.startswith("submitted "):
                stats["submissions"] += 1
            elif line.startswith("found "):
                stats["found_by_name"] += 1
            elif line.startswith("recovered "):
                stats["recovered"] += 1


def check_step(camp, where):
    """The checks after every step (campaign_checks.check_progress). Returns the ledger, or None."""
    if not os.path.exists(camp.h5):
        stats["no_campaign_file"] += 1
    return check_progress(c, camp, truth, RETRIES, where, slurm_ids=True)


def finish_campaign(camp, slurm, where, inject=False):
    """A campaign that ended by itself: final state, results, optimiser, and exactly-once."""
    attrs, jobs, done, failed_for_good = check_finished(c, camp, where)
    current = {j["job_id"]: j for j in jobs}
    stats["jobs"] += len(jobs)
    stats["lost"] += sum(1 for j in jobs if j["reason"].startswith("lost"))
    if inject:
        victim = sorted(current)[0]
        dup = slurm.run(["sbatch", "--parsable", f"--job-name={camp.prefix}{victim}", "--output=/dev/null",
                         "--partition=debug", "--time=1", "--wrap", "true"])
        print(f"injected a duplicate submission of {victim}: sbatch exit {dup.returncode} "
              f"{dup.stdout.strip()} {dup.stderr.strip()}")
    records = slurm.records(camp.prefix)
    ids = check_exactly_once(c, records, camp.prefix, jobs, where)
    stats["slurm_jobs"] += sum(len(v) for v in ids.values())
    print(f"{where}: {len(jobs)} ledger rows, {len(ids)} Slurm job names, "
          f"{sum(len(v) for v in ids.values())} Slurm job ids, {len(done)} results, "
          f"{len(failed_for_good)} failed for good; {attrs['status']}")


def step(camp, slurm, delay):
    """Run or resume `camp`; SIGKILL it after `delay` s (None: wait for the end). Returns
    (killed, exit code, stdout path, stderr path)."""
    stats["steps"] += 1
    n = stats["steps"]
    command = "resume" if os.path.exists(camp.h5) else "run"
    out_path = os.path.join(work, f"step{n:04d}-{command}.stdout")
    err_path = os.path.join(work, f"step{n:04d}-{command}.stderr")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen([binary, command, camp.ini], stdout=out, stderr=err, env=ionscreen_env)
        try:
            rc = p.wait(timeout=delay if delay is not None else 600)
            killed = False
        except subprocess.TimeoutExpired:
            if delay is None:
                p.kill()
                p.wait()
                c.check(False, f"step {n} ({command}, no kill): still running after 600 s")
                return False, "timeout", out_path, err_path
            os.kill(p.pid, signal.SIGKILL)  # the driver only; its Slurm jobs run on
            rc = p.wait()
            killed = rc == -signal.SIGKILL
    count_events(out_path)
    if killed:
        stats["kills"] += 1
        phase = phase_of(out_path)
        phases[phase] = phases.get(phase, 0) + 1
    return killed, rc, out_path, err_path


delays = []
with LocalSlurm() as slurm:
    ionscreen_env = slurm.env
    if args.slow_sbatch > 0:
        bin_dir = os.path.join(work, "slow-bin")
        os.makedirs(bin_dir)
        real = shutil.which("sbatch", path=slurm.env.get("PATH"))
        with open(os.path.join(bin_dir, "sbatch"), "w") as f:
            f.write(f"#!/bin/sh\n# A busy controller: the request leaves {args.slow_sbatch} s late.\n"
                    f"sleep {args.slow_sbatch}\nexec {real} \"$@\"\n")
        os.chmod(os.path.join(bin_dir, "sbatch"), 0o755)
        ionscreen_env = dict(slurm.env, PATH=bin_dir + os.pathsep + slurm.env.get("PATH", ""))
        print(f"ionscreen's sbatch: {bin_dir}/sbatch, {args.slow_sbatch} s before {real}")
    camp = Campaign(1)
    try:
        while stats["kills"] < args.kills and not c.failures:
            delay = rng.uniform(0.0, 0.3) if rng.random() < 0.2 else rng.uniform(0.3, 3.0)
            delays.append(delay)
            killed, rc, out_path, err_path = step(camp, slurm, delay)
            where = f"step {stats['steps']} ({'killed' if killed else 'ended'} after {delay:.2f} s, campaign {camp.index})"
            if not killed and rc != 0:
                c.check(False, f"{where}: exit {rc}, expected 0")
                show_step(where, out_path, err_path)
                break
            check_step(camp, where)
            if c.failures:
                show_step(where, out_path, err_path)
                break
            if not killed:
                stats["natural_ends"] += 1
                finish_campaign(camp, slurm, f"campaign {camp.index} ({camp.name})")
                camp = Campaign(camp.index + 1)
        if not c.failures:
            # The last campaign: resume without killing until it finishes.
            for attempt in range(3):
                killed, rc, out_path, err_path = step(camp, slurm, None)
                where = f"step {stats['steps']} (final resume of campaign {camp.index})"
                c.check(rc == 0, f"{where}: exit {rc}, expected 0")
                check_step(camp, where)
                if rc != 0 or c.failures:
                    show_step(where, out_path, err_path)
                    break
                attrs, _, _ = read_campaign(camp.h5)
                if str(attrs["status"]).startswith("finished"):
                    break
            if not c.failures:
                stats["natural_ends"] += 1
                finish_campaign(camp, slurm, f"campaign {camp.index} ({camp.name})",
                                inject=args.inject_duplicate)
    finally:
        left = slurm.cancel_prefix(f"ionscreen-{base_name}-")
        if left:
            print(f"cancelled {len(left)} Slurm jobs still queued or running: {left}")

elapsed = time.time() - t_all
span = f"{min(delays):.2f}-{max(delays):.2f} s" if delays else "none"
print(f"summary: {stats['kills']} kills (delays {span}, seed {args.seed}), "
      f"{stats['steps']} runs/resumes, {stats['campaigns']} campaign(s) of budget {args.budget}, "
      f"{stats['jobs']} jobs, {stats['slurm_jobs']} Slurm jobs ({stats['submissions']} submissions printed), "
      f"{stats['found_by_name']} found in Slurm by "
      f"name, {stats['recovered']} recovered from their directory, {stats['lost']} lost and retried, "
      f"{stats['no_campaign_file']} steps without a campaign file yet; {elapsed:.1f} s")
print("kills by phase (the killed driver's last line): " +
      ", ".join(f"{p} {n}" for p, n in sorted(phases.items(), key=lambda kv: -kv[1])))
c.done()
