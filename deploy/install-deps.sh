#!/usr/bin/env bash
# Installs the Debian 12 packages ecusim needs to build and test. Idempotent: it asks dpkg
# first and calls apt-get only for what is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build pkg-config g++ make git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libssl-dev prometheus-cpp-dev libasio-dev libyaml-cpp-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  # fuzzing (libFuzzer comes with clang's runtime)
  clang libclang-rt-14-dev
  # tests: real peers and independent decoders
  python3 python3-grpcio python3-protobuf python3-pytest python3-scapy python3-yaml tshark iproute2
  openssl curl util-linux
)
# The Node.js client (clients/node) and its test need node and npm. A node already on PATH
# (e.g. NodeSource's nodejs, which conflicts with Debian's npm) is used as it is.
if ! command -v node >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
