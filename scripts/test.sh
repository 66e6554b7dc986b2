#!/usr/bin/env bash
# Sets up and runs every test: installs the Debian packages (scripts/bootstrap.sh),
# builds twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer), and
# runs the whole ctest suite on both builds; the plain build adds the valgrind check.
# Build trees: build/ and build-asan/ at the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
# The upstream Kubernetes test tools (csi-sanity, sidecars, kube-apiserver, etcd), built
# from their Go modules into ~/.cache/vast-k8s: minutes the first time, seconds after.
echo "=== Kubernetes test tools (scripts/k8s-tools.sh) ==="
bash scripts/k8s-tools.sh
k8s_tools_bin=$(bash scripts/k8s-tools.sh --print-bin)
jobs=$(nproc)

run_suite() { # run_suite DIR [cmake args...]
  local dir=$1
  shift
  echo "=== build $dir $* ==="
  cmake -S . -B "$dir" -DVK_K8S_TOOLS_BIN="$k8s_tools_bin" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "=== test $dir ==="
  # ctest's own parallelism stays at 1: timing-sensitive integration tests (bounded
  # answers, shutdown grace) should not compete for two cores.
  ctest --test-dir "$dir" --output-on-failure
}

run_suite build
run_suite build-asan -DVK_SANITIZE=ON
echo "=== all tests passed (plain and ASan+UBSan builds) ==="
