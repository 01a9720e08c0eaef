#!/usr/bin/env bash
# Peak RSS by row count (issue 24): bench/materialize/materialize-redis.ts at each row count, every
# run against a dedicated redis-server (own port, no persistence, in a temp dir) so that 20M rows do
# not land in the shared Redis and its CPU delta is this bench's alone. Stopped by PID afterwards.
#
#   [FREC_ONLY=1] bash bench/materialize/rss-by-rows.sh [port=6391] [rows...=500000 5000000 20000000]
#
# FREC_ONLY=1 passes --frec-only (no raw floor: the peak-RSS column alone, a quarter of the time).
set -euo pipefail
PORT=${1:-6391}
shift || true
ROWS=("$@")
[ ${#ROWS[@]} -eq 0 ] && ROWS=(500000 5000000 20000000)
cd "$(dirname "$0")/../.."
RDIR=$(mktemp -d /tmp/frec-bench-redis-XXXXXX)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$RDIR" --daemonize no >"$RDIR/redis.log" 2>&1 &
RPID=$!
stop() { kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; rm -rf "$RDIR"; }
trap stop EXIT
# The machine is shared: if available memory drops under 2 GB, stop this Redis (the bench then fails) rather than the box.
( while kill -0 "$RPID" 2>/dev/null; do
    avail=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
    if [ "$avail" -lt 2048 ]; then echo "watchdog: MemAvailable ${avail} MB, stopping redis $RPID" >&2; kill "$RPID"; fi
    sleep 2
  done ) &
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
for n in "${ROWS[@]}"; do
  echo "=== $n rows, $(date -u +%FT%TZ), $(uptime)"
  free -m | sed -n 2p
  FREC_BENCH_REDIS_URL="redis://127.0.0.1:$PORT" npx tsx bench/materialize/materialize-redis.ts "$n" ${FREC_ONLY:+--frec-only}
  echo "redis used_memory_peak: $(redis-cli -p "$PORT" info memory | grep -E '^used_memory_peak_human' | tr -d '\r')"
  redis-cli -p "$PORT" memory purge >/dev/null || true
  echo "=== done $n rows, $(date -u +%FT%TZ), $(uptime)"
done
