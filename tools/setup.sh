#!/usr/bin/env bash
# Installs what sever needs from Debian's packages (only what is missing) and builds it into
# build/ (binaries in build/bin/). Safe to run again: it only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config git
          libcaf-dev librocksdb-dev libcurl4-openssl-dev libssl-dev libspdlog-dev libgtest-dev
          libcli11-dev nlohmann-json3-dev libsimdjson-dev libp11-kit-dev libjemalloc-dev softhsm2
          openssl curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build_type=${SEVER_BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build build -j"$(nproc)"
