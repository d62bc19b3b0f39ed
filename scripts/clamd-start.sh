#!/usr/bin/env bash
# Starts, or reuses, a clamd for development and tests, with the tiny offline
# signature database in scripts/clamav (EICAR only), kept apart from the
# system's /etc/clamav and /var/lib/clamav.
#
# PRODUCTION does not use this: there clamd runs with the official database
# kept current by freshclam (Debian's clamav-daemon and clamav-freshclam
# services), with the same limits as below: StreamMaxLength at least the upload
# limit, MaxFileSize/MaxScanSize at least StreamMaxLength, AlertExceedsMax yes.
# Here freshclam cannot reach the internet, and clamd refuses to start with an
# empty database directory, hence the custom one.
#
#   scripts/clamd-start.sh [RUN_DIR]      RUN_DIR default: /tmp/charlotte-clamd
#
# Prints `CLAMD_SOCKET=RUN_DIR/clamd.sock` on stdout (diagnostics on stderr), so:
#   eval "$(scripts/clamd-start.sh)"
# Idempotent: if a clamd already answers PING on that socket it is reused; a
# clamd of that RUN_DIR that is still loading is waited for. Starts in well
# under a second with this database; waits at most 60 s for PING.
# Stop it with: kill "$(cat RUN_DIR/clamd.pid)"
#
# Needs the clamav-daemon package (scripts/setup-system.sh) and node (for the
# PING). Not root: clamd keeps the identity that starts it (no `User` line;
# clamd 1.4 does not refuse to run as root), and the socket is mode 0600, so
# only that user can scan. The Debian package's own clamav-daemon/freshclam
# services are not used and do not interfere (other socket, other database).
set -euo pipefail
umask 077

here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "${1:-/tmp/charlotte-clamd}"
run_dir="$(cd "${1:-/tmp/charlotte-clamd}" && pwd)"
sock="$run_dir/clamd.sock"
# Unix socket paths are limited to 108 bytes (sun_path).
if [ "${#sock}" -gt 100 ]; then
  echo "clamd-start: socket path too long (${#sock} > 100 bytes): $sock" >&2
  exit 2
fi
if [[ "$run_dir" =~ [[:space:]] ]]; then
  # clamd.conf values cannot be quoted.
  echo "clamd-start: RUN_DIR must not contain whitespace: $run_dir" >&2
  exit 2
fi

clamd_bin="$(command -v clamd || true)"
if [ -z "$clamd_bin" ] && [ -x /usr/sbin/clamd ]; then clamd_bin=/usr/sbin/clamd; fi
if [ -z "$clamd_bin" ]; then
  echo "clamd-start: clamd not found; install Debian's clamav-daemon (scripts/setup-system.sh as root)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1; then
  echo "clamd-start: node not found (used to PING clamd)" >&2
  exit 1
fi

# zPING over the socket; success only on the exact reply PONG.
ping_clamd() {
  node -e '
    const s = require("node:net").connect(process.argv[1]);
    let reply = "";
    s.setTimeout(2000, () => process.exit(1));
    s.on("connect", () => s.write("zPING\0"));
    s.on("data", (d) => { reply += d; if (reply.includes("\0")) process.exit(reply === "PONG\0" ? 0 : 1); });
    s.on("error", () => process.exit(1));
    s.on("close", () => process.exit(1));
  ' "$sock" 2>/dev/null
}

# The pid in RUN_DIR/clamd.pid, if that process is a live clamd (not a zombie:
# in containers whose init does not reap, a dead daemon lingers as one).
running_pid() {
  local pid
  pid="$(cat "$run_dir/clamd.pid" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = clamd ] || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null || return 1
  echo "$pid"
}

fail() {
  echo "clamd-start: $1" >&2
  if [ -f "$run_dir/clamd.log" ]; then tail -n 20 "$run_dir/clamd.log" >&2; fi
  if [ -s "$run_dir/clamd.out" ]; then tail -n 20 "$run_dir/clamd.out" >&2; fi
  exit 1
}

# Two callers with the same RUN_DIR (parallel test workers) must not start two daemons.
exec 9>"$run_dir/start.lock"
flock -w 90 9 || fail "timed out waiting for $run_dir/start.lock"

if ping_clamd; then
  echo "CLAMD_SOCKET=$sock"
  exit 0
fi

if ! running_pid >/dev/null; then
  # A copy of the database: clamd's SelfCheck reloads it when it changes, and
  # only the signature files are copied (no README or editor leftovers).
  mkdir -p "$run_dir/db" "$run_dir/tmp"
  find "$run_dir/db" -mindepth 1 -delete
  cp "$here"/clamav/*.hdb "$here"/clamav/*.ndb "$run_dir/db/"
  cat >"$run_dir/clamd.conf" <<EOF
# Written by scripts/clamd-start.sh (rewritten on each start): dev/CI only.
LocalSocket $sock
LocalSocketMode 600
FixStaleSocket yes
# No TCPSocket line: clamd then opens no TCP listener.
DatabaseDirectory $run_dir/db
TemporaryDirectory $run_dir/tmp
PidFile $run_dir/clamd.pid
LogFile $run_dir/clamd.log
LogTime yes
Foreground no
# Must be at least the application's upload limit (longer streams: ERROR, refused).
StreamMaxLength 64M
# Must be at least StreamMaxLength: above these clamd skips data and answers OK...
MaxFileSize 64M
MaxScanSize 256M
# ...unless it reports the skip as a detection (Heuristics.Limits.Exceeded.*): fail closed.
AlertExceedsMax yes
EOF
  rm -f "$run_dir/clamd.pid"
  started=$SECONDS
  # stdio to a file and fd 9 closed: the daemon must not hold the caller's pipes
  # (a caller reading our output would wait for ever) nor the start lock.
  # LISTEN_* unset: clamd would otherwise take sockets passed by systemd.
  env -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES "$clamd_bin" -c "$run_dir/clamd.conf" </dev/null >>"$run_dir/clamd.out" 2>&1 9>&- ||
    fail "clamd exited with status $?"
fi

deadline=$((SECONDS + 60))
until ping_clamd; do
  if [ "$SECONDS" -ge "$deadline" ]; then fail "clamd did not answer PING on $sock within 60 s"; fi
  # clamd writes its pid file once daemonized; if it is gone (and a grace
  # second passed for it to appear), clamd died: say why now, not in 60 s.
  if [ "$((SECONDS - ${started:-0}))" -ge 2 ] && ! running_pid >/dev/null; then fail "clamd is not running"; fi
  sleep 0.2
done
echo "CLAMD_SOCKET=$sock"
