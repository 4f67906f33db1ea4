#!/usr/bin/python3
"""A full disk in the middle of a campaign: the run ends with exit code 6 (an I/O failure) and the
system's words, never by a signal; the last checkpoint reads (h5py); no temporary file is left;
and once there is room again, `resume` finishes with every result kept (review finding D4: the
right message, then SIGSEGV in HDF5's exit handler).

Usage: check_campaign_disk_full.py IONSCREEN WORKDIR [--fillers KB,KB,...]

Two ways to fill the disk:
- a file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored, so write() fails with EFBIG) for the
  campaign's processes: needs no privileges, always run;
- a small tmpfs, filled up to a few sizes (--fillers, KiB of a 2 MiB tmpfs), where write() fails
  with ENOSPC as on a real full disk: needs root (mount); skipped with a note otherwise.
"""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys

import h5py

from campaign_support import Checks, ledger, synthetic_table, write_ini

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("work")
parser.add_argument("--fillers", default="1800,1600,1500,1400")
args = parser.parse_args()
binary, work = args.binary, args.work
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
table = os.path.join(work, "table.csv")
truth = synthetic_table(table, rows=400, seed=5)


def run(ini, command="run", limit=None):
    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([binary, command, ini], capture_output=True, text=True, timeout=600,
                          preexec_fn=limited if limit else None)


def check_full(name, directory, full_run, ini):
    """What must hold after `full_run` ran out of space, and after resuming `ini` with room again."""
    h5 = os.path.join(directory, "campaign.h5")
    c.check(full_run.returncode == 6,
            f"{name}: exit {full_run.returncode}, expected 6 (I/O): {full_run.stderr[-400:]}")
    c.check("I/O error" in full_run.stderr and ("No space left" in full_run.stderr or
                                                "File too large" in full_run.stderr),
            f"{name}: the message gives the system's words: {full_run.stderr[-400:]}")
    c.check(not os.path.exists(h5 + ".tmp"), f"{name}: no temporary file left")
    if os.path.exists(h5):
        with h5py.File(h5, "r") as f:
            c.check(f.attrs["format"] == "ionscreen campaign", f"{name}: the last checkpoint reads")
        before = {r["job_id"]: r["e_b"] for r in ledger(h5) if r["state"] == "done"}
    else:
        before = {}
    resume = run(ini, "resume")
    c.check(resume.returncode == 0, f"{name}: resume exit {resume.returncode}: {resume.stderr}")
    after = {r["job_id"]: r["e_b"] for r in ledger(h5)}
    lost = [j for j, e in before.items() if after.get(j) != e]
    c.check(not lost, f"{name}: results lost or changed after the resume: {lost}")
    done = [r for r in ledger(h5) if r["state"] == "done"]
    given_up = {r["candidate"] for r in ledger(h5)} - {r["candidate"] for r in done}
    c.check(len(done) == 60 and not given_up,
            f"{name}: {len(done)} results after the resume, candidates given up: {given_up}: "
            f"{[(r['job_id'], r['state'], r['reason']) for r in ledger(h5) if r['state'] != 'done']}")
    wrong = [r["job_id"] for r in done if abs(r["e_b"] - truth[f"LiC{r['candidate']:03d}"]) > 1e-12]
    c.check(not wrong, f"{name}: barriers that are not the table's: {wrong}")
    print(f"{name}: exit {full_run.returncode}, {len(before)} results before, {len(done)} after")


settings = {"search.budget": "60", "search.batch": "4", "jobs.max_in_flight": "4",
            "jobs.poll": "0.01s"}

# 1. A file size limit: the size of the finished campaign's file, less a quarter, so that a
#    checkpoint in the middle of the run is the first write that fails.
reference = os.path.join(work, "reference.ini")
write_ini(reference, table, os.path.join(work, "reference"), settings)
c.check(run(reference).returncode == 0, "the reference campaign runs")
size = os.path.getsize(os.path.join(work, "reference", "campaign.h5"))
limited = os.path.join(work, "limited.ini")
write_ini(limited, table, os.path.join(work, "limited"), settings)
first = run(limited, limit=size * 3 // 4)
check_full("file size limit", os.path.join(work, "limited"), first, limited)

# 2. A real full disk: a 2 MiB tmpfs with a filler file, freed before the resume.
mount = os.path.join(work, "tmpfs")
os.makedirs(mount)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount],
                  capture_output=True).returncode != 0:
    print("note: cannot mount a tmpfs here (not root?): the ENOSPC cases are skipped")
else:
    try:
        for kib in [int(k) for k in args.fillers.split(",")]:
            directory = os.path.join(mount, f"camp{kib}")
            ini = os.path.join(work, f"tmpfs{kib}.ini")
            write_ini(ini, table, directory, settings)
            filler = os.path.join(mount, "filler")
            with open(filler, "wb") as f:
                f.write(b"\0" * kib * 1024)
            full = run(ini)
            os.remove(filler)
            if full.returncode == 0:
                print(f"tmpfs {kib} KiB: the campaign fitted; nothing to check")
                continue
            check_full(f"tmpfs with {kib} KiB used", directory, full, ini)
            shutil.rmtree(directory)
    finally:
        subprocess.run(["umount", mount])
c.done()
