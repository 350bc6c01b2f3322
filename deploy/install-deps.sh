#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running the newswire demo need.
# Idempotent and quiet when everything is already there. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config
  # libraries newswire links
  librdkafka-dev libasio-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libicu-dev
  libexpected-dev libsystemd-dev rapidjson-dev libxxhash-dev libgumbo-dev libpugixml-dev
  libcld2-dev libvectorscan-dev libfasttext-dev liblmdb-dev
  # data newswire reads: ISO 3166 country names and codes
  iso-codes
  # tests and benchmarks; python3-kafka is an independent Kafka client that reads the events back
  # (python3-zstandard lets it read zstd, newswire's default compression)
  libgtest-dev libgmock-dev libbenchmark-dev systemd util-linux python3-kafka
  python3-zstandard gnuplot-nox
  # fuzzing (tests/fuzz, the fuzz preset): clang with its libFuzzer and sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # the demo: reading events back
  kcat
  # the .deb (cpack -G DEB): dpkg-shlibdeps computes Depends, and CPack finds ELF files with file
  dpkg-dev file
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
