#!/usr/bin/env bash
# Install what qbench needs to build and test, from Debian's packages.
# Idempotent: installs only what is missing, and runs apt-get update only then.
set -euo pipefail

PACKAGES=(build-essential cmake pkg-config git python3 libpapi-dev papi-tools libpfm4-dev libcjson-dev
          gnuplot-nox chromium libopenblas-dev libdnnl-dev libpython3-dev
          liburing-dev libonnx-dev protobuf-c-compiler libprotobuf-c-dev python3-onnx python3-numpy
          libbenchmark-tools python3-scipy libsqlite3-dev sqlite3 libpq-dev postgresql)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: all packages present"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
