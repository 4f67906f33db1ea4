"""The real DFT-NEB run of the qe engine: `ionscreen barrier tests/dft/qe_li2o.ini
tests/dft/li2o.cif DIR` computes the shortest Li vacancy hop in Li2O with Quantum ESPRESSO
(pw.x relaxes both end points, neb.x runs the climbing-image NEB). Checked here, reading QE's own
files independently of ionscreen's reader:

- the command exits 0 and DIR/result.json says converged, with a finite E_b;
- E_b lies in the published range (below);
- E_b equals max minus first of the image energies in neb.x's last table in DIR/neb/neb.out, and
  the largest energy relative to the first in neb.x's DIR/neb/pwscf.dat;
- neb.out says 'neb: convergence achieved', with images + 2 = 5 energies per table;
- both end points were relaxed to convergence (DIR/relax_*/pw.out: 'bfgs converged', 'End of
  BFGS Geometry Optimization'), and neb.x's end images have the relaxed energies.

Published value: Li vacancy migration in Li2O by DFT-GGA NEB in a neutral cell (the vacancy's
hole in the O 2p band, as here): 0.152 eV, Y. C. Chen, C. Y. Ouyang, L. J. Song, Z. L. Sun,
J. Phys. Chem. C 115, 7044 (2011). This cell is far smaller (11 atoms, Gamma only, 30 Ry), so
the accepted range is 0.152 eV +- 0.1 eV; the fixture run with the same settings
(tests/fixtures/dft/qe/neb_converged) gave 0.157 eV.

Usage: /usr/bin/python3 check_qe_barrier.py IONSCREEN [DIR]   (DIR: default a temporary folder)
"""
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
PUBLISHED, WINDOW = 0.152, 0.10  # eV
RYDBERG_EV = 13.605693122994     # CODATA 2018, as QE 6.7
IMAGES = 3                       # [dft] images in qe_li2o.ini


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def neb_tables(text):
    """Every complete energy table of neb.out: lists of (energy eV, error eV/A) per image."""
    tables = []
    for match in re.finditer(r"image\s+energy \(eV\)\s+error \(eV/A\)\s+frozen\s*\n\s*\n((?:\s+\d+\s+\S+\s+\S+\s+[TF]\s*\n)+)",
                             text):
        rows = [line.split() for line in match.group(1).strip().splitlines()]
        tables.append([(float(r[1]), float(r[2])) for r in rows])
    return tables


def last_relaxed_energy(pw_out):
    text = pw_out.read_text()
    if "bfgs converged" not in text or "End of BFGS Geometry Optimization" not in text:
        fail(f"{pw_out}: the relaxation did not converge")
    return float(re.findall(r"^!\s+total energy\s+=\s+(\S+) Ry", text, re.M)[-1]) * RYDBERG_EV


def main():
    ionscreen = sys.argv[1]
    out = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else pathlib.Path(tempfile.mkdtemp()) / "li2o"
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [ionscreen, "barrier", str(HERE / "qe_li2o.ini"), str(HERE / "li2o.cif"), str(out)]
    print("running:", " ".join(argv), flush=True)
    start = time.monotonic()
    run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=580)
    seconds = time.monotonic() - start
    print(run.stdout)
    print(f"ionscreen barrier took {seconds:.1f} s")
    if run.returncode != 0:
        fail(f"exit code {run.returncode}")

    result = json.loads((out / "result.json").read_text())
    e_b = result.get("E_b")
    if result.get("converged") is not True or not isinstance(e_b, float) or not math.isfinite(e_b):
        fail(f"result.json: converged {result.get('converged')}, E_b {e_b}")
    print(f"E_b = {e_b:.4f} eV (published {PUBLISHED} eV, accepted +- {WINDOW} eV)")
    if abs(e_b - PUBLISHED) > WINDOW:
        fail(f"E_b {e_b:.4f} eV outside {PUBLISHED} +- {WINDOW} eV")

    neb_out = (out / "neb" / "neb.out").read_text()
    if "neb: convergence achieved" not in neb_out:
        fail("neb.out: no 'neb: convergence achieved'")
    tables = neb_tables(neb_out)
    if not tables or any(len(t) != IMAGES + 2 for t in tables):
        fail(f"neb.out: expected tables of {IMAGES + 2} images, found {[len(t) for t in tables]}")
    energies = [e for e, _ in tables[-1]]
    from_table = max(energies) - energies[0]
    if abs(e_b - from_table) > 2e-7:
        fail(f"E_b {e_b:.7f} eV != max - first of neb.out's last table {from_table:.7f} eV")
    dat = [float(line.split()[1]) for line in (out / "neb" / "pwscf.dat").read_text().splitlines()]
    if abs(e_b - max(dat)) > 1e-6:
        fail(f"E_b {e_b:.7f} eV != pwscf.dat's largest relative energy {max(dat):.7f} eV")
    if any(abs(a - b) > 2e-7 for a, b in zip(result["energies_absolute"], energies)):
        fail("result.json energies_absolute differ from neb.out's last table")

    for stage, image in (("relax_start", 0), ("relax_end", -1)):
        relaxed = last_relaxed_energy(out / stage / "pw.out")
        if abs(relaxed - energies[image]) > 2e-3:
            fail(f"{stage}: relaxed energy {relaxed:.6f} eV, neb.x's end image {energies[image]:.6f} eV")
    print("OK")


if __name__ == "__main__":
    main()
