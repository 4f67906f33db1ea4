"""Shared set-up of the campaign integration tests: a synthetic barrier table, INI campaign files,
and running the real `ionscreen` binary. Tests call ionscreen as a user would (argument vectors,
exit codes, files) and read its HDF5 files back with h5py, an independent reader."""
import os
import subprocess
import sys

import h5py
import numpy as np


def synthetic_table(path, rows=60, seed=7, carrier="Li"):
    """A table whose E_b is a smooth additive function of the descriptors (known exactly, so the
    recorded results can be checked value by value). Columns: compound, carrier, M.a, M.b, X.a,
    Z.a, E_b."""
    rng = np.random.default_rng(seed)
    m_a, m_b, x_a, z_a = (rng.uniform(0, 1, rows) for _ in range(4))
    e_b = 0.2 + 0.6 * (m_a - 0.3) ** 2 + 0.3 * np.sin(3 * x_a) + 0.2 * m_b * z_a
    with open(path, "w") as f:
        f.write("# synthetic table for the campaign tests (tests/campaign/campaign_support.py)\n")
        f.write("compound,carrier,M.a,M.b,X.a,Z.a,E_b\n")
        for i in range(rows):
            f.write(f"{carrier}C{i:03d},{carrier},{m_a[i]:.17g},{m_b[i]:.17g},{x_a[i]:.17g},"
                    f"{z_a[i]:.17g},{e_b[i]:.17g}\n")
    return {f"{carrier}C{i:03d}": float(f"{e_b[i]:.17g}") for i in range(rows)}


def write_ini(path, table, directory, extra=None, mode="optimum"):
    """A table-engine campaign over `table`; `extra` maps "section.key" to a value."""
    settings = {
        "campaign.directory": directory,
        "campaign.carrier": "Li",
        "campaign.seed": "3",
        "candidates.table": table,
        "search.mode": mode,
        "search.batch": "2",
        "search.initial": "4",
        "search.budget": "14",
        "engine.name": "table",
        "engine.table": table,
        "jobs.backend": "local",
        "jobs.max_in_flight": "2",
        "jobs.poll": "0.05s",
        "jobs.time_limit": "1m",
    }
    settings.update(extra or {})
    sections = {}
    for key, value in settings.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {value}")
    with open(path, "w") as f:
        for section, lines in sections.items():
            f.write(f"[{section}]\n" + "\n".join(lines) + "\n\n")


def ionscreen(binary, *args, check=None, timeout=600, env=None):
    """Run ionscreen; return the CompletedProcess. check: the expected exit code (or None)."""
    run = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                         env=env)
    if check is not None and run.returncode != check:
        sys.stderr.write(run.stdout + run.stderr)
        raise AssertionError(f"ionscreen {' '.join(args)}: exit {run.returncode}, expected {check}")
    return run


def ledger(campaign_h5):
    """The job ledger as a list of dicts (strings decoded)."""
    with h5py.File(campaign_h5, "r") as f:
        g = f["ledger"]
        names = list(g.keys())
        columns = {n: g[n][()] for n in names}
    rows = []
    for i in range(len(columns["job_id"])):
        row = {}
        for n in names:
            v = columns[n][i]
            row[n] = v.decode() if isinstance(v, bytes) else v
        rows.append(row)
    return rows


class Checks:
    """Collects failures so that one run reports every problem."""

    def __init__(self):
        self.failures = []

    def check(self, condition, message):
        if not condition:
            self.failures.append(message)
            print("FAIL:", message)

    def done(self):
        if self.failures:
            print(f"{len(self.failures)} check(s) failed")
            sys.exit(1)
        print("all checks passed")
