#!/usr/bin/python3
"""Bad input to the campaign commands: clear errors (exit code 2, naming file, key and value),
and nothing half-written: the campaign file is byte-identical after every refused command. A
second ionscreen on a running campaign is refused with exit code 7 (a conflict, not bad input).

Usage: check_campaign_bad_input.py IONSCREEN WORKDIR
"""
import hashlib
import os
import shutil
import subprocess
import sys
import time

import h5py

from campaign_support import Checks, ionscreen, synthetic_table, write_ini

binary, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
c = Checks()
table = os.path.join(work, "table.csv")
synthetic_table(table)


def refused(args, *fragments, code=2):
    run = ionscreen(binary, *args)
    text = run.stderr
    c.check(run.returncode == code, f"{' '.join(args)}: exit {run.returncode}, expected {code}: {text.strip()}")
    for fragment in fragments:
        c.check(fragment in text, f"{' '.join(args)}: message lacks {fragment!r}: {text.strip()}")
    return text


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# Malformed INI, unknown keys (with a suggestion), wrong types, missing files.
bad = os.path.join(work, "malformed.ini")
with open(bad, "w") as f:
    f.write("[search]\nbatch 4\n")
refused(["run", bad], "malformed.ini:2")
typo = os.path.join(work, "typo.ini")
write_ini(typo, table, os.path.join(work, "typo"), {"search.budjet": "5"})
refused(["run", typo], "typo.ini", "budjet", "budget")
wrong = os.path.join(work, "wrong.ini")
write_ini(wrong, table, os.path.join(work, "wrong"), {"search.batch": "four"})
refused(["run", wrong], "wrong.ini", "batch", "four")
missing = os.path.join(work, "missing.ini")
write_ini(missing, os.path.join(work, "no-such-table.csv"), os.path.join(work, "missing"))
refused(["run", missing], "no-such-table.csv")
refused(["run", os.path.join(work, "absent.ini")], "absent.ini")
c.check(not os.path.exists(os.path.join(work, "typo")), "a refused run creates no campaign directory")

# A good campaign, then files that are foreign, truncated, damaged or from a newer schema.
good = os.path.join(work, "good.ini")
camp = os.path.join(work, "good")
write_ini(good, table, camp, {"search.budget": "6"})
ionscreen(binary, "run", good, check=0)
h5 = os.path.join(camp, "campaign.h5")
refused(["run", good], "already holds campaign", "resume")
refused(["resume", good, "--set", "campaign.seed=99"], "campaign.seed", "'3' -> '99'")
refused(["resume", os.path.join(work, "typo.ini")], "budjet")
fresh = os.path.join(work, "fresh.ini")
write_ini(fresh, table, os.path.join(work, "fresh"))
refused(["resume", fresh], "holds no campaign yet", "ionscreen run")
refused(["run", fresh, "--set", "search.batchsize=2"], "batchsize", "batch")
refused(["run", fresh, "--set", "search.batch"], "search.batch")
c.check(not os.path.exists(os.path.join(work, "fresh")), "a refused run creates no campaign directory")

before = digest(h5)
shutil.copy(h5, h5 + ".good")
with open(h5, "r+b") as f:
    f.truncate(os.path.getsize(h5) // 2)
truncated = digest(h5)
refused(["resume", good], "campaign.h5", "campaign.h5.prev")
refused(["status", camp], "campaign.h5")
c.check(digest(h5) == truncated, "a truncated campaign file is left as it was (nothing written)")
c.check(os.path.exists(h5 + ".prev"), "the previous checkpoint is kept")

shutil.copy(h5 + ".good", h5)
with h5py.File(h5, "r+") as f:
    f.attrs["schema_version"] = 99
newer = digest(h5)
refused(["resume", good], "schema version 99", "newer")
c.check(digest(h5) == newer, "a newer-schema file is left as it was")

with h5py.File(h5, "w") as f:
    f["x"] = [1, 2, 3]
refused(["resume", good], "not an ionscreen campaign")
with open(h5, "w") as f:
    f.write("not HDF5 at all\n")
refused(["status", h5], "campaign.h5")
shutil.copy(h5 + ".good", h5)
c.check(digest(h5) == before, "restored")
ionscreen(binary, "status", camp, check=0)
refused(["export", camp, "--table", "everything"], "everything", "results, jobs or decisions")
refused(["frobnicate"], "unknown command")

# Another ionscreen running the campaign is not bad input: exit 7 (conflict), naming its pid, and
# the running campaign goes on untouched.
busy = os.path.join(work, "busy.ini")
write_ini(busy, table, os.path.join(work, "busy"),
          {"engine.faults": "slow=1", "search.budget": "12", "jobs.max_in_flight": "1",
           "search.batch": "1"})
first = subprocess.Popen([binary, "run", busy], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
busy_h5 = os.path.join(work, "busy", "campaign.h5")
deadline = time.time() + 60
while not os.path.exists(busy_h5) and time.time() < deadline and first.poll() is None:
    time.sleep(0.05)
c.check(first.poll() is None, "the first run is still running when the second starts")
text = refused(["resume", busy], "another ionscreen", f"(pid {first.pid})", code=7)
c.check("is running this campaign" in text, f"the conflict says what holds the campaign: {text}")
c.check(first.wait(timeout=120) == 0, f"the first run finished normally: {first.stderr.read()}")
ionscreen(binary, "status", os.path.join(work, "busy"), check=0)
c.done()
