#!/usr/bin/python3
"""An uninterrupted table-engine campaign end to end through the real Slurm of
cluster/slurm/local-slurm.sh (shared with the other tests as cluster/slurm/README.md describes),
with the site profile cluster/slurm/profiles/local.ini.

Usage: check_campaign_slurm.py IONSCREEN WORKDIR

Checks:
  - `ionscreen status` while the campaign runs prints a "jobs:" line, and at least one snapshot
    shows jobs that Slurm has queued or running (submitted/queued, submitted/running);
  - the campaign finishes (exit 0); `ionscreen status` afterwards reports "finished";
  - every ledger row is done with the table's E_b and has a numeric Slurm job id, all distinct;
    each job directory holds the batch script slurm.sh that ran the table wrapper;
  - Slurm's own records (sacct -c, squeue -t all) have exactly one job per ledger row, under the
    name ionscreen-<campaign>-<job id> and the ledger's id, COMPLETED.
More jobs are allowed in flight than the node has CPUs, and every job sleeps 0.5 s ([engine]
faults = slow=1), so that some wait for a free CPU: the pending reasons seen in the status
snapshots (Slurm's "Resources", "Priority", ...) are printed as information, not asserted (they
depend on the timing of Slurm's scheduling cycle).
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from campaign_checks import (LOCAL_PROFILE, LocalSlurm, check_exactly_once, check_ledger,  # noqa: E402
                             job_name_prefix, read_campaign, show_step, valid_result)
from campaign_support import Checks, ledger, synthetic_table, write_ini  # noqa: E402

binary, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
t_all = time.time()
table = os.path.join(work, "table.csv")
truth = synthetic_table(table, rows=60)
name = f"slurm-p{os.getpid()}"
camp = os.path.join(work, "campaign")
BUDGET = 24

with LocalSlurm() as slurm:
    try:
        sinfo = slurm.run(["sinfo", "-h", "-N", "-o", "%c"])
        cpus = int(sinfo.stdout.split()[0]) if sinfo.returncode == 0 and sinfo.stdout.split() else 8
        in_flight = cpus + 4
        ini = os.path.join(work, "slurm.ini")
        write_ini(ini, table, camp, {
            "campaign.name": name,
            "search.batch": str(in_flight // 2),
            "search.initial": "4",
            "search.budget": str(BUDGET),
            "engine.faults": "slow=1",
            "jobs.backend": "slurm",
            "jobs.slurm_profile": LOCAL_PROFILE,
            "jobs.max_in_flight": str(in_flight),
            "jobs.poll": "0.2s",
            "jobs.time_limit": "5m",
        })
        print(f"node: {cpus} CPUs; max_in_flight {in_flight}, batch {in_flight // 2}, budget {BUDGET}")

        out_path, err_path = os.path.join(work, "run.stdout"), os.path.join(work, "run.stderr")
        snapshots = []
        t0 = time.time()
        with open(out_path, "w") as out, open(err_path, "w") as err:
            p = subprocess.Popen([binary, "run", ini], stdout=out, stderr=err, env=slurm.env)
            while p.poll() is None and time.time() - t0 < 300:
                if os.path.exists(os.path.join(camp, "campaign.h5")):
                    st = subprocess.run([binary, "status", camp], capture_output=True, text=True)
                    if p.poll() is None:  # taken while the campaign was still running
                        snapshots.append((time.time() - t0, st.returncode, st.stdout, st.stderr))
                time.sleep(0.25)
            if p.poll() is None:
                p.kill()
            rc = p.wait()
        t_run = time.time() - t0
        c.check(rc == 0, f"ionscreen run: exit {rc}, expected 0")
        if rc != 0:
            show_step("ionscreen run", out_path, err_path)

        # --- status while running ---------------------------------------------------------------
        c.check(len(snapshots) >= 1, "ionscreen status was called at least once while the campaign ran")
        job_lines, reasons = [], {}
        for at, code, text, errtext in snapshots:
            c.check(code == 0, f"status at {at:.1f} s: exit {code}: {errtext.strip()}")
            lines = text.splitlines()
            jobs_line = next((l for l in lines if l.startswith("jobs:")), None)
            c.check(jobs_line is not None, f"status at {at:.1f} s has no 'jobs:' line:\n{text}")
            if jobs_line:
                job_lines.append(jobs_line)
            for l in lines:
                if l.startswith("pending reasons:"):
                    for part in l[len("pending reasons:"):].split("  "):
                        if part.strip():
                            reason = part.strip().rsplit(" (", 1)[0]
                            reasons[reason] = reasons.get(reason, 0) + 1
            c.check(any(l.startswith(("status: running", "status: finished")) for l in lines),
                    f"status at {at:.1f} s while running: {lines[:2]}")
        in_slurm = [l for l in job_lines if "submitted/queued" in l or "submitted/running" in l]
        c.check(bool(in_slurm), f"no status snapshot showed jobs queued or running in Slurm: {job_lines}")
        print(f"{len(snapshots)} status snapshots while running, {len(in_slurm)} with jobs queued/running "
              f"in Slurm; e.g. {in_slurm[len(in_slurm) // 2] if in_slurm else '-'}")
        print("pending reasons seen (information): "
              + (", ".join(f"{r} in {n} snapshot(s)" for r, n in sorted(reasons.items())) or "none")
              + ("; 'Resources' seen: jobs waited for a free CPU" if "Resources" in reasons
                 else "; 'Resources' not seen in this run"))

        # --- the finished campaign --------------------------------------------------------------
        h5 = os.path.join(camp, "campaign.h5")
        attrs, names, opt = read_campaign(h5)
        jobs = ledger(h5)
        c.check(str(attrs["status"]).startswith(f"finished: evaluation budget of {BUDGET}"),
                f"status attribute {attrs['status']!r}")
        check_ledger(c, jobs, names, truth, 2)
        c.check(len(jobs) == BUDGET and all(j["state"] == "done" for j in jobs),
                f"{BUDGET} jobs, all done: {[(j['job_id'], j['state'], j['reason']) for j in jobs if j['state'] != 'done']}")
        ids = [j["scheduler_id"] for j in jobs]
        c.check(all(i.isdigit() for i in ids), f"Slurm numeric job ids in the ledger: {ids}")
        c.check(len(set(ids)) == len(ids), f"distinct Slurm job ids: {ids}")
        for j in jobs:
            d = os.path.join(camp, j["directory"])
            c.check(valid_result(d) == truth[names[j["candidate"]]], f"{j['job_id']}: result.json")
            try:
                with open(os.path.join(d, "slurm.sh")) as f:
                    script = f.read()
            except OSError as e:
                script = str(e)
            c.check("table.sh" in script and d in script, f"{j['job_id']}: slurm.sh runs the table wrapper: {script}")
        status = subprocess.run([binary, "status", camp], capture_output=True, text=True)
        c.check(status.returncode == 0 and "status: finished" in status.stdout,
                f"status after the end reports finished: {status.stdout}{status.stderr}")

        prefix = job_name_prefix(os.path.join(camp, "campaign.h5"))
        records = slurm.records(prefix)
        check_exactly_once(c, records, prefix, jobs)
        states = {}
        for job, job_name, state, source in records:
            if source == "sacct -c":
                states.setdefault(state, []).append(job)
        c.check(set(states) == {"COMPLETED"} and len(states["COMPLETED"]) == len(jobs),
                f"sacct -c: every job COMPLETED once: {states}")
        print(f"campaign of {len(jobs)} Slurm jobs ({min(ids, key=int)}..{max(ids, key=int)}) in {t_run:.1f} s; "
              f"test {time.time() - t_all:.1f} s")
        if c.failures:
            show_step("ionscreen run", out_path, err_path, lines=60)
    finally:
        left = slurm.cancel_prefix(f"ionscreen-{name}-")
        if left:
            print(f"cancelled {len(left)} Slurm jobs still queued or running: {left}")
c.done()
