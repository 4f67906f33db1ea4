#!/usr/bin/python3
"""Plumbing test of the vasp engine: `ionscreen barrier` with a FAKE VASP (tests/dft/fake_vasp.py)
and a FAKE PAW library, through the real stage runner and wrapper.

Usage: check_vasp_plumbing.py IONSCREEN OUT_DIR

Checks, reading the files with numpy / ASE (independent of ionscreen's writers):
  * relax INCAR tags, KPOINTS = ceil(2 pi |b_i| / kspacing) from the POSCAR's cell, POTCAR = the
    fake library's files in the POSCAR's species order;
  * the NEB folders 00..04 (3 images), its INCAR tags and the end-point energies file;
  * E_b = max_k A sin^2(pi s_k), s_k the moving atom's fraction of the hop in the written
    image POSCARs (the fake's analytic energy), to 1e-6 eV;
  * FAKE_VASP_FAULT=scf on relax_start: the first try stops unconverged, the second has the
    documented SCF level-1 changes (ALGO = All, NELM doubled) and the barrier is the same;
  * FAKE_VASP_FAULT=crash on neb: the job fails with VASP's ZBRENT message, and no E_b.
"""
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from ase.io import read

HERE = Path(__file__).resolve().parent
FAKE_PAW = HERE.parent / "fixtures/dft/vasp/fake_paw"
A = 0.37  # eV, as in fake_vasp.py
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def incar(path):
    tags = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            tags[key.strip()] = value.strip()
    return tags


def barrier(ionscreen, out, name, env=None):
    job = out / name
    shutil.rmtree(job, ignore_errors=True)
    environment = dict(os.environ, **(env or {}))
    run = subprocess.run([ionscreen, "barrier", str(HERE / "vasp_fake.ini"),
                          str(HERE / "li2o.cif"), str(job)],
                         env=environment, capture_output=True, text=True, timeout=600)
    print(run.stdout + run.stderr)
    return job, run


def predicted_barrier(neb):
    """max_k A sin^2(pi s_k) over the written images, from the POSCARs read by ASE."""
    folders = sorted(p for p in neb.iterdir() if p.is_dir())
    band = [read(str(f / "POSCAR"), format="vasp").get_positions() for f in folders]
    hop = band[-1] - band[0]
    moving = int(np.argmax(np.linalg.norm(hop, axis=1)))
    d = hop[moving]
    s = [float(np.dot(r[moving] - band[0][moving], d) / np.dot(d, d)) for r in band]
    return max(A * math.sin(math.pi * x) ** 2 for x in s)


def check_inputs(job):
    relax = job / "relax_start"
    tags = incar(relax / "INCAR")
    for key, value in {"PREC": "Accurate", "ENCUT": "520", "GGA": "PS", "IBRION": "2",
                       "ISIF": "2", "NSW": "100", "NELM": "100", "EDIFF": "1e-05",
                       "EDIFFG": "-0.03", "ISMEAR": "0", "SIGMA": "0.05", "ISPIN": "1"}.items():
        check(tags.get(key) == value, f"relax INCAR {key} = {value} (found {tags.get(key)})")

    atoms = read(str(relax / "POSCAR"), format="vasp")
    reciprocal = np.linalg.inv(atoms.cell.array).T  # rows b_i with b_i . a_j = delta_ij
    mesh = [max(1, math.ceil(2 * math.pi * np.linalg.norm(b) / 0.5 - 1e-9)) for b in reciprocal]
    kpoints = (relax / "KPOINTS").read_text().splitlines()
    check(kpoints[2].strip() == "Gamma" and [int(x) for x in kpoints[3].split()] == mesh,
          f"KPOINTS: Gamma-centred {mesh} for kspacing 0.5")

    species = (relax / "POSCAR").read_text().splitlines()[5].split()
    variants = {"Li": "Li_sv", "O": "O"}  # pymatgen MPRelaxSet.yaml
    expected = b"".join((FAKE_PAW / variants[s] / "POTCAR").read_bytes() for s in species)
    check((relax / "POTCAR").read_bytes() == expected,
          f"POTCAR = fake {[variants[s] for s in species]} in POSCAR order {species}")

    neb = job / "neb"
    folders = sorted(p.name for p in neb.iterdir() if p.is_dir())
    check(folders == ["00", "01", "02", "03", "04"], f"NEB folders 00..04 (found {folders})")
    check(all((neb / f / "POSCAR").is_file() for f in folders), "a POSCAR in every NEB folder")
    count = len(read(str(relax / "POSCAR"), format="vasp"))
    check(all(len(read(str(neb / f / "POSCAR"), format="vasp")) == count for f in folders),
          f"every image has the {count} atoms of the relaxations")
    tags = incar(neb / "INCAR")
    for key, value in {"IMAGES": "3", "SPRING": "-5", "LCLIMB": ".TRUE.", "IBRION": "1",
                       "POTIM": "0.5", "NSW": "200", "EDIFFG": "-0.05"}.items():
        check(tags.get(key) == value, f"NEB INCAR {key} = {value} (found {tags.get(key)})")
    ends = json.loads((neb / "ionscreen_ends.json").read_text())
    check(ends == {"start": -100.0, "end": -100.0}, f"end-point energies passed on: {ends}")


def main():
    ionscreen, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)

    job, run = barrier(ionscreen, out, "ok")
    check(run.returncode == 0, "a barrier with the fake VASP")
    check_inputs(job)
    result = json.loads((job / "result.json").read_text())
    expected = predicted_barrier(job / "neb")
    check(abs(result["E_b"] - expected) < 1e-6,
          f"E_b = {result['E_b']} eV, the analytic {expected:.8f} eV")
    check(len(result["energies"]) == 5, "5 energies (3 images + 2 end points)")

    job, run = barrier(ionscreen, out, "scf", {"FAKE_VASP_FAULT": "scf",
                                               "FAKE_VASP_STAGE": "relax_start"})
    check(run.returncode == 0, "SCF failure corrected")
    tries = (job / "relax_start/fake_vasp_history.txt").read_text().split("=== try\n")[1:]
    check(len(tries) == 2, f"relax_start ran twice (found {len(tries)})")
    if len(tries) == 2:
        first, second = (dict(l.split(" = ", 1) for l in t.splitlines() if " = " in l) for t in tries)
        check(first.get("ALGO") == "Normal" and first.get("NELM") == "100", "first try: ALGO = Normal, NELM = 100")
        check(second.get("ALGO") == "All" and second.get("NELM") == "200", "second try: ALGO = All, NELM = 200")
    stages = json.loads((job / "stages.json").read_text())
    problems = [p["problem"] for p in stages["relax_start"]["problems"]]
    check(problems == ["scf_not_converged"], f"relax_start problems recorded: {problems}")
    if (job / "result.json").exists():
        e_b = json.loads((job / "result.json").read_text())["E_b"]
        check(abs(e_b - predicted_barrier(job / "neb")) < 1e-6, "the same analytic barrier after the correction")

    job, run = barrier(ionscreen, out, "crash", {"FAKE_VASP_FAULT": "crash", "FAKE_VASP_STAGE": "neb"})
    status = (job / "status").read_text() if (job / "status").exists() else ""
    check(run.returncode != 0 and status.startswith("failed"), f"a crash fails the job: {status.strip()}")
    check("ZBRENT: fatal error in bracketing" in status, "the reason is VASP's message")
    result = json.loads((job / "result.json").read_text()) if (job / "result.json").exists() else {}
    check(result.get("E_b") is None, "no barrier for a crashed band")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
