#!/usr/bin/env bash
# The README's first command: installs what is missing, builds newswire, and runs it on
# config/demo.yaml: an embedded development Kafka broker on loopback, the feed directory
# ./var/inbox, the sample articles copied in once the daemon is ready, and a log line for every
# event as Kafka confirms it. Ctrl-C stops it (drain, flush, exit 0). While it runs, read the
# events from another terminal:  kcat -b "$(cat var/broker)" -C -t news.articles.tagged -J -e
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake --preset release >/dev/null
mkdir -p var
# Quiet unless the build fails; then show why.
cmake --build --preset release --target newswire >var/build.log 2>&1 || { cat var/build.log; exit 1; }

mkdir -p var/inbox
rm -f var/broker
(
  # Copy the samples once the daemon has written the broker address (it is then watching), so
  # the demo shows articles arriving through inotify rather than through the start-up scan.
  for _ in $(seq 1 300); do [[ -s var/broker ]] && break; sleep 0.1; done
  sleep 0.5
  for article in tests/data/articles/*.txt; do
    cp "$article" "var/inbox/.$(basename "$article").part"
    mv "var/inbox/.$(basename "$article").part" "var/inbox/$(basename "$article")"
  done
) &
exec build/release/newswire run -c config/demo.yaml "$@"
