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

from campaign_support import Checks, ionscreen, ledger, synthetic_table, write_ini

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


def reseal(path):
    """Rewrites the checksum block (docs/campaign_file.md, "Checksum") after a change on purpose."""
    with open(path, "rb") as f:
        body = f.read()[512:]
    h = 1469598103934665603
    for byte in body:
        h = ((h ^ byte) * 1099511628211) % 2**64
    block = f"ionscreen-hdf5 checksum 1\nfnv1a64 {h:016x}\nbytes {len(body)}\n".encode()
    with open(path, "wb") as f:
        f.write(block.ljust(512, b"\0") + body)


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
# Review findings D2, D3: a renamed campaign (job names carry the name) and another BVSE grid.
refused(["resume", good, "--set", "campaign.name=renamed"], "campaign.name", "'good' -> 'renamed'")
refused(["resume", good, "--set", "engine.grid_spacing=0.5"], "engine.grid_spacing")
other = os.path.join(work, "other.ini")
write_ini(other, table, camp, {"campaign.name": "other"})
text = refused(["run", other], "already holds campaign 'good'", "names ('other')")
c.check("resume " + other not in text, f"no advice to resume with the other campaign's file: {text}")
refused(["resume", os.path.join(work, "typo.ini")], "budjet")
fresh = os.path.join(work, "fresh.ini")
write_ini(fresh, table, os.path.join(work, "fresh"))
refused(["resume", fresh], "holds no campaign yet", "ionscreen run")
refused(["run", fresh, "--set", "search.batchsize=2"], "batchsize", "batch")
refused(["run", fresh, "--set", "search.batch"], "search.batch")
# Review finding D15: a line break in the directory was refused only after the directory was made.
broken = os.path.join(work, "line\nbreak")
refused(["run", fresh, "--set", "campaign.directory=" + broken], "cannot be written to an INI file")
c.check(not os.path.exists(broken) and not os.path.exists(os.path.join(work, "line")),
        "a directory with a line break is refused before it is created")
c.check(not os.path.exists(os.path.join(work, "fresh")), "a refused run creates no campaign directory")
# Review finding D15: export of a directory that does not exist says so (it blamed candidates.h5).
refused(["export", os.path.join(work, "nowhere")], "nowhere: no such campaign")

before = digest(h5)
shutil.copy(h5, h5 + ".good")
with open(h5, "r+b") as f:
    f.truncate(os.path.getsize(h5) // 2)
truncated = digest(h5)
# A damaged campaign.h5 (its checksum fails): status reads the previous checkpoint and says so,
# changing nothing; resume goes on from it and keeps the damaged file aside (review D6, D7).
seen = ionscreen(binary, "status", camp, check=0)
c.check("checksum" in seen.stderr and "campaign.h5.prev" in seen.stderr,
        f"status says the file is damaged and what it shows instead: {seen.stderr}")
c.check(digest(h5) == truncated, "status leaves a damaged campaign file as it was")
resumed = ionscreen(binary, "resume", good, check=0)
c.check("Going on from the previous checkpoint" in resumed.stdout,
        f"resume says it goes on from the previous checkpoint: {resumed.stdout}")
c.check(os.path.exists(h5 + ".damaged") and digest(h5 + ".damaged") == truncated,
        "the damaged file is kept, unchanged, as campaign.h5.damaged")
c.check(os.path.exists(h5) and os.path.exists(h5 + ".prev"), "a new checkpoint and its previous")
os.remove(h5 + ".damaged")

shutil.copy(h5 + ".good", h5)
with h5py.File(h5, "r+") as f:  # h5py keeps the checksum block, which now fails:
    f.attrs["schema_version"] = 99
reseal(h5)  # as if a newer ionscreen had written it
newer = digest(h5)
refused(["resume", good], "schema version 99", "newer")
c.check(digest(h5) == newer, "a newer-schema file is left as it was")

with h5py.File(h5, "w", userblock_size=512) as f:
    f["x"] = [1, 2, 3]
reseal(h5)  # an intact ionscreen HDF5 file that is not a campaign
refused(["resume", good], "not an ionscreen campaign")
with open(h5, "w") as f:
    f.write("not HDF5 at all\n")
seen = ionscreen(binary, "status", h5, check=0)  # the previous checkpoint stands in
c.check("not an HDF5 file" in seen.stderr and "Showing the previous checkpoint" in seen.stderr,
        f"status names the damage and what it shows instead: {seen.stderr}")
os.remove(h5 + ".prev")
refused(["status", h5], "campaign.h5", "no previous checkpoint")
shutil.copy(h5 + ".good", h5)
c.check(digest(h5) == before, "restored")

# A damaged candidates.h5 (written once, so no previous copy): status refuses it, changing
# nothing; resume keeps it aside as candidates.h5.damaged, builds the pool again from the
# settings and goes on, since the rebuilt pool's fingerprint is the one the campaign recorded.
pool_h5 = os.path.join(camp, "candidates.h5")
with open(pool_h5, "r+b") as f:
    f.seek(os.path.getsize(pool_h5) - 100)
    f.write(b"\xff")
damaged_pool = digest(pool_h5)
refused(["status", camp], "candidates.h5", "damaged", "ionscreen resume")
c.check(digest(pool_h5) == damaged_pool and digest(h5) == before,
        "a refused status changes neither file")
resumed = ionscreen(binary, "resume", good, "--set", "search.budget=8", check=0)
c.check(resumed.returncode == 0 and "Building the candidate pool again" in resumed.stdout,
        f"resume rebuilds a damaged pool: exit {resumed.returncode}: {resumed.stdout[-300:]}"
        f"{resumed.stderr[-300:]}")
c.check(digest(pool_h5 + ".damaged") == damaged_pool, "the damaged pool is kept, unchanged")
c.check(len([r for r in ledger(h5) if r["state"] == "done"]) == 8, "the resumed campaign went on")
before = digest(h5)
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
