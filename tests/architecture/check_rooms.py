#!/usr/bin/env python3
"""The include directions of docs/architecture.md, checked on the source tree.

Usage: check_rooms.py ROOMS_FILE SOURCE_DIR

ROOMS_FILE is written by CMake (cmake/IonscreenRooms.cmake), one room per line:
"<name> <folder> : <rooms it may include>". A file belongs to the room whose folder is the
longest prefix of its path. Each quoted #include of a project header must name a header of the
file's own room or of a room it lists. Besides, a few C libraries have one home each: <mpi.h>
only in pipeline/mpi, <hdf5.h> only in pipeline/store/hdf5_file.cpp, <spglib.h> only in
structures/symmetry.cpp, Boost.Program_options only in drivers/. Exit 1 with one line per
violation (file:line, what it includes, why it may not), 0 when there is none.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
# System headers with one home: (pattern, the only room or file allowed, why).
HOMES = [
    (re.compile(r"^mpi\.h$"), "pipeline/mpi/", "only the mpi room includes <mpi.h>"),
    (re.compile(r"^hdf5(_hl)?\.h$|^H5"), "pipeline/store/hdf5_file.cpp",
     "only the HDF5 wrapper includes <hdf5.h>"),
    (re.compile(r"^spglib\.h$"), "structures/symmetry.cpp", "only the spglib adapter includes <spglib.h>"),
    (re.compile(r"^boost/program_options"), "drivers/", "Boost.Program_options lives in drivers/ only"),
]


def read_rooms(path):
    rooms = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip():
            continue
        head, _, allowed = line.partition(":")
        name, folder = head.split()
        rooms[name] = (folder.rstrip("/") + "/", set(allowed.split()))
    return rooms


def room_of(path, rooms):
    """The room whose folder is the longest prefix of `path` (None: outside every room)."""
    best = None
    for name, (folder, _) in rooms.items():
        if path.startswith(folder) and (best is None or len(folder) > len(rooms[best][0])):
            best = name
    return best


def cycles(rooms):
    """Rooms that can reach themselves through the allowed directions."""
    found = []
    for start in rooms:
        stack, seen = list(rooms[start][1]), set()
        while stack:
            room = stack.pop()
            if room == start:
                found.append(start)
                break
            if room in seen or room not in rooms:
                continue
            seen.add(room)
            stack.extend(rooms[room][1])
    return found


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    rooms = read_rooms(sys.argv[1])
    source = pathlib.Path(sys.argv[2])
    problems = [f"room {r} can include itself through other rooms: the directions have a cycle"
                for r in cycles(rooms)]
    problems += [f"room {r} lists unknown room {a}" for r, (_, allowed) in rooms.items()
                 for a in allowed if a not in rooms]
    files = 0
    for name, (folder, _) in sorted(rooms.items()):
        for path in sorted((source / folder).rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h"):
                continue
            relative = path.relative_to(source).as_posix()
            if room_of(relative, rooms) != name:
                continue  # a file of a nested room
            files += 1
            allowed = rooms[name][1] | {name}
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                quote, target = match.groups()
                where = f"{relative}:{number}: includes {target}"
                if quote == "<":
                    for pattern, home, why in HOMES:
                        if pattern.search(target) and not relative.startswith(home):
                            problems.append(f"{where}: {why}")
                    continue
                target_room = room_of(target, rooms)
                if target_room is None:
                    continue  # a header of a test or an outside library
                if target_room not in allowed:
                    problems.append(f"{where}: room {name} may include only "
                                    f"{', '.join(sorted(allowed))} (room {target_room} is not one; "
                                    "see docs/architecture.md)")
    for problem in problems:
        print(problem)
    print(f"{files} files in {len(rooms)} rooms: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
