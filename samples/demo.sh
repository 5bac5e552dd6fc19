#!/usr/bin/env bash
# Starts the myapp sample as a detached daemon, shows it running and what it
# logs, reloads it, and stops it. Run it with `npm run demo`: it builds only
# what is missing (`npm ci` already built dist/; the samples are compiled into
# build/ once). The pid file and the log file go to a temporary directory
# (MYAPP_DAEMON_PID_FILE and MYAPP_LOG_FILE name others).
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -e dist/mortar.js && -e dist/mortar-bundle.js ]] || npm run build
sample=build/samples/myapp/main.js
if [[ ! -e $sample || samples/myapp/main.ts -nt $sample || dist/mortar-bundle.js -nt $sample ]]; then
  echo "compiling the samples into build/"
  node node_modules/typescript/bin/tsc -p tsconfig.test.json
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mortar-demo.XXXXXX")
export MYAPP_DAEMON_PID_FILE=${MYAPP_DAEMON_PID_FILE:-$work/myapp.pid}
export MYAPP_LOG_FILE=${MYAPP_LOG_FILE:-$work/myapp.log}
pid_file=$MYAPP_DAEMON_PID_FILE
log_file=$MYAPP_LOG_FILE
app=(node "$sample")

# Stops the daemon if the demo ends early, by the pid it started; then removes the temporary files.
cleanup() {
  if [[ -s $pid_file ]] && "${app[@]}" daemon status >/dev/null 2>&1; then "${app[@]}" daemon stop >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "\$ myapp run-forever --daemon"
"${app[@]}" run-forever --daemon
pid=$(cat "$pid_file")
echo "started: pid file $pid_file names pid $pid"
echo
echo "\$ myapp daemon status"
"${app[@]}" daemon status
ps -o pid,ppid,sid,tty,user,args -p "$pid"
echo
echo "\$ kill -HUP $pid      # reopens the log file and reloads the config"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$log_file" && break; sleep 0.1; done
echo
echo "\$ myapp daemon stop"
"${app[@]}" daemon stop
test ! -e "$pid_file" && echo "pid file removed"
echo
echo "\$ cat $log_file      # what the daemon logged"
cat "$log_file"
