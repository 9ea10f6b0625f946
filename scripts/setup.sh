#!/usr/bin/env bash
# Installs what building and testing mcprune needs on Debian 12 (bookworm),
# and nothing when it is already there: LLVM/MLIR 22 from Debian's packages
# (static MLIR libraries for melior, tblgen, libclang for bindgen), lit,
# FileCheck and mlir-opt (llvm-22-tools, mlir-22-tools), a C++ compiler for
# the small C API shim, python3 for lit.
set -euo pipefail

packages=(
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools libclang-22-dev
  libpolly-22-dev clang-22 libzstd-dev libz3-dev libxml2-dev zlib1g-dev
  g++ python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

for tool in mlir-opt lit FileCheck; do
  if [ ! -x "/usr/lib/llvm-22/bin/$tool" ]; then
    echo "setup: /usr/lib/llvm-22/bin/$tool is missing after installing LLVM 22" >&2
    exit 1
  fi
done
