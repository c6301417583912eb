#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: a new store on the embedded default key
# source, 100,000 generated credentials imported, then the blast-radius report.
# The store goes to $SEVER_DEMO_DIR (default: a new temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh >/dev/null
bin=$PWD/build/bin
demo=${SEVER_DEMO_DIR:-$(mktemp -d /tmp/sever-demo.XXXXXX)}
mkdir -p "$demo"
export SEVER_DATA=$demo/sever-data
export SEVER_OPERATOR=${SEVER_OPERATOR:-demo}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step sever init
"$bin/sever" init
step "sever-load gen --count 100000 --seed 42 | sever import -"
"$bin/sever-load" gen --count 100000 --seed 42 | "$bin/sever" import -
step sever report
"$bin/sever" report --top 15
step "sever inventory --tool github --overprivileged --dormant-days 90 --limit 5"
"$bin/sever" inventory --tool github --overprivileged --dormant-days 90 --limit 5
step "sever inventory --state dormant --count"
"$bin/sever" inventory --state dormant --count
step "sever keys list (first 3 tenants)"
"$bin/sever" keys list >"$demo/keys.txt"
head -4 "$demo/keys.txt"
step sever audit verify
"$bin/sever" audit verify
printf '\nstore: %s (master key: %s.key)\n' "$SEVER_DATA" "$SEVER_DATA"
