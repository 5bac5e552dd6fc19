#!/usr/bin/env bash
# Starts the myapp sample as a detached daemon, shows it running, and stops it.
# Run it with `npm run demo` (which builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
app=(node build/samples/myapp/main.js)
pid_file=${MYAPP_DAEMON_PID_FILE:-/tmp/myapp.pid}
export MYAPP_DAEMON_PID_FILE=$pid_file

echo "\$ myapp run-forever --daemon"
"${app[@]}" run-forever --daemon
pid=$(cat "$pid_file")
echo "started: pid file $pid_file names pid $pid"
echo
echo "\$ myapp daemon status"
"${app[@]}" daemon status
ps -o pid,ppid,sid,tty,user,args -p "$pid"
echo
echo "\$ myapp daemon stop"
"${app[@]}" daemon stop
test ! -e "$pid_file" && echo "pid file removed"
