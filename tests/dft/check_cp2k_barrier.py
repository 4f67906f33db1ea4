#!/usr/bin/python3
"""The cp2k engine for real: `ionscreen barrier tests/dft/cp2k_lif.ini tests/dft/lif.cif DIR` runs
CP2K 2023.1 (GFN1-xTB) on a Li vacancy hop in LiF (both end-point relaxations, then the CI-NEB)
and the result is checked against CP2K's own files, read here independently of ionscreen:

- the command exits 0 and result.json says converged, with E_b equal to max - first of the image
  energies of the last row of DIR/neb/neb-1.ener (Hartree, times 27.211386245988 eV, CODATA 2018);
- the band stopped before its step cap (fewer rows than MAX_STEPS + 1 in neb-1.ener);
- E_b is plausible: positive and below 2 eV. For scale, a PBE NEB gives 0.729 eV for this hop
  (Y. C. Chen et al., J. Phys. Chem. C 115, 7044 (2011)); GFN1-xTB at the Gamma point of a small
  cell is not expected to reproduce it closely;
- both end points relaxed (CP2K printed GEOMETRY OPTIMIZATION COMPLETED and ended normally);
- free_atoms = moving was honoured: in every replica trajectory (read with ASE) only one atom
  moved between the first and the last frame.

Usage: check_cp2k_barrier.py IONSCREEN [WORK_DIR]
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from ase.io import read

HARTREE_EV = 27.211386245988
HERE = pathlib.Path(__file__).resolve().parent


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    binary = sys.argv[1]
    work = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 else pathlib.Path(tempfile.mkdtemp())
    job = work / "lif-cp2k"
    shutil.rmtree(job, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)

    start = time.time()
    run = subprocess.run([binary, "barrier", str(HERE / "cp2k_lif.ini"), str(HERE / "lif.cif"), str(job)],
                         capture_output=True, text=True)
    print(run.stdout, run.stderr, f"({time.time() - start:.0f} s)", sep="\n")
    if run.returncode != 0:
        fail(f"ionscreen barrier exited {run.returncode}")

    result = json.loads((job / "result.json").read_text())
    if result.get("converged") is not True:
        fail(f"result.json: converged = {result.get('converged')}")

    rows = [line.split() for line in (job / "neb" / "neb-1.ener").read_text().splitlines() if line.strip()]
    replicas = len(rows[-1]) // 2  # step, n energies, n - 1 distances
    energies = [float(x) * HARTREE_EV for x in rows[-1][1:1 + replicas]]
    expected = max(energies) - energies[0]
    if abs(result["E_b"] - expected) > 1e-6:
        fail(f"E_b = {result['E_b']} eV, neb-1.ener's last row gives {expected} eV")
    max_steps = json.loads((job / "job.json").read_text())["dft"]["max_neb_steps"]
    if len(rows) >= max_steps + 1:
        fail(f"neb-1.ener has {len(rows)} rows: the band hit its step cap {max_steps}")
    if not 0.0 < expected < 2.0:
        fail(f"E_b = {expected} eV is not plausible for a Li vacancy hop in LiF")

    for stage in ("relax_start", "relax_end"):
        out = (job / stage / "relax.out").read_text()
        if "GEOMETRY OPTIMIZATION COMPLETED" not in out or "PROGRAM ENDED AT" not in out:
            fail(f"{stage}/relax.out: the end point did not finish relaxing")

    for k in range(1, replicas + 1):
        frames = read(str(job / "neb" / f"neb-pos-Replica_nr_{k}-1.xyz"), index=":")
        moved = np.linalg.norm(frames[-1].positions - frames[0].positions, axis=1) > 1e-6
        if moved.sum() > 1:
            fail(f"replica {k}: {moved.sum()} atoms moved, only the hopping Li is free")

    print(f"OK: E_b = {expected:.4f} eV from {len(rows)} band rows, {replicas} replicas")


if __name__ == "__main__":
    main()
