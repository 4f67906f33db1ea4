"""Helpers shared by the fault, chaos and Slurm campaign tests (check_campaign_faults.py,
check_campaign_chaos.py, check_campaign_slurm.py): the table engine's fault draw re-implemented
from its documentation, the optimiser state's candidate lists, result.json validity, ledger
invariants, and the shared single-node Slurm of cluster/slurm/local-slurm.sh with its job records.
"""
import fcntl
import json
import math
import os
import re
import subprocess
import sys

import h5py

from campaign_support import ledger

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOCAL_SLURM = os.path.join(ROOT, "cluster", "slurm", "local-slurm.sh")
LOCAL_PROFILE = os.path.join(ROOT, "cluster", "slurm", "profiles", "local.ini")

JOB_ID = re.compile(r"^c(\d{7})-a(\d{2})$")

# ------------------------------------------------------------------------------ fault injection
# pipeline/jobs/faults.hpp, docs/job_protocol.md "Fault injection": u in [0, 1) from a hash of
# (seed, job_id): splitmix64's finaliser folded over the seed, each byte of the job id and its
# length; the top 53 bits scaled to [0, 1). The intervals fail, hang, garbage, slow follow in
# that order from 0; the rest runs normally.
_MASK = (1 << 64) - 1
FAULT_KINDS = ("fail", "hang", "garbage", "slow")


def _mix(x):
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def fault_draw(seed, job_id):
    h = _mix(seed & _MASK)
    data = job_id.encode()
    for byte in data:
        h = _mix(h ^ byte)
    h = _mix(h ^ len(data))
    return (h >> 11) * 2.0**-53


def parse_faults(spec):
    rates = dict.fromkeys(FAULT_KINDS, 0.0)
    for entry in filter(None, spec.split(",")):
        kind, rate = entry.split("=")
        rates[kind] = float(rate)
    return rates


def choose_fault(rates, draw):
    edge = 0.0
    for kind in FAULT_KINDS:
        edge += rates[kind]
        if draw < edge:
            return kind
    return "none"


def garbage_variant(rates, draw):
    """0: cut-off JSON, 1: "E_b": "nan", 2: "E_b": "<value> eV"."""
    within = (draw - rates["fail"] - rates["hang"]) / rates["garbage"]
    return min(2, max(0, int(within * 3.0)))


def predicted_fault(rates, seed, job_id):
    return choose_fault(rates, fault_draw(seed, job_id))


def job_id(candidate, attempt):
    return f"c{candidate:07d}-a{attempt:02d}"


# ------------------------------------------------------------------------------ campaign files
def optimizer_lists(state_text):
    """{'observations': {id: y}, 'pending': [ids], 'failed': [ids]} from gp::to_text."""
    lines = state_text.splitlines()
    out = {"observations": {}, "pending": [], "failed": []}
    i = 0
    while i < len(lines):
        words = lines[i].split()
        if len(words) == 2 and words[0] in out:
            n = int(words[1])
            body = lines[i + 1 : i + 1 + n]
            if words[0] == "observations":
                out["observations"] = {int(b.split()[0]): float(b.split()[1]) for b in body}
            else:
                out[words[0]] = [int(b) for b in body]
            i += n
        i += 1
    return out


def read_campaign(campaign_h5):
    """(root attributes, candidate names, optimiser lists) of a campaign file."""
    with h5py.File(campaign_h5, "r") as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        names = [n.decode() for n in f["candidates/name"][()]]
        state = f["optimizer/state"][0]
        state = state.decode() if isinstance(state, bytes) else state
    return attrs, names, optimizer_lists(state)


def valid_result(job_dir):
    """E_b of a usable result.json (a JSON object naming this job, E_b a finite number), else None."""
    path = os.path.join(job_dir, "result.json")
    try:
        with open(path) as f:
            result = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(result, dict) or result.get("job_id") != os.path.basename(job_dir):
        return None
    e_b = result.get("E_b")
    if isinstance(e_b, bool) or not isinstance(e_b, (int, float)) or not math.isfinite(e_b):
        return None
    return float(e_b)


def check_ledger(c, jobs, names, truth, retries, where=""):
    """Invariants every checkpoint must satisfy: unique job ids, each (candidate, attempt) once,
    ids, directories and attempts consistent, every done E_b equal to the table's value, attempts
    1..k without gaps and at most 1 + retries, an attempt > 1 only after a failed one."""
    tag = f"{where}: " if where else ""
    ids = [j["job_id"] for j in jobs]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    c.check(not dup, f"{tag}job ids recorded more than once: {dup}")
    pairs = [(j["candidate"], j["attempt"]) for j in jobs]
    c.check(len(pairs) == len(set(pairs)), f"{tag}a (candidate, attempt) recorded more than once")
    by_candidate = {}
    for j in jobs:
        m = JOB_ID.match(j["job_id"])
        c.check(m is not None and (int(m.group(1)), int(m.group(2))) == (j["candidate"], j["attempt"]),
                f"{tag}job id {j['job_id']} does not name candidate {j['candidate']} attempt {j['attempt']}")
        c.check(j["directory"] == "jobs/" + j["job_id"], f"{tag}{j['job_id']}: directory {j['directory']}")
        c.check(j["state"] in ("planned", "submitted", "done", "failed"), f"{tag}{j['job_id']}: state {j['state']!r}")
        if j["state"] == "done":
            name = names[j["candidate"]]
            c.check(j["e_b"] == truth[name],
                    f"{tag}{j['job_id']} {name}: recorded E_b {j['e_b']!r} != table {truth[name]!r}")
        if j["state"] == "failed":
            c.check(bool(j["reason"].strip()), f"{tag}{j['job_id']}: failed without a reason")
        by_candidate.setdefault(j["candidate"], []).append(j)
    for candidate, rows in by_candidate.items():
        attempts = [r["attempt"] for r in rows]
        c.check(sorted(attempts) == list(range(1, len(attempts) + 1)),
                f"{tag}candidate {candidate}: attempts {attempts} are not 1..{len(attempts)}")
        c.check(len(attempts) <= 1 + retries,
                f"{tag}candidate {candidate}: {len(attempts)} attempts, more than 1 + retries = {1 + retries}")
        rows = sorted(rows, key=lambda r: r["attempt"])
        for earlier in rows[:-1]:
            c.check(earlier["state"] == "failed",
                    f"{tag}{earlier['job_id']} is {earlier['state']} but attempt {earlier['attempt'] + 1} follows")
    return by_candidate

# ------------------------------------------------------------------------------ killed campaigns
RANK = {"planned": 0, "submitted": 1, "done": 2, "failed": 2}


def check_progress(c, camp, truth, retries, where, slurm_ids=False):
    """The checks after a kill and a resume, against what earlier steps saw. `camp` has h5, dir,
    previous (job id -> ledger row at the previous step) and results (job id -> E_b of every
    valid result.json seen); both are updated. Returns the ledger, or None without a file.
      - campaign.h5 opens with h5py and its ledger is consistent (check_ledger);
      - nothing went backwards: every row is still there, no state regressed (planned <
        submitted < done | failed), done E_b unchanged, a recorded scheduler id never forgotten;
      - no result lost: every job directory holding a valid result.json whose job is done has
        the same E_b, no job with a valid result.json is recorded as failed, and every job
        directory belongs to a ledger row."""
    if not os.path.exists(camp.h5):
        c.check(not camp.previous, f"{where}: campaign.h5 vanished after it had existed")
        return None
    try:
        _, names, _ = read_campaign(camp.h5)
        jobs = ledger(camp.h5)
    except Exception as e:  # noqa: BLE001 - any failure to read is the finding
        c.check(False, f"{where}: campaign.h5 does not open with h5py: {e!r}")
        return None
    check_ledger(c, jobs, names, truth, retries, where)
    current = {j["job_id"]: j for j in jobs}
    for job_id, before in camp.previous.items():
        now = current.get(job_id)
        if now is None:
            c.check(False, f"{where}: ledger row {job_id} ({before['state']}) disappeared")
            continue
        c.check(RANK[now["state"]] >= RANK[before["state"]] and
                not (before["state"] in ("done", "failed") and now["state"] != before["state"]),
                f"{where}: {job_id} went from {before['state']} back to {now['state']}")
        if before["state"] == "done":
            c.check(now["e_b"] == before["e_b"], f"{where}: {job_id} E_b changed {before['e_b']} -> {now['e_b']}")
        if before["scheduler_id"]:
            c.check(bool(now["scheduler_id"]), f"{where}: {job_id} forgot its scheduler id {before['scheduler_id']}")
    for j in jobs:
        if slurm_ids and j["state"] in ("submitted", "done", "failed") and j["scheduler_id"]:
            c.check(j["scheduler_id"].isdigit(), f"{where}: {j['job_id']}: scheduler id {j['scheduler_id']!r} "
                    "is not a Slurm job id")
    jobs_dir = os.path.join(camp.dir, "jobs")
    for entry in sorted(os.listdir(jobs_dir)) if os.path.isdir(jobs_dir) else []:
        c.check(entry in current, f"{where}: job directory jobs/{entry} has no ledger row")
        e_b = valid_result(os.path.join(jobs_dir, entry))
        if e_b is None:
            continue
        if entry in camp.results:
            c.check(camp.results[entry] == e_b, f"{where}: jobs/{entry}/result.json changed its E_b")
        camp.results[entry] = e_b
        row = current.get(entry)
        if row is not None and row["state"] == "done":
            c.check(row["e_b"] == e_b, f"{where}: {entry} done with E_b {row['e_b']}, result.json says {e_b}")
        if row is not None and row["state"] == "failed":
            c.check(False, f"{where}: result lost: {entry} is recorded failed ({row['reason']!r}) but its "
                    f"result.json holds E_b {e_b}")
    camp.previous = current
    return jobs


def check_finished(c, camp, where):
    """A campaign that ended by itself: finished status, no row in flight, every valid result.json
    ever seen recorded as done with its E_b, the optimiser's observations and failures exactly the
    ledger's. Returns (root attributes, ledger, {candidate: E_b}, candidates failed for good)."""
    attrs, _, opt = read_campaign(camp.h5)
    jobs = ledger(camp.h5)
    c.check(str(attrs["status"]).startswith("finished"), f"{where}: status {attrs['status']!r}")
    unfinished = [j["job_id"] for j in jobs if j["state"] not in ("done", "failed")]
    c.check(not unfinished, f"{where}: rows not done or failed in a finished campaign: {unfinished}")
    current = {j["job_id"]: j for j in jobs}
    for job_id, e_b in sorted(camp.results.items()):
        row = current.get(job_id)
        c.check(row is not None and row["state"] == "done" and row["e_b"] == e_b,
                f"{where}: {job_id} has a valid result.json (E_b {e_b}) but is "
                f"{row['state'] if row else 'not in the ledger'}")
    done = {j["candidate"]: j["e_b"] for j in jobs if j["state"] == "done"}
    last = {}
    for j in sorted(jobs, key=lambda j: j["attempt"]):
        last[j["candidate"]] = j
    failed_for_good = sorted(k for k, j in last.items() if j["state"] == "failed")
    c.check(opt["observations"] == done, f"{where}: optimizer observations differ from the done rows")
    c.check(sorted(opt["failed"]) == failed_for_good,
            f"{where}: optimizer failed {sorted(opt['failed'])} != {failed_for_good}")
    return attrs, jobs, done, failed_for_good


# ------------------------------------------------------------------------------ processes
def job_name_prefix(campaign_h5):
    """"ionscreen-<name>-<instance>-": what every Slurm job name of this campaign starts with."""
    with h5py.File(campaign_h5, "r") as f:
        return f"ionscreen-{f.attrs['name']}-{f.attrs['instance']}-"


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})\n"


def show_step(title, stdout_path, stderr_path, lines=40):
    """Print the end of a step's output (for diagnostics of a failing step)."""
    sys.stdout.write(f"--- {title}: last lines of stdout\n{tail(stdout_path, lines)}")
    sys.stdout.write(f"--- {title}: last lines of stderr\n{tail(stderr_path, lines)}")
    sys.stdout.flush()


# ------------------------------------------------------------------------------ Slurm
class LocalSlurm:
    """The shared single-node Slurm (cluster/slurm/local-slurm.sh), used with the protocol of
    cluster/slurm/README.md "Sharing it between tests": a shared flock on
    $IONSCREEN_SLURM_DIR/users.lock while in use; a user that had to start the cluster leaves the
    marker started-by-test; on exit, whoever takes the lock exclusively (the last user out) stops
    the cluster if the marker is there. A cluster started by hand is left running.

    Use as a context manager; `env` is os.environ plus SLURM_CONF (from `start`'s export line)."""

    def __init__(self, wait_seconds=120):
        self.dir = os.environ.get("IONSCREEN_SLURM_DIR", "/tmp/ionscreen-slurm")
        self.wait_seconds = wait_seconds
        self.lock_file = None
        self.env = None
        self.started_here = False

    def __enter__(self):
        if os.geteuid() != 0:
            raise RuntimeError("needs root (the test Slurm's daemons run as root)")
        for prog in ("sbatch", "squeue", "sacct", "scancel", "slurmctld", "slurmd", "munged"):
            if subprocess.run(["sh", "-c", f"command -v {prog}"], capture_output=True).returncode:
                raise RuntimeError(f"{prog} not found; install: apt-get install --no-install-recommends "
                                   "slurm-wlm munge")
        os.makedirs(self.dir, exist_ok=True)
        env = dict(os.environ, IONSCREEN_SLURM_DIR=self.dir)
        # Python opens files close-on-exec: neither the daemons nor ionscreen inherit the lock.
        self.lock_file = open(os.path.join(self.dir, "users.lock"), "a")
        fcntl.flock(self.lock_file, fcntl.LOCK_SH)
        status = subprocess.run(["bash", LOCAL_SLURM, "status"], capture_output=True, text=True, env=env)
        if status.returncode != 0:
            open(os.path.join(self.dir, "started-by-test"), "w").close()
            self.started_here = True
        start = subprocess.run(["bash", LOCAL_SLURM, "start"], capture_output=True, text=True, env=env,
                               timeout=self.wait_seconds + 60)
        if start.returncode != 0:
            self._release()
            raise RuntimeError(f"local-slurm.sh start failed (exit {start.returncode}):\n{start.stderr}")
        m = re.search(r"^export SLURM_CONF=(\S+)$", start.stdout, re.M)
        if not m:
            self._release()
            raise RuntimeError(f"local-slurm.sh start printed no export line:\n{start.stdout}{start.stderr}")
        conf = m.group(1)
        if conf.startswith("'") and conf.endswith("'"):
            conf = conf[1:-1]
        if not os.path.isfile(conf):
            self._release()
            raise RuntimeError(f"SLURM_CONF={conf} is not a file")
        self.env = dict(env, SLURM_CONF=conf)
        print(f"Slurm: {'started' if self.started_here else 'using the running cluster'}; "
              f"SLURM_CONF={conf} ({start.stderr.strip().splitlines()[-1] if start.stderr.strip() else ''})")
        return self

    def _release(self):
        if self.lock_file is None:
            return
        marker = os.path.join(self.dir, "started-by-test")
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            last = True
        except OSError:
            last = False
        if last and os.path.exists(marker):
            stop = subprocess.run(["bash", LOCAL_SLURM, "stop"], capture_output=True, text=True,
                                  env=dict(os.environ, IONSCREEN_SLURM_DIR=self.dir))
            print(f"Slurm: stopped (last user out): {stop.stderr.strip()}")
            os.remove(marker)
        else:
            print("Slurm: leaving the cluster running (in use, or not started by a test)")
        self.lock_file.close()
        self.lock_file = None

    def __exit__(self, *exc):
        self._release()
        return False

    def run(self, argv, timeout=60):
        return subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=timeout)

    def records(self, prefix):
        """Every record Slurm holds of jobs whose name starts with `prefix`: the job completion
        log (`sacct -c`, all records since 2000; `--name` does not filter there) and the
        controller's queue (`squeue -t all`, which also lists jobs ended within MinJobAge).
        A list of (job id, name, state, source)."""
        out = []
        sacct = self.run(["sacct", "-c", "-n", "-P", "-S", "2000-01-01T00:00:00",
                          "-o", "JobID,JobName,State"])
        if sacct.returncode != 0:
            raise RuntimeError(f"sacct -c failed: {sacct.stderr.strip()}")
        for line in sacct.stdout.splitlines():
            parts = line.split("|")
            if len(parts) >= 3 and parts[1].startswith(prefix):
                out.append((parts[0].strip(), "|".join(parts[1:-1]), parts[-1].strip(), "sacct -c"))
        squeue = self.run(["squeue", "-h", "-t", "all", "-o", "%i|%j|%T"])
        if squeue.returncode != 0:
            raise RuntimeError(f"squeue failed: {squeue.stderr.strip()}")
        for line in squeue.stdout.splitlines():
            parts = line.split("|")
            if len(parts) >= 3 and parts[1].startswith(prefix):
                out.append((parts[0].strip(), "|".join(parts[1:-1]), parts[-1].strip(), "squeue"))
        return out

    def cancel_prefix(self, prefix):
        """scancel every queued or running job of ours (clean-up after a failed test)."""
        squeue = self.run(["squeue", "-h", "-o", "%i|%j"])
        ids = [l.split("|")[0] for l in squeue.stdout.splitlines() if "|" in l and l.split("|", 1)[1].startswith(prefix)]
        if ids:
            self.run(["scancel", *ids])
        return ids


def check_exactly_once(c, records, prefix, jobs, where=""):
    """Exactly-once against Slurm's own records: no job name with two Slurm job ids (a duplicate
    submission), every name a job of the ledger, as many names as ledger rows that reached
    `submitted` or beyond, and every recorded scheduler id the one Slurm has for that name.
    Returns {name: set of ids}."""
    tag = f"{where}: " if where else ""
    ids_by_name = {}
    for job, name, _state, _source in records:
        ids_by_name.setdefault(name, set()).add(job)
    duplicates = {n: sorted(i) for n, i in ids_by_name.items() if len(i) > 1}
    c.check(not duplicates, f"{tag}submitted more than once (name -> Slurm job ids): {duplicates}")
    ledger_ids = {j["job_id"]: j for j in jobs}
    foreign = sorted(n for n in ids_by_name if n[len(prefix):] not in ledger_ids)
    c.check(not foreign, f"{tag}Slurm jobs with no ledger row: {foreign}")
    reached = [j for j in jobs if j["state"] in ("submitted", "done", "failed")]
    c.check(len(ids_by_name) == len(reached),
            f"{tag}{len(ids_by_name)} distinct job names in Slurm, but {len(reached)} ledger rows reached "
            f"submitted or beyond (missing from Slurm: "
            f"{sorted(j['job_id'] for j in reached if prefix + j['job_id'] not in ids_by_name)})")
    for j in jobs:
        known = ids_by_name.get(prefix + j["job_id"])
        if j["scheduler_id"] and known is not None:
            c.check(j["scheduler_id"] in known,
                    f"{tag}{j['job_id']}: ledger scheduler id {j['scheduler_id']}, Slurm has {sorted(known)}")
    return ids_by_name
