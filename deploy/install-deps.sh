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
  # (zlib1g-dev: the eval test reads the gzipped extraction dataset)
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev systemd util-linux python3-kafka
  python3-zstandard gnuplot-nox
  # python3-jsonschema validates events of every format against docs/event.schema.json
  # (event_contract_test); promtool checks the alert rules and the /metrics exposition
  # (metrics_test, operator_endpoint_test): Debian ships it only in the prometheus package, whose
  # server install-deps keeps from starting (see below)
  python3-jsonschema prometheus
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
# The prometheus package's postinst enables prometheus.service and starts a server on :9090 (via
# systemd, or its init script where systemd is not running, and the install fails if that start
# fails). Only promtool is wanted: a policy-rc.d that forbids starting prometheus (unless the
# machine has a policy-rc.d of its own, as Docker images do: it forbids every start) for the
# install, then the service is disabled, so it does not start at boot either. `systemctl enable
# --now prometheus` undoes that.
installs_prometheus=false
[[ " ${missing[*]} " == *" prometheus "* ]] && installs_prometheus=true
policy=/usr/sbin/policy-rc.d
if $installs_prometheus && [[ ! -e $policy ]]; then
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
  # invoke-rc.d asks about "prometheus", deb-systemd-invoke about "prometheus.service".
  "${sudo[@]}" tee "$policy" >/dev/null <<'EOF'
#!/bin/sh
# Written by newswire's deploy/install-deps.sh for one apt-get run: no prometheus server.
case "$1" in prometheus | prometheus.service) exit 101 ;; esac
exit 0
EOF
  "${sudo[@]}" chmod 755 "$policy"
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# systemctl disables the unit and the init script's links, with or without a running systemd.
if $installs_prometheus && ! "${sudo[@]}" systemctl disable prometheus.service >/dev/null 2>&1; then
  echo "install-deps: could not disable prometheus.service: it may start at boot" >&2
fi
echo "install-deps: done" >&2
