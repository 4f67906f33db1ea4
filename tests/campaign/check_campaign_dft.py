#!/usr/bin/python3
"""A campaign on a DFT/NEB engine, end to end: `[engine] name = vasp` over a small tavorite space,
jobs run by the real wrapper (cluster/wrappers/dft.sh) and stage runner as local processes. VASP
itself is the FAKE of tests/dft/fake_vasp.py (plumbing only; the real codes run in tests/dft/).

Usage: check_campaign_dft.py IONSCREEN WORK_DIR

Checks (campaign.h5 read with h5py):
  * a pseudopotential missing for an element of the pool is refused when the campaign starts
    (exit 2, the element named, no job directory written);
  * every job has both relaxations and the band, and the ledger's E_b is its result.json's;
  * a job whose whole process group is killed during the band (a lost node) is retried, and the
    new attempt goes on from the previous attempt's relaxed end points: they are not computed
    again, the band restarts (cut off -> restart) and gives a barrier;
  * the same campaign through the real single-node Slurm (cluster/slurm/local-slurm.sh): every
    job is a Slurm batch job (slurm.sh in its directory) that ran the three stages.
"""
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from campaign_checks import LOCAL_PROFILE, LocalSlurm  # noqa: E402
from campaign_support import Checks, ionscreen, ledger  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FAKE_PAW = ROOT / "tests/fixtures/dft/vasp/fake_paw"


def check_done_jobs(checks, directory, rows, count):
    """Every done job of the ledger: result.json's E_b, three complete stages, a 5-image band."""
    done = [r for r in rows if r["state"] == "done"]
    checks.check(len(done) == count, f"{count} candidates done, got {[(r['job_id'], r['state']) for r in rows]}")
    for r in done:
        job = directory / r["directory"]
        result = json.loads((job / "result.json").read_text())
        checks.check(abs(result["E_b"] - r["e_b"]) < 1e-9, f"{r['job_id']}: ledger E_b {r['e_b']} = result.json {result['E_b']}")
        checks.check(0.0 < result["E_b"] <= 0.37 + 1e-9, f"{r['job_id']}: E_b {result['E_b']} within the fake's 0..0.37 eV")
        for stage in ("relax_start", "relax_end", "neb"):
            checks.check(result["stages"][stage]["state"] == "complete", f"{r['job_id']}: {stage} complete")
        checks.check(len(list((job / "neb").glob("0?/POSCAR"))) == 5, f"{r['job_id']}: 00..04 band folders")
    return done


def main():
    binary, work = sys.argv[1], Path(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    checks = Checks()

    # LiMPO4F tavorites, M = Fe, Al, Ga, Cr (3+): four candidates.
    (work / "space.ini").write_text("carriers = Li\nM = Fe3+ Al3+ Ga3+ Cr3+\nX = P5+\nZ = F\n")
    paw = work / "paw"
    shutil.copytree(FAKE_PAW, paw)
    (work / "campaign.ini").write_text(f"""[campaign]
directory = {work / 'run'}
carrier = Li
seed = 2
[candidates]
space = {work / 'space.ini'}
[search]
initial = 2
budget = 4
[engine]
name = vasp
[dft]
images = 3
pseudo_dir = {paw}
site = {ROOT / 'tests/dft/vasp_fake_site.ini'}
[jobs]
max_in_flight = 2
retries = 1
poll = 0.1s
time_limit = 5m
""")

    # Al, Ga and Cr have no POTCAR in the library yet.
    run = ionscreen(binary, "run", str(work / "campaign.ini"))
    checks.check(run.returncode == 2, f"missing POTCARs: exit {run.returncode}, expected 2")
    message = run.stderr
    for element in ("Al", "Ga", "Cr"):
        checks.check(element in message, f"the refusal names {element}: {message!r}")
    checks.check(not (work / "run" / "jobs").exists() or not any((work / "run" / "jobs").iterdir()),
                 "no job directory written before the refusal")
    shutil.rmtree(work / "run", ignore_errors=True)

    for variant in ("Al", "Ga_d", "Cr_pv"):  # pymatgen's MPRelaxSet choices, as in vasp.cpp
        (paw / variant).mkdir()
        (paw / variant / "POTCAR").write_text(f"FAKE POTCAR stand-in for {variant} (ionscreen tests)\n")

    # The first band to run is killed with its whole process group, once.
    marker = work / "died"
    env = dict(os.environ, FAKE_VASP_DIE_ONCE=str(marker), FAKE_VASP_STAGE="neb")
    run = ionscreen(binary, "run", str(work / "campaign.ini"), env=env, timeout=900)
    print(run.stdout[-2000:], run.stderr[-2000:])
    checks.check(run.returncode == 0, f"campaign exit {run.returncode}")
    checks.check(marker.exists(), "a band was killed once")

    rows = ledger(work / "run" / "campaign.h5")
    check_done_jobs(checks, work / "run", rows, 4)

    retried = [r for r in rows if r["attempt"] == 2]
    checks.check(len(retried) == 1, f"one job retried after the kill, got {len(retried)}")
    if retried:
        job = work / "run" / retried[0]["directory"]
        state = json.loads((job / "stages.json").read_text())
        for stage in ("relax_start", "relax_end"):
            history = (job / stage / "fake_vasp_history.txt").read_text()
            checks.check(state[stage]["tries"] == 1 and history.count("=== try") == 1,
                         f"attempt 2 did not compute {stage} again (tries {state[stage]['tries']})")
        problems = [p["problem"] for p in state["neb"]["problems"]]
        checks.check(problems == ["cut_off"], f"attempt 2's band restarted after a cut-off: {problems}")
        checks.check(state["neb"]["restarts"] == 1, "one restart of the band")
        failed = [r for r in rows if r["attempt"] == 1 and r["candidate"] == retried[0]["candidate"]]
        checks.check(failed and failed[0]["state"] == "failed", f"attempt 1 recorded as failed: {failed}")

    # The same campaign as Slurm batch jobs.
    with LocalSlurm() as slurm:
        run = ionscreen(binary, "run", str(work / "campaign.ini"), "--set", f"campaign.directory={work / 'slurm'}",
                        "--set", f"campaign.name=dft-slurm-p{os.getpid()}", "--set", "jobs.backend=slurm",
                        "--set", f"jobs.slurm_profile={LOCAL_PROFILE}", env=slurm.env, timeout=900)
    print(run.stdout[-1500:], run.stderr[-1500:])
    checks.check(run.returncode == 0, f"slurm campaign exit {run.returncode}")
    rows = ledger(work / "slurm" / "campaign.h5")
    for r in check_done_jobs(checks, work / "slurm", rows, 4):
        checks.check(r["scheduler_id"].isdigit(), f"{r['job_id']}: a Slurm job id ({r['scheduler_id']})")
        checks.check((work / "slurm" / r["directory"] / "slurm.sh").exists(), f"{r['job_id']}: ran as a batch script")
    checks.done()


if __name__ == "__main__":
    main()
