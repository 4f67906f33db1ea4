#!/usr/bin/python3
"""Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/) from the project's
fixtures and example inputs, plus one small campaign run by the real binary (its job files and
HDF5 files) and the stage runner's own stages.json files. The inputs that once were findings
(review findings D1, D8, D9, D10, D14 and those of tests/fuzz/FINDINGS.md) are kept by hand in
the same folders under names starting with "finding-"; this script leaves them alone.

Usage: make_corpus.py BUILD_DIR      (a build whose tests have run: drivers/ionscreen, and the
                                      stages.json files the DFT tests leave under tests/)

Run it again after a change of a file format, and commit the result.
"""
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import ase
import ase.io

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "campaign"))
from campaign_support import synthetic_table, write_ini  # noqa: E402

build = os.path.abspath(sys.argv[1])
corpus = os.path.join(HERE, "corpus")


def seed(target, name, content):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(os.path.join(folder, name), mode) as f:
        f.write(content)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def pack(files):
    """The several-file input of tests/fuzz/fuzz_support.hpp: "==> NAME <==" before each file."""
    return "".join(f"==> {name} <==\n{text}" + ("" if text.endswith("\n") else "\n")
                   for name, text in files.items())


def extxyz(atoms):
    out = io.StringIO()
    ase.io.write(out, atoms, format="extxyz", columns=["symbols", "positions"])
    return out.getvalue()


def fresh():
    for folder in glob.glob(os.path.join(corpus, "*")):
        for f in glob.glob(os.path.join(folder, "*")):
            if not os.path.basename(f).startswith("finding-"):
                os.remove(f)


def crystal(a_vectors, symbols, fractional):
    atoms = ase.Atoms(symbols=symbols, cell=a_vectors, pbc=True)
    atoms.set_scaled_positions(fractional)
    return atoms


# The structures the DFT reader tests build (tests/pipeline/dft/test_qe.cpp li2o_vacancy and feo,
# test_cp2k.cpp lif_vacancy and lif_band, test_vasp.cpp silicon), as the fixtures were made from.
def li2o_vacancy():
    frac = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0), (.25, .25, .25)]
    frac += [(a, b, d) for a in (.25, .75) for b in (.25, .75) for d in (.25, .75)
             if not (b == .25 and d == .25)]
    return crystal([[4.61, 0, 0], [0, 4.61, 0], [0, 0, 4.61]], ["O"] * 4 + ["Li"] * 7, frac)


def feo():
    h = 4.33 / 2
    return crystal([[0, h, h], [h, 0, h], [h, h, 0]], ["Fe", "O"], [(0, 0, 0), (.5, .5, .5)])


def lif_vacancy(moving=(0, 0, 0)):
    frac = [moving, (.5, 0, 0), (0, .5, .5), (.5, .5, .5), (.5, 0, .5), (0, 0, .5), (0, .5, 0)]
    return crystal([[4.026, 0, 0], [0, 4.026, 0], [0, 0, 4.026]],
                   ["Li", "F", "Li", "F", "Li", "F", "F"], frac)


def lif_band():
    band = [lif_vacancy((.5 * k / 4, .5 * k / 4, 0)) for k in range(5)]
    frac = band[2].get_scaled_positions()
    frac[0][2] += 0.3 / 4.026
    band[2].set_scaled_positions(frac)
    return band


def silicon():
    h = 2.734878460
    return crystal([[0, h, h], [h, 0, h], [h, h, 0]], ["Si", "Si"],
                   [(.125, .125, .125), (.875, .875, .875)])


def stage_seed(target, name, folder, structure=None, band=None, settings=None, skip=()):
    files = {}
    if settings is not None:
        files["settings.json"] = json.dumps(settings) + "\n"
    if structure is not None:
        files["input.xyz"] = extxyz(structure)
    for k, image in enumerate(band or []):
        files[f"band_{k:02d}.xyz"] = extxyz(image)
    for path in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        relative = os.path.relpath(path, folder)
        if os.path.isfile(path) and relative not in skip:
            try:
                files[relative] = read(path)
            except UnicodeDecodeError:
                continue
    seed(target, name, pack(files))


fresh()

# Structure files.
cifs = glob.glob(os.path.join(SOURCE, "tests/fixtures/structures/*.cif"))
cifs += glob.glob(os.path.join(SOURCE, "inputs/prototypes/*.cif"))
cifs += glob.glob(os.path.join(SOURCE, "tests/dft/*.cif"))
cifs += glob.glob(os.path.join(SOURCE, "tests/fixtures/jobs/*/structure.cif"))
for path in cifs:
    seed("cif", os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path), read(path))
for path in glob.glob(os.path.join(SOURCE, "tests/fixtures/structures/*.vasp")):
    seed("poscar", os.path.basename(path), read(path))
for path in cifs:
    atoms = ase.io.read(path)
    name = os.path.splitext(os.path.basename(path))[0]
    seed("xyz", name + ".xyz", extxyz(atoms))
    seed("poscar", name + ".vasp", (lambda o: (ase.io.write(o, atoms, format="vasp", direct=True),
                                               o.getvalue())[1])(io.StringIO()))

# Campaign INI and space files.
for path in glob.glob(os.path.join(SOURCE, "inputs/campaigns/*.ini")) + \
        glob.glob(os.path.join(SOURCE, "tests/dft/*.ini")):
    seed("campaign_ini", os.path.basename(path), read(path))
for path in glob.glob(os.path.join(SOURCE, "inputs/spaces/*.ini")):
    seed("space", os.path.basename(path), read(path))

# A small table campaign run by the real binary: job.json, status and result.json, campaign.h5,
# candidates.h5 (the intact companions of the HDF5 targets).
with tempfile.TemporaryDirectory() as work:
    table = os.path.join(work, "table.csv")
    synthetic_table(table, rows=40, seed=2)
    ini = os.path.join(work, "seed.ini")
    write_ini(ini, table, os.path.join(work, "camp"), {"search.budget": "8"})
    subprocess.run([os.path.join(build, "drivers", "ionscreen"), "run", ini], check=True,
                   capture_output=True)
    seed("campaign_ini", "table-campaign.ini", read(ini))
    camp = os.path.join(work, "camp")
    for kind in ("campaign", "candidates"):
        content = read(os.path.join(camp, f"{kind}.h5"), "rb")
        seed(f"{kind}_h5", "intact", content)
        seed(f"{kind}_h5", "truncated", content[: len(content) // 2])
    for k, job in enumerate(sorted(glob.glob(os.path.join(camp, "jobs", "*")))[:3]):
        seed("job_json", f"table-{k}.json", read(os.path.join(job, "job.json")))
        seed("result_json", f"table-{k}", pack({"status": read(os.path.join(job, "status")),
                                               "result.json": read(os.path.join(job, "result.json"))}))
seed("job_json", "bvse.json", read(os.path.join(SOURCE, "tests/fixtures/jobs/bvse_li3po4/job.json")))
seed("result_json", "failed", pack({"status": "failed: the code stopped\n"}))
seed("result_json", "bvse-no-path", pack({"status": "done\n", "result.json": json.dumps(
    {"protocol": 1, "job_id": "c0000001-a01", "E_b": None, "percolates": False}) + "\n"}))

# stages.json as the stage runner wrote it in the real QE, CP2K and campaign runs of `ctest`.
for k, path in enumerate(sorted(glob.glob(os.path.join(build, "tests", "**", "stages.json"),
                                          recursive=True))[:10]):
    seed("stages_json", f"runner-{k:02d}.json", read(path))

# DFT outputs with the structures they were computed from.
qe = os.path.join(SOURCE, "tests/fixtures/dft/qe")
for folder in sorted(glob.glob(os.path.join(qe, "*"))):
    name = os.path.basename(folder)
    if not os.path.isdir(folder):
        continue
    if name.startswith("neb"):
        stage_seed("qe_output", name, folder, band=[li2o_vacancy()] * 5, settings={"kspacing": 0})
    else:
        structure = feo() if "spin_hubbard" in name else li2o_vacancy()
        stage_seed("qe_output", name, folder, structure=structure, settings={"kspacing": 0})
cp2k = os.path.join(SOURCE, "tests/fixtures/dft/cp2k")
xtb = {"method": "xtb", "kspacing": 0, "extra": [["FORCE_EVAL/DFT/CHARGE", "-1"]]}
for folder in sorted(glob.glob(os.path.join(cp2k, "*"))):
    name = os.path.basename(folder)
    if not os.path.isdir(folder):
        continue
    if name.startswith("neb"):
        stage_seed("cp2k_output", name, folder, band=lif_band(), settings=xtb)
    else:
        stage_seed("cp2k_output", name, folder, structure=lif_vacancy((0.03, 0.02, 0.0)),
                   settings=xtb)
vasp = os.path.join(SOURCE, "tests/fixtures/dft/vasp")
outcar = read(os.path.join(vasp, "si_relax_OUTCAR"))
seed("vasp_output", "relax", pack({"input.xyz": extxyz(silicon()), "OUTCAR": outcar,
                                   "vasp.out": read(os.path.join(vasp, "zbrent_vasp.out"))}))
seed("vasp_output", "edddav", pack({"input.xyz": extxyz(silicon()),
                                    "OUTCAR": read(os.path.join(vasp, "edddav_OUTCAR"))}))
band = {f"band_{k:02d}.xyz": extxyz(silicon()) for k in range(4)}
seed("vasp_output", "neb", pack({**band, "ionscreen_ends.json": json.dumps({"start": -10.9, "end": -10.8}),
                                 "01/OUTCAR": outcar, "02/OUTCAR": outcar}))
print("corpus written to", corpus)
