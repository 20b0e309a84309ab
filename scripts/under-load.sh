#!/usr/bin/env bash
# Runs a command with the CPU saturated, the way a loaded CI machine is: starts N busy loops (default two,
# one per core of the 2-core machine), runs the command, stops the loops by pid whatever happens, and
# prints the wall time and the load average seen. Exit status: the command's.
#
#   scripts/under-load.sh [--loops N] -- npm test
set -uo pipefail
loops=2
if [ "${1:-}" = "--loops" ]; then loops="$2"; shift 2; fi
if [ "${1:-}" = "--" ]; then shift; fi
if [ "$#" -eq 0 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "usage: scripts/under-load.sh [--loops N] -- <command> [args...]" >&2
  exit 2
fi
pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait "${pids[@]}" 2>/dev/null; }
trap stop EXIT INT TERM
for _ in $(seq "$loops"); do
  ( while :; do :; done ) &
  pids+=("$!")
done
echo "under-load: ${loops} busy loop(s), pids ${pids[*]}" >&2
start=$(date +%s.%N)
( while sleep 5; do awk '{print $1}' /proc/loadavg; done ) > /tmp/under-load.$$ &
sampler=$!
"$@"
status=$?
kill "$sampler" 2>/dev/null
end=$(date +%s.%N)
peak=$(sort -n /tmp/under-load.$$ 2>/dev/null | tail -1)
mean=$(awk '{s+=$1; n++} END {if (n) printf "%.1f", s/n}' /tmp/under-load.$$ 2>/dev/null)
rm -f /tmp/under-load.$$
printf 'under-load: exit %d, wall %.1f s, load average mean %s, peak %s\n' "$status" "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" "${mean:-?}" "${peak:-?}" >&2
exit "$status"
