#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo incident: a new store on the embedded
# default key source, 100,000 generated credentials imported, the blast-radius report, then a
# breach of one tenant: its credentials frozen at once and revoked at every provider (a local
# fake provider stands in for GitHub, Google, Slack, … on 127.0.0.1), and the audit verified.
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
# The incident: the largest tenant's connections leaked.
tenant=$("$bin/sever" inventory --format csv --limit 1 | tail -n 1 | cut -d, -f1)
"$bin/sever-fake-provider" --listen 127.0.0.1:0 --max-seconds 300 >"$demo/fake.out" 2>/dev/null &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$demo/fake.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening 127.0.0.1://p' "$demo/fake.out")
"$bin/sever-load" fake-providers --port "$port" >"$demo/providers.json"
export SEVER_DEMO_SECRET=demo-secret
step "sever revoke --tenant $tenant --reason 'demo incident' --dry-run"
"$bin/sever" revoke --tenant "$tenant" --reason "demo incident" --providers "$demo/providers.json" --dry-run | tail -n 1
step "sever revoke --tenant $tenant --reason 'demo incident'"
"$bin/sever" revoke --tenant "$tenant" --reason "demo incident" --providers "$demo/providers.json" || true
job=$("$bin/sever" jobs list --format json | sed -n 's/.*"id": "\(r-[^"]*\)".*/\1/p' | head -n 1)
step "sever jobs show $job"
"$bin/sever" jobs show "$job" >"$demo/job.txt" || true
head -n 14 "$demo/job.txt"
first=$("$bin/sever" inventory --tenant "$tenant" --format csv --limit 1 | tail -n 1 | cut -d, -f2)
step "sever get $tenant $first   # refused: revoked"
"$bin/sever" get "$tenant" "$first" || echo "(exit $?)"
step sever audit verify
"$bin/sever" audit verify
printf '\nstore: %s (master key: %s.key)\n' "$SEVER_DATA" "$SEVER_DATA"
