#!/bin/sh
# Runs a command in a fresh, private network namespace: loopback up, multicast routed over lo
# with source 127.0.0.1. Tests inside can use fixed ports (30490, 13400) and run in parallel
# with other tests without clashing, and their traffic never leaves the namespace.
exec unshare --net sh -c '
  ip link set lo up &&
  ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
  exec "$@"' in-netns "$@"
