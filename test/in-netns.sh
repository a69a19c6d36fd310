#!/usr/bin/env bash
# Runs a command inside a fresh network namespace that has only loopback, so nothing it starts
# (relay, Chromium, WebRTC ICE, mDNS) can reach any address but 127.0.0.1 / ::1.
set -euo pipefail
if [ "$#" -eq 0 ]; then echo "usage: $0 COMMAND [ARGS…]" >&2; exit 2; fi
if [ "${BW_IN_NETNS:-}" = 1 ]; then exec "$@"; fi # already inside one
if [ "$(id -u)" != 0 ]; then
  echo "in-netns: browser tests run in a loopback-only network namespace, which needs root (ip netns)." >&2
  exit 1
fi
if ! command -v ip >/dev/null; then
  echo "in-netns: 'ip' not found: apt-get install -y iproute2" >&2
  exit 1
fi
ns="bw-test-$$-$RANDOM"
ip netns add "$ns"
cleanup() {
  # Nothing started in the namespace outlives the command (a relay left behind would hold its port).
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  ip netns delete "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns exec "$ns" ip link set lo up
# Anything but lo would be a leak; fail loudly if the namespace somehow has more.
links=$(ip netns exec "$ns" ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
if [ "$links" != "lo " ]; then echo "in-netns: unexpected interfaces in $ns: $links" >&2; exit 1; fi
BW_IN_NETNS=1 ip netns exec "$ns" "$@"
