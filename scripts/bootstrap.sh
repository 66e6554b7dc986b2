#!/usr/bin/env bash
# Installs what vast-k8s needs to build, test and run, from Debian bookworm packages.
# Idempotent: packages already present are not touched, and apt-get runs only when
# something is missing. Needs root (or sudo) on a Debian machine.
#
#   scripts/bootstrap.sh          everything: build and test
#   scripts/bootstrap.sh --build  only what compiling the binaries needs (the Dockerfile's
#                                 build stage: no valgrind, Python or test tools)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # runtime libraries (headers)
  libgrpc-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev
  libcurl4-openssl-dev libjansson-dev libmount-dev libmicrohttpd-dev libgnutls28-dev libyaml-dev
  nettle-dev # vms-sim's S3 data plane (SHA-256/HMAC/MD5)
  libcmocka-dev # the unit tests; CMake's configure requires it
)
if [[ ${1:-} != --build ]]; then
  packages+=(
    # tests
    valgrind python3 python3-grpcio python3-grpc-tools procps
    python3-boto3 # vms-sim's S3 client tests
    python3-prometheus-client # the metrics tests read /metrics with Prometheus's own parser
    # the loopback Kubernetes control plane of tests/k8s (certificates)
    openssl
  )
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
