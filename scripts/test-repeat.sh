#!/usr/bin/env bash
# Run the whole suite N times, one run after another, each in a fresh clone of the committed HEAD,
# to find flaky tests. Usage:
#
#   npm run test:repeat -- [N] [--load] [--keep-logs DIR]
#
#   N            number of runs (default 3)
#   --load       keep one core busy with a busy loop during the runs (a loaded CI box)
#   --keep-logs  where the per-run logs go (default: a new directory under ${TMPDIR:-/tmp})
#
# Each run is `CI=true npm ci && npm test` in its own clone with its own empty TMPDIR (no Jest
# cache, PGlite fixture or leftovers from an earlier run: as cold as a CI box); clones and temp
# folders are removed after their run, logs are kept. At the end it prints, per run, pass/fail,
# duration and the failing tests, and exits non-zero when any run failed. It leaves no background
# process behind.
set -uo pipefail

runs=3
load=0
log_dir=''
while [ $# -gt 0 ]; do
  case "$1" in
    --load) load=1 ;;
    --keep-logs) shift; log_dir="${1:?--keep-logs needs a directory}" ;;
    --keep-logs=*) log_dir="${1#--keep-logs=}" ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    ''|*[!0-9]*) echo "test-repeat: unknown argument '$1'" >&2; exit 2 ;;
    *) runs="$1" ;;
  esac
  shift
done
[ "$runs" -ge 1 ] || { echo "test-repeat: N must be at least 1" >&2; exit 2; }

repo="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)" || exit 2
head="$(git -C "$repo" rev-parse HEAD)" || exit 2
work="$(mktemp -d "${TMPDIR:-/tmp}/test-repeat.XXXXXX")" || exit 2
# The Postgres suites run the server as the postgres user (when root) in folders under TMPDIR.
chmod 755 "$work"
[ -n "$log_dir" ] || log_dir="$work/logs"
mkdir -p "$log_dir"
log_dir="$(cd "$log_dir" && pwd)"

load_pid=''
run_pid=''
stop_load() {
  if [ -n "$load_pid" ]; then
    kill "$load_pid" 2>/dev/null
    wait "$load_pid" 2>/dev/null
    load_pid=''
  fi
}
cleanup() {
  stop_load
  if [ -n "$run_pid" ]; then
    # The run is its own process group (set -m below): end it and everything it started.
    kill -TERM -- "-$run_pid" 2>/dev/null
    sleep 2
    kill -KILL -- "-$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
    run_pid=''
  fi
  # Keep the logs, drop the clones.
  find "$work" -mindepth 1 -maxdepth 1 \( -name 'clone-*' -o -name 'tmp-*' \) -exec rm -rf {} + 2>/dev/null
  [ "$log_dir" = "$work/logs" ] || rmdir "$work" 2>/dev/null
}
trap cleanup EXIT
trap 'echo "test-repeat: interrupted" >&2; exit 130' INT TERM HUP

echo "test-repeat: $runs run(s) of $head$([ $load = 1 ] && echo ' with one core kept busy'), logs in $log_dir"

if [ $load = 1 ]; then
  node -e 'for (;;) {}' &
  load_pid=$!
fi

declare -a results durations failures
any_failed=0
for i in $(seq 1 "$runs"); do
  clone="$work/clone-$i"
  run_tmp="$work/tmp-$i"
  mkdir -p "$run_tmp" && chmod 1777 "$run_tmp"
  log="$log_dir/run-$i.log"
  echo "test-repeat: run $i/$runs started $(date -u +%H:%M:%S) UTC"
  start=$(date +%s)
  {
    echo "# run $i of $head, load=$load, started $(date -u +%FT%TZ)"
    git clone --quiet --no-hardlinks "$repo" "$clone" && git -C "$clone" checkout --quiet --detach "$head"
  } >"$log" 2>&1
  if [ $? -eq 0 ]; then
    # Its own process group, so an interrupt can end the suite's servers and browsers too.
    set -m
    (cd "$clone" && export TMPDIR="$run_tmp" && CI=true npm ci && npm test) >>"$log" 2>&1 &
    run_pid=$!
    set +m
    wait "$run_pid"
    rc=$?
    run_pid=''
  else
    rc=1
  fi
  end=$(date +%s)
  rm -rf "$clone" "$run_tmp"
  durations[$i]=$((end - start))
  if [ $rc -eq 0 ]; then results[$i]=pass; else results[$i]="FAIL(rc=$rc)"; any_failed=1; fi
  # Failing suites ("FAIL project path") and the "●" headers of failed tests, without colours
  # and without the "● Console" blocks of passing suites.
  failures[$i]="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
      /^Summary of all failing tests/ { summary = 1; next }
      /^FAIL / { if (!summary) print "    " $0; next }
      /^  ● / && $0 !~ /^  ● Console$/ { sub(/^  ● /, ""); print "      ● " $0 }
      /^(Test Suites|Tests):/ { print "    " $0 }
    ' | awk '!seen[$0]++')"
  echo "test-repeat: run $i/$runs ${results[$i]} in ${durations[$i]} s"
done

stop_load

echo
echo "==== test-repeat summary: $runs run(s) of ${head:0:12}, load=$load ===="
for i in $(seq 1 "$runs"); do
  printf 'run %2d  %-12s %5d s  %s\n' "$i" "${results[$i]}" "${durations[$i]}" "$log_dir/run-$i.log"
  if [ "${results[$i]}" != pass ] && [ -n "${failures[$i]}" ]; then
    printf '%s\n' "${failures[$i]}"
  fi
done
exit $any_failed
