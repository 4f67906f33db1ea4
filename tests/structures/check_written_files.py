#!/usr/bin/python3
"""Independent readers for structure files written by ionscreen.

Usage: /usr/bin/python3 check_written_files.py FILE [FILE ...]

Each FILE (.cif, .vasp or .xyz) has a sidecar FILE.json with the expected values, written by the
Catch test "files written for the independent readers" (tests/structures/test_io.cpp):
  lattice    3x3, rows a, b, c in Angstrom
  species    element symbols, one per site
  frac       fractional coordinates, one triple per site
  occupancy  per site;  oxidation: per site (0 = unknown);  fixed: selective-dynamics flags

Every file is read with ASE (ase.io.read) and, where pymatgen reads the format, with pymatgen
(Structure.from_file: CIF and POSCAR; pymatgen has no periodic extended-XYZ reader). Checked:
the cell (lengths and angles for CIF, which readers re-orient; the full matrix otherwise), the
species and the positions (site by site after matching over periodic images, 1e-4 Angstrom),
and, with pymatgen, occupancies and oxidation states. Exit status 0 when all files pass.
"""
import json
import sys

import numpy as np

LENGTH_TOL = 1e-5  # Angstrom, cell lengths and matrix entries
ANGLE_TOL = 1e-5  # degrees
POSITION_TOL = 1e-4  # Angstrom


def cell_parameters(lattice):
    a, b, c = (np.asarray(v, dtype=float) for v in lattice)

    def angle(u, v):
        return np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))

    return np.array([np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(c),
                     angle(b, c), angle(a, c), angle(a, b)])


def check_cell(errors, reader, expected, lattice, compare_matrix):
    exp = np.asarray(expected, dtype=float)
    got = np.asarray(lattice, dtype=float)
    pe, pg = cell_parameters(exp), cell_parameters(got)
    if np.max(np.abs(pe[:3] - pg[:3])) > LENGTH_TOL or np.max(np.abs(pe[3:] - pg[3:])) > ANGLE_TOL:
        errors.append(f"{reader}: cell parameters {pg} differ from {pe}")
    if compare_matrix and np.max(np.abs(exp - got)) > LENGTH_TOL:
        errors.append(f"{reader}: lattice matrix\n{got}\ndiffers from\n{exp}")


def match_sites(errors, reader, lattice, expected_species, expected_frac, species, frac):
    """Map each expected site to a read site of the same element at the same place."""
    if len(species) != len(expected_species):
        errors.append(f"{reader}: {len(species)} sites read, {len(expected_species)} expected")
        return None
    lattice = np.asarray(lattice, dtype=float)
    frac = np.asarray(frac, dtype=float)
    images = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    used = np.zeros(len(species), dtype=bool)
    mapping = []
    for n, (element, f) in enumerate(zip(expected_species, np.asarray(expected_frac, dtype=float))):
        d = frac - f
        d -= np.round(d)
        # Shortest image of every difference, in Angstrom.
        dist = np.min(np.linalg.norm((d[:, None, :] + images[None, :, :]) @ lattice, axis=2),
                      axis=1)
        candidates = [i for i in np.argsort(dist)
                      if not used[i] and species[i] == element and dist[i] < POSITION_TOL]
        if not candidates:
            errors.append(f"{reader}: no {element} site at {f} (expected site {n}); nearest "
                          f"{species[int(np.argmin(dist))]} at {np.min(dist):.2e} A")
            mapping.append(None)
            continue
        used[candidates[0]] = True
        mapping.append(candidates[0])
    return mapping


def check_ase(errors, path, expected, fmt):
    import ase.io

    atoms = ase.io.read(path)
    check_cell(errors, "ase", expected["lattice"], atoms.cell[:], compare_matrix=fmt != "cif")
    # Express ASE's positions in the expected lattice's fractional coordinates after rotating to
    # its orientation: cell parameters agree, so fractional coordinates are directly comparable.
    frac = atoms.get_scaled_positions(wrap=True)
    symbols = atoms.get_chemical_symbols()
    match_sites(errors, "ase", atoms.cell[:], expected["species"], expected["frac"], symbols, frac)
    if fmt == "vasp" and any(any(f) for f in expected["fixed"]):
        fixed = np.zeros((len(atoms), 3), dtype=bool)
        for constraint in atoms.constraints:
            if hasattr(constraint, "mask"):  # FixScaled (one per atom) or FixCartesian
                for index in np.atleast_1d(constraint.index if hasattr(constraint, "index")
                                           else constraint.a):
                    fixed[index] |= np.asarray(constraint.mask, dtype=bool)
            elif hasattr(constraint, "get_indices"):  # FixAtoms
                fixed[constraint.get_indices()] = True
        if not np.array_equal(fixed, np.asarray(expected["fixed"], dtype=bool)):
            errors.append("ase: selective dynamics flags differ from the expected ones")


def check_pymatgen(errors, path, expected, fmt):
    from pymatgen.core import Structure

    structure = Structure.from_file(path)
    check_cell(errors, "pymatgen", expected["lattice"], structure.lattice.matrix,
               compare_matrix=fmt != "cif")
    species, frac, occupancy, oxidation = [], [], [], []
    for site in structure:
        items = list(site.species.items())
        if len(items) != 1:
            errors.append(f"pymatgen: mixed site {site.species} (not written by ionscreen)")
            return
        sp, occ = items[0]
        species.append(sp.symbol)
        frac.append(site.frac_coords % 1.0)
        occupancy.append(occ)
        oxidation.append(getattr(sp, "oxi_state", 0) or 0)
    mapping = match_sites(errors, "pymatgen", structure.lattice.matrix, expected["species"],
                          expected["frac"], species, frac)
    if mapping is None:
        return
    for n, m in enumerate(mapping):
        if m is None:
            continue
        if abs(occupancy[m] - expected["occupancy"][n]) > 1e-9:
            errors.append(f"pymatgen: site {n} occupancy {occupancy[m]}, "
                          f"expected {expected['occupancy'][n]}")
        if fmt == "cif" and abs(oxidation[m] - expected["oxidation"][n]) > 1e-9:
            errors.append(f"pymatgen: site {n} oxidation state {oxidation[m]}, "
                          f"expected {expected['oxidation'][n]}")
    if fmt == "vasp" and any(any(f) for f in expected["fixed"]):
        sd = structure.site_properties.get("selective_dynamics")
        if sd is None:
            errors.append("pymatgen: no selective dynamics read")
        else:
            got = [[not bool(x) for x in sd[m]] for m in mapping if m is not None]
            if got != [list(f) for f in expected["fixed"]]:
                errors.append("pymatgen: selective dynamics flags differ from the expected ones")


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        with open(path + ".json", encoding="utf-8") as f:
            expected = json.load(f)
        fmt = {"cif": "cif", "vasp": "vasp", "xyz": "xyz"}.get(path.rsplit(".", 1)[-1])
        if fmt is None:
            print(f"{path}: unknown extension (accepted: .cif, .vasp, .xyz)", file=sys.stderr)
            failed += 1
            continue
        errors = []
        readers = [("ase", check_ase)] + ([("pymatgen", check_pymatgen)] if fmt != "xyz" else [])
        for name, check in readers:
            try:
                check(errors, path, expected, fmt)
            except Exception as e:  # a reader that cannot parse the file is a failure
                errors.append(f"{name}: cannot read the file: {type(e).__name__}: {e}")
        names = " and ".join(name for name, _ in readers)
        if errors:
            failed += 1
            print(f"FAIL {path} ({names}):", file=sys.stderr)
            for e in errors:
                print(f"  {e}", file=sys.stderr)
        else:
            print(f"ok   {path} ({names}: {len(expected['species'])} sites)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
