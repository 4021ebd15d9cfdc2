#!/usr/bin/env bash
# Load figures for `qiao serve` (README, "Benchmarks" › "Load").
#
#   apt-get install -y wrk                      # Debian's wrk 4.x
#   cargo build --release -p qiao-cli
#   .ci/load/run.sh sqlite   16 64              # or: .ci/load/run.sh postgres 16 64
#
# The first run for a database builds $LOAD_WORK/<db>: the demo data
# (`qiao demo --no-serve`) plus the 108,355 real documents of ../shared/data
# as capabilities (make-capabilities.py), every organization approved so all
# of it is public, 128 login accounts and a staff API token (prepare.py).
# PostgreSQL: a fresh database qiao_load on .ci/start-postgres's server.
# Then, per client count: a fresh `qiao serve` on 127.0.0.1, 5 s warm-up,
# DURATION s (default 20) of mixed.lua with wrk (2 threads; it shares the
# machine's cores with the server), then the server's peak RSS (VmHWM) and
# its per-route latency (from /metrics) are printed.
set -euo pipefail
db=${1:?sqlite or postgres}; shift
clients=${*:-16 64}
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/.ci/load"
qiao=${QIAO:-$root/target/release/qiao}
work=${LOAD_WORK:-/tmp/qiao-load}/$db
data=${QIAO_SHARED_DATA:-$root/../shared/data}
port=${LOAD_PORT:-18080}
base="http://127.0.0.1:$port"
export LOAD_DIR="$work" LOAD_THREADS=2 QIAO_LOG=${QIAO_LOG:-warn}
export QIAO_TRUSTED_PROXIES=127.0.0.1   # logins carry simulated client addresses
args=(--data-dir "$work/data")
if [ "$db" = postgres ]; then
  pg=$(bash "$root/.ci/start-postgres"); args+=(--database-url "${pg%/postgres}/qiao_load")
fi

serve() {
  "$qiao" serve --bind "127.0.0.1:$port" "${args[@]}" >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do curl -sf "$base/readyz" >/dev/null && return; sleep 0.5; done
  echo "server not ready" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
pid=; trap '[ -z "$pid" ] || kill "$pid"' EXIT

if [ ! -f "$work/prepared" ]; then
  rm -rf "$work"; mkdir -p "$work"
  if [ "$db" = postgres ]; then
    psql "$pg" -qc 'drop database if exists qiao_load' -c 'create database qiao_load'
  fi
  python3 "$here/make-capabilities.py" "$data" "$work/capabilities.jsonl"
  "$qiao" demo --no-serve "${args[@]}"
  "$qiao" import capabilities "$work/capabilities.jsonl" "${args[@]}" | tail -n 3
  admin=$("$qiao" token create --email admin@demo.qiao.cn --name load "${args[@]}" | tail -n 1)
  staff=$("$qiao" token create --email staff@demo.qiao.cn --name load "${args[@]}" | tail -n 1)
  serve
  python3 "$here/prepare.py" "$base" "$work" "$admin" "$staff" "$data/csl-dev-queries.jsonl"
  stop
  touch "$work/prepared"
fi

for c in $clients; do
  serve
  wrk -t2 -c"$c" -d5s --timeout 10s -s "$here/mixed.lua" "$base" >/dev/null   # warm-up
  echo "== $db, $c clients, $(nproc) cores shared by server and wrk"
  wrk -t2 -c"$c" -d"${DURATION:-20}"s --timeout 10s --latency -s "$here/mixed.lua" "$base" | sed -n '/^requests/,$p'
  echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status) (now anon $(awk '/RssAnon/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status))"
  curl -s "$base/metrics" | python3 "$here/routes.py"
  stop
done
