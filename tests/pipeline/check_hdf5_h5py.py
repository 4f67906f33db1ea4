#!/usr/bin/python3
"""Independent reader of the HDF5 wrapper's files: Debian's h5py and h5dump.

Usage: check_hdf5_h5py.py DIR
DIR holds sample.h5 and sample.json, written by the Catch test "files for the independent reader".
Every dataset, attribute and group listing in the JSON sidecar is compared exactly with what h5py
reads (doubles bit for bit; "nan", "inf", "-inf" stand for the values JSON cannot hold), the
stored types are the documented ones (F64LE, I64LE, UTF-8 strings), datasets are contiguous (written
whole), and `h5dump -H` parses the file. Exit code 0 when all agree.
"""
import json
import math
import os
import struct
import subprocess
import sys

import h5py
import numpy as np

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def decode(value):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(value, value) \
        if isinstance(value, str) else float(value)


def same_double(a, b):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def check_dataset(f, path, spec):
    if path not in f:
        fail(f"{path}: missing")
        return
    ds = f[path]
    if list(ds.shape) != spec["shape"]:
        fail(f"{path}: shape {ds.shape} != {spec['shape']}")
        return
    kind = spec["kind"]
    if kind == "float64":
        if ds.dtype != np.dtype("<f8"):
            fail(f"{path}: dtype {ds.dtype}, expected <f8")
        got = ds[()].ravel().tolist()
        want = [decode(v) for v in spec["values"]]
        if len(got) != len(want) or not all(same_double(a, b) for a, b in zip(got, want)):
            fail(f"{path}: {got} != {want}")
    elif kind == "int64":
        if ds.dtype != np.dtype("<i8"):
            fail(f"{path}: dtype {ds.dtype}, expected <i8")
        got = [int(v) for v in ds[()]]
        if got != spec["values"]:
            fail(f"{path}: {got} != {spec['values']}")
    elif kind in ("vlen_string", "fixed_string"):
        info = h5py.check_string_dtype(ds.dtype)
        if info is None or info.encoding != "utf-8":
            fail(f"{path}: not a UTF-8 string dataset ({ds.dtype})")
            return
        if (info.length is None) != (kind == "vlen_string"):
            fail(f"{path}: string length {info.length}, expected {kind}")
        got = list(ds.asstr()[()]) if ds.shape[0] else []
        if got != spec["values"]:
            fail(f"{path}: {got!r} != {spec['values']!r}")
    else:
        fail(f"{path}: unknown kind {kind} in the sidecar")
    if ds.chunks is not None:
        fail(f"{path}: chunked ({ds.chunks}) though written whole")


def check_attribute(obj, path, name, spec):
    if name not in obj.attrs:
        fail(f"{path}@{name}: missing")
        return
    value = obj.attrs[name]
    kind, want = spec["kind"], spec["value"]
    if kind == "string":
        if not isinstance(value, str) or value != want:
            fail(f"{path}@{name}: {value!r} != {want!r}")
    elif kind == "int64":
        if obj.attrs.get_id(name).dtype != np.dtype("<i8") or int(value) != want:
            fail(f"{path}@{name}: {value!r} != {want!r}")
    elif kind == "float64":
        if obj.attrs.get_id(name).dtype != np.dtype("<f8") or not same_double(value, decode(want)):
            fail(f"{path}@{name}: {value!r} != {want!r}")
    else:
        fail(f"{path}@{name}: unknown kind {kind} in the sidecar")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = sys.argv[1]
    with open(os.path.join(directory, "sample.json"), encoding="utf-8") as handle:
        sidecar = json.load(handle)
    h5_path = os.path.join(directory, sidecar["file"])

    checked = 0
    with h5py.File(h5_path, "r") as f:
        for path, spec in sidecar["datasets"].items():
            check_dataset(f, path, spec)
            checked += 1
        for path, attributes in sidecar["attributes"].items():
            for name, spec in attributes.items():
                check_attribute(f[path], path, name, spec)
                checked += 1
            extra = sorted(set(f[path].attrs) - set(attributes))
            if extra:
                fail(f"{path}: attributes not in the sidecar: {extra}")
        for path, members in sidecar["groups"].items():
            got = sorted(f[path].keys())
            if got != members:
                fail(f"{path}: members {got} != {members}")
            checked += 1

    dump = subprocess.run(["h5dump", "-H", h5_path], capture_output=True, text=True)
    if dump.returncode != 0:
        fail(f"h5dump -H exited {dump.returncode}: {dump.stderr.strip()}")
    else:
        for path in sidecar["datasets"]:
            if f'DATASET "{path.rsplit("/", 1)[1]}"' not in dump.stdout:
                fail(f"h5dump -H does not show {path}")
        if "H5T_IEEE_F64LE" not in dump.stdout or "H5T_STD_I64LE" not in dump.stdout:
            fail("h5dump -H does not show the F64LE and I64LE types")
        if "CSET H5T_CSET_UTF8" not in dump.stdout:
            fail("h5dump -H does not show UTF-8 strings")

    print(f"{checked} objects compared with h5py {h5py.version.version} "
          f"(HDF5 {h5py.version.hdf5_version}); h5dump -H "
          f"{'parsed' if dump.returncode == 0 else 'FAILED'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
