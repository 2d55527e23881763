#!/usr/bin/env bash
# Sets up simrun on a fresh Debian machine: installs the Debian packages that
# are missing (as root), then configures and builds.
#
#   tools/setup.sh [--build-dir DIR] [--compiler gcc|clang] [--werror] [--no-build] [--target T]...
#                  [--sanitize] [--fuzz]
#
# --sanitize: AddressSanitizer + UndefinedBehaviorSanitizer build with clang in
# build-asan/ (cmake/sanitizers.cmake). --fuzz: the libFuzzer targets (also
# sanitized) with clang in build-fuzz/, only they are built (tools/fuzz.sh).
#
# SIMRUN_WERROR=ON in the environment has the same effect as --werror (CI).
#
# Uses ninja and ccache when present (they are in the package list).
set -euo pipefail

build_dir=
compiler=
sanitize=OFF
fuzz=OFF
werror=${SIMRUN_WERROR:-OFF}
do_build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --compiler) compiler=$2; shift 2 ;;
    --werror) werror=ON; shift ;;
    --no-build) do_build=0; shift ;;
    --target) targets+=(--target "$2"); shift 2 ;;
    --sanitize) sanitize=ON; shift ;;
    --fuzz) fuzz=ON; sanitize=ON; shift ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packages=(build-essential cmake ninja-build ccache clang clang-format
          libboost-context-dev libboost-program-options-dev nlohmann-json3-dev
          doctest-dev libvalijson-dev libfmt-dev libbenchmark-dev libxxhash-dev
          libmimalloc-dev)
# The browser tests of the HTML reports (tools/simrun/browser_tests.cmake).
packages+=(chromium)
# The simrun Python module, SCENARIO.py, and its pytest suite (tools/python).
packages+=(pybind11-dev python3-dev python3-pytest)
# The sanitizer and libFuzzer runtimes of clang 14 (--sanitize, --fuzz).
packages+=(libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ "$fuzz" = ON ]; then
  build_dir=${build_dir:-build-fuzz}
  [ ${#targets[@]} -gt 0 ] || targets=(--target scenario_fuzz --target wire_fuzz --target wire_seeds)
elif [ "$sanitize" = ON ]; then
  build_dir=${build_dir:-build-asan}
fi
build_dir=${build_dir:-build}
# libFuzzer is clang's; the sanitizer build uses clang too, so both share it.
[ "$sanitize" = ON ] && compiler=${compiler:-clang}
compiler=${compiler:-gcc}

case "$compiler" in
  gcc) cc=gcc; cxx=g++ ;;
  clang) cc=clang; cxx=clang++ ;;
  *) echo "setup.sh: --compiler must be gcc or clang" >&2; exit 2 ;;
esac

# Set only when asked: a build directory keeps what it was configured with.
instrument=()
[ "$sanitize" = ON ] && instrument+=(-DSIMRUN_SANITIZE=ON)
[ "$fuzz" = ON ] && instrument+=(-DSIMRUN_FUZZ=ON)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CC=$cc CXX=$cxx cmake -S . -B "$build_dir" "${generator[@]}" -DSIMRUN_WERROR="$werror" \
    "${instrument[@]}" >/dev/null
else
  cmake -S . -B "$build_dir" -DSIMRUN_WERROR="$werror" "${instrument[@]}" >/dev/null
fi
if [ "$do_build" -eq 1 ]; then
  cmake --build "$build_dir" -j 2 "${targets[@]}"
fi
