"""Reads a pw.x or neb.x input written by ionscreen's qe engine with ASE (Debian's python3-ase,
ase.io.espresso) and prints, as JSON, what ASE understood: for each structure (the one of a pw.x
input, every image of a neb.x input) the symbols, the cell (Å), the fractional positions, the
if_pos flags, the initial magnetic moments (ASE: starting_magnetization x the valence it reads
from the UPF file) and the namelists; for neb.x also the &PATH namelist. K_POINTS is read from
the cards. tests/pipeline/dft/test_qe.cpp compares this with what the engine meant to write.

Usage: /usr/bin/python3 read_qe_input.py FILE
"""
import io
import json
import re
import sys

import numpy as np
from ase.io.espresso import get_atomic_positions, read_espresso_in, read_fortran_namelist


def structure(text):
    atoms = read_espresso_in(io.StringIO(text))
    namelists, cards = read_fortran_namelist(io.StringIO(text))
    flags = [f for _, _, f in get_atomic_positions(cards, len(atoms), cell=atoms.cell)]
    kpoints = next(cards[i:i + 2] for i, line in enumerate(cards) if line.startswith("K_POINTS"))
    return {
        "symbols": atoms.get_chemical_symbols(),
        "cell": atoms.cell.array.tolist(),
        "frac": np.linalg.solve(atoms.cell.array.T, atoms.positions.T).T.tolist(),
        "if_pos": [list(f) if f else [1, 1, 1] for f in flags],
        "magmoms": atoms.get_initial_magnetic_moments().tolist(),
        "namelists": {name: dict(values) for name, values in namelists.items()},
        "k_points": kpoints[0].split()[1] if kpoints[0].split()[1:] else "",
        "k_mesh": kpoints[1].split() if kpoints[0].split()[1:] == ["automatic"] else [],
    }


def between(text, begin, end):
    return text[text.index(begin) + len(begin):text.index(end)]


def main(path):
    text = open(path).read()
    if "BEGIN_ENGINE_INPUT" not in text:
        print(json.dumps({"images": [structure(text)]}))
        return
    path_namelists, _ = read_fortran_namelist(io.StringIO(between(text, "BEGIN_PATH_INPUT",
                                                                  "END_PATH_INPUT")))
    engine = between(text, "BEGIN_ENGINE_INPUT", "END_ENGINE_INPUT")
    head = engine[:engine.index("BEGIN_POSITIONS")]
    tail = engine[engine.index("END_POSITIONS") + len("END_POSITIONS"):]
    blocks = re.split(r"^(?:FIRST_IMAGE|INTERMEDIATE_IMAGE|LAST_IMAGE)[ \t]*$",
                      between(engine, "BEGIN_POSITIONS", "END_POSITIONS"), flags=re.M)[1:]
    print(json.dumps({"path": dict(path_namelists["path"]),
                      "images": [structure(head + block + tail) for block in blocks]}))


if __name__ == "__main__":
    main(sys.argv[1])
