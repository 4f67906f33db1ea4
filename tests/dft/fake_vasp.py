#!/usr/bin/python3
"""A FAKE VASP for the plumbing test of ionscreen's vasp engine only (tests/dft/check_vasp_plumbing.py).

It computes nothing physical. Run in a stage folder, it reads INCAR and POSCAR(s) the way VASP
does and writes the OUTCAR lines pipeline/jobs/dft/vasp.cpp reads (NELM echo, Iteration headers,
POSITION/TOTAL-FORCE block, energies, "reached required accuracy", timing footer).

Energies: a relaxation returns E0 at the given geometry in one converged step (zero forces). A NEB
(INCAR IMAGES = n, folders 00..n+1) finds the moving atom (the largest displacement between 00 and
n+1), and gives image k the energy E0 + A sin^2(pi s_k), s_k the fraction of the hop its moving
atom has made (projection on the hop vector), so E_b = max_k A sin^2(pi s_k) exactly.

Faults, by environment (only in the stage folder named by FAKE_VASP_STAGE when that is set):
  FAKE_VASP_FAULT=scf     every try with ALGO = Normal uses all NELM electronic steps and stops
                          unconverged (ALGO = All, the first SCF correction, converges)
  FAKE_VASP_FAULT=crash   prints VASP's ZBRENT fatal error, writes a cut OUTCAR, exits 1
  FAKE_VASP_DIE_ONCE=FILE if FILE does not exist: creates it and SIGKILLs its own process group
                          (the job wrapper included), as a lost node or the wall time would
Every call appends its INCAR to fake_vasp_history.txt in the stage folder.
"""
import math
import os
import signal
import sys
from pathlib import Path

E0 = -100.0  # eV
A = 0.37     # eV, the barrier of a hop through s = 1/2


def read_incar(path):
    tags = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#")[0].split("!")[0]
        if "=" in line:
            key, value = line.split("=", 1)
            tags[key.strip().upper()] = value.strip()
    return tags


def read_poscar(path):
    """(lattice rows, Cartesian positions) of a VASP 5 POSCAR with scale 1 and Direct coordinates."""
    lines = Path(path).read_text().splitlines()
    if float(lines[1]) != 1.0:
        raise SystemExit(f"fake_vasp: {path}: scale {lines[1]} (ionscreen writes 1)")
    lattice = [[float(x) for x in lines[i].split()[:3]] for i in (2, 3, 4)]
    count = sum(int(x) for x in lines[6].split())
    at = 7
    if lines[at].strip()[0] in "sS":
        at += 1
    if lines[at].strip()[0] not in "dD":
        raise SystemExit(f"fake_vasp: {path}: coordinates are not Direct")
    cart = []
    for line in lines[at + 1:at + 1 + count]:
        f = [float(x) for x in line.split()[:3]]
        cart.append([sum(f[j] * lattice[j][i] for j in range(3)) for i in range(3)])
    return lattice, cart


def outcar(positions, energy, nelm, scf_steps, converged):
    out = [" vasp.fake (tests/dft/fake_vasp.py): not VASP", f"   NELM   = {nelm:6d};   NELMIN=  2"]
    out += [f"--------------- Iteration      1({k:4d})  ---------------" for k in range(1, scf_steps + 1)]
    out += [" POSITION                                       TOTAL-FORCE (eV/Angst)", " " + "-" * 83]
    out += [f"  {x:11.5f}  {y:11.5f}  {z:11.5f}     {0:12.6f}  {0:12.6f}  {0:12.6f}" for x, y, z in positions]
    out += [" " + "-" * 83, "", "  FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)",
            f"  free  energy   TOTEN  =  {energy:16.8f} eV", "",
            f"  energy  without entropy=  {energy:16.8f}  energy(sigma->0) =  {energy:16.8f}", ""]
    if converged:
        out.append(" reached required accuracy - stopping structural energy minimisation")
    out.append(" General timing and accounting informations for this job:")
    return "\n".join(out) + "\n"


def main():
    incar = read_incar("INCAR")
    with open("fake_vasp_history.txt", "a") as history:
        history.write("=== try\n" + Path("INCAR").read_text())
    stage = os.environ.get("FAKE_VASP_STAGE", "")
    fault = os.environ.get("FAKE_VASP_FAULT", "") if stage in ("", Path.cwd().name) else ""
    nelm = int(incar.get("NELM", "60"))
    images = int(incar.get("IMAGES", "0"))
    folders = [Path(".")] if images == 0 else [Path(f"{k:02d}") for k in range(1, images + 1)]

    marker = os.environ.get("FAKE_VASP_DIE_ONCE", "")
    if marker and stage in ("", Path.cwd().name):
        try:  # O_EXCL: of two jobs running at once, only the one that creates the marker dies
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            os.killpg(os.getpgrp(), signal.SIGKILL)
        except FileExistsError:
            pass

    if fault == "crash":
        print(" ZBRENT: fatal error in bracketing\n     please rerun with smaller EDIFF")
        for folder in folders:
            (folder / "OUTCAR").write_text(" vasp.fake: stopped\n")
        return 1

    if images == 0:
        _, start = read_poscar("POSCAR")
        band = [(start, E0)]
    else:
        _, first = read_poscar("00/POSCAR")
        _, last = read_poscar(f"{images + 1:02d}/POSCAR")
        hop = [[b - a for a, b in zip(p, q)] for p, q in zip(first, last)]
        moving = max(range(len(hop)), key=lambda i: sum(x * x for x in hop[i]))
        d = hop[moving]
        band = []
        for folder in folders:
            _, r = read_poscar(folder / "POSCAR")
            s = sum((r[moving][i] - first[moving][i]) * d[i] for i in range(3)) / sum(x * x for x in d)
            band.append((r, E0 + A * math.sin(math.pi * s) ** 2))

    scf_fails = fault == "scf" and incar.get("ALGO", "Normal") == "Normal"
    for folder, (positions, energy) in zip(folders, band):
        (folder / "OUTCAR").write_text(
            outcar(positions, energy, nelm, nelm if scf_fails else 5, converged=not scf_fails))
    print("fake vasp done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
