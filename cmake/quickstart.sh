#!/usr/bin/env bash
# The README's quick start. On a fresh Debian 12 machine, as root (or with sudo):
#   bash cmake/quickstart.sh demo   installs what is missing, builds (Release), runs the demo
#   bash cmake/quickstart.sh test   installs what is missing, builds, runs every test
# Under CI (CI=true) the build treats warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  demo|test) ;;
  *) echo "usage: bash cmake/quickstart.sh demo|test" >&2; exit 2 ;;
esac

packages=(cmake ninja-build g++ pkg-config libeigen3-dev libsymspg-dev libhdf5-dev hdf5-tools
          libopenmpi-dev openmpi-bin libboost-program-options-dev catch2 liblbfgspp-dev
          libfmt-dev python3-numpy python3-sklearn python3-h5py python3-matplotlib
          python3-ase python3-pymatgen nlohmann-json3-dev slurm-wlm munge)
# The tests also run the DFT/NEB codes for real (tests/dft/), Quantum ESPRESSO and CP2K, check
# the formatting with Debian 12's clang-format (14), and fuzz every parser with clang's libFuzzer
# (tests/fuzz/run_fuzz.sh: clang, its runtime libraries, its OpenMP).
[[ $mode == test ]] && packages+=(quantum-espresso quantum-espresso-data cp2k cp2k-data clang-format
                                  clang libclang-rt-14-dev libomp-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  as_root=()
  [[ $(id -u) -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi

werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DIONSCREEN_WERROR="$werror" >/dev/null
cmake --build build --parallel 2

if [[ "$mode" == demo ]]; then
  # A Li campaign, then a Na campaign that starts from the Li posterior, both in threshold mode on
  # the built-in BVSE engine and local processes; then each is judged against the full landscape.
  rm -rf runs/demo-li runs/demo-na
  ./build/drivers/ionscreen run inputs/campaigns/demo_li.ini
  ./build/drivers/ionscreen run inputs/campaigns/demo_na.ini
  echo
  /usr/bin/python3 inputs/campaigns/compare_with_landscape.py runs/demo-li
  /usr/bin/python3 inputs/campaigns/compare_with_landscape.py runs/demo-na
else
  ctest --test-dir build --output-on-failure --parallel 2 --timeout 1800
  bash tests/fuzz/run_fuzz.sh --seconds 8
fi
