#!/usr/bin/python3
"""`ionscreen benchmark` on synthetic landscapes.

usage: check_benchmark.py IONSCREEN WORKDIR determinism|smooth|noise|demo

determinism  same seed => byte-identical curve CSVs with 1 and 2 threads and under
             mpirun -n 2 (when mpirun is on PATH)
smooth       E_b a smooth function of the descriptors: BO's median evaluations to the optimum
             is below a third of random search's
noise        E_b pure noise (independent of the descriptors): BO's mean evaluations to the
             optimum is not below what a uniformly random order gives, (N + 1) / 2, by more than
             3 standard errors; nothing leaks from the table's target into the search (BO may do
             worse than chance: its exploration order is systematic and the optimum is fixed)
demo         the README's example on inputs/demo/demo_landscape.csv, a table without a carrier
             column (--carrier ''): every row is in the pool, and BO's median evaluations to the
             optimum is below random search's
"""
import csv
import math
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path


def write_landscape(path, rows, value, seed):
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["compound", "carrier", "A.size", "M.a", "M.b", "X.c", "X.d", "E_b"])
        for i in range(rows):
            x = [rng.random() for _ in range(4)]
            w.writerow([f"Na{i:03d}", "Na", 1.0] + [f"{v:.6f}" for v in x] + [f"{value(x, rng):.6f}"])


def smooth(x, rng):
    a, b, c, d = x
    return 0.2 + (a - 0.3) ** 2 + 0.5 * (b - 0.6) ** 2 + 0.3 * math.sin(3 * c) + 0.2 * d * d


def noise(x, rng):
    return rng.gauss(0.5, 0.1)


def benchmark(ionscreen, table, out, strategies, trials, extra=(), launcher=()):
    if out.exists():
        shutil.rmtree(out)
    cmd = list(launcher) + [ionscreen, "benchmark", "--table", str(table), "--target", "E_b",
                            "--source-carrier", "", "--strategies", ",".join(strategies),
                            "--trials", str(trials), "--seed", "7", "--out", str(out)] + list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    print(r.stdout)
    with open(out / "summary.csv", newline="") as f:
        return {row["strategy"]: row for row in csv.DictReader(f)}


def determinism(ionscreen, work):
    table = work / "smooth.csv"
    write_landscape(table, 60, smooth, 1)
    strategies = ["random", "bo-additive-none-ei-1", "bo-ard-none-lse-2"]
    runs = {"1 thread": ["--threads", "1"], "2 threads": ["--threads", "2"]}
    outs = {}
    for name, extra in runs.items():
        outs[name] = work / name.replace(" ", "_")
        benchmark(ionscreen, table, outs[name], strategies, 6, extra)
    if shutil.which("mpirun"):
        outs["mpirun -n 2"] = work / "mpi2"
        benchmark(ionscreen, table, outs["mpirun -n 2"], strategies, 6, ["--threads", "1"],
                  ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", "2"])
    for s in strategies:
        reference = (outs["1 thread"] / f"curves_{s}.csv").read_bytes()
        for name, out in outs.items():
            if (out / f"curves_{s}.csv").read_bytes() != reference:
                sys.exit(f"FAIL: curves_{s}.csv differs between 1 thread and {name}")
    print(f"ok: identical curves for {', '.join(outs)}")


def smooth_check(ionscreen, work):
    table = work / "smooth.csv"
    write_landscape(table, 150, smooth, 2)
    s = benchmark(ionscreen, table, work / "out", ["random", "bo-additive-none-ei-1"], 20)
    bo, rnd = float(s["bo-additive-none-ei-1"]["median_to_optimum"]), float(s["random"]["median_to_optimum"])
    if not bo < rnd / 3:
        sys.exit(f"FAIL: on a smooth landscape BO needed a median {bo} evaluations, random {rnd}")
    print(f"ok: median evaluations to the optimum BO {bo}, random {rnd}")


def noise_check(ionscreen, work):
    n, trials = 80, 40
    table = work / "noise.csv"
    write_landscape(table, n, noise, 3)
    s = benchmark(ionscreen, table, work / "out", ["random", "bo-additive-none-ei-1"], trials)
    expected = (n + 1) / 2
    se = math.sqrt((n * n - 1) / 12 / trials)
    for name in s:
        mean = float(s[name]["mean_to_optimum"])
        if mean < expected - 3 * se:
            sys.exit(f"FAIL: on pure noise {name} needed {mean} evaluations on average, better "
                     f"than chance: a random order gives {expected} +- {se:.1f} (1 s.e.)")
        print(f"ok: {name} mean {mean}; a random order gives {expected}, 3 s.e. {3 * se:.1f}")


def demo_check(ionscreen, work):
    table = Path(__file__).resolve().parents[2] / "inputs" / "demo" / "demo_landscape.csv"
    rows = sum(1 for line in open(table) if line.strip() and not line.startswith("#")) - 1
    strategies = ["random", "bo-additive-none-ei-1", "bo-additive-none-lse-1"]
    s = benchmark(ionscreen, table, work / "out", strategies, 10, ["--carrier", ""])
    if set(s) != set(strategies):
        sys.exit(f"FAIL: summary.csv has {sorted(s)}, expected {strategies}")
    k = int(s["random"]["k"])
    if k != round(0.3 * rows):
        sys.exit(f"FAIL: the summary is at k = {k}, expected 30% of {rows} rows")
    bo, rnd = float(s["bo-additive-none-ei-1"]["median_to_optimum"]), float(s["random"]["median_to_optimum"])
    if not bo < rnd:
        sys.exit(f"FAIL: on the demo table BO needed a median {bo} evaluations, random {rnd}")
    print(f"ok: {rows} rows; median evaluations to the optimum BO {bo}, random {rnd}")


def main():
    ionscreen, work, check = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    checks = {"determinism": determinism, "smooth": smooth_check, "noise": noise_check,
              "demo": demo_check}
    checks[check](ionscreen, work)


if __name__ == "__main__":
    main()
