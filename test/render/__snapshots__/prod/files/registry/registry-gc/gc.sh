#!/bin/sh
# Garbage collection of the private registry without racing a push (distribution #3045, #3899):
# read-only while collecting, restarted read-write afterwards (stale blob cache: distribution #4702).
set -eu

# Each kubectl call runs in the background and is waited for: the shell runs a trap only between
# commands, so a stopped job is handled at once, and its trap stops the call in flight.
call=
run() {
  "$@" &
  call=$!
  wait "$call"
}

serve() {
  echo "registry: serving $1"
  run kubectl --namespace 'registry' patch deployment 'registry' --type strategic --patch "$2"
  run kubectl --namespace 'registry' rollout status deployment 'registry' --timeout 300s
}

read_write() {
  serve config.yml '{"spec":{"template":{"spec":{"containers":[{"name":"registry","args":["serve","/etc/docker/registry/config.yml"]}]}}}}'
}

# Back to read-write on every exit: success, failure, or the job being stopped. The rollout to
# read-write replaces the pod (Recreate), which ends a collection still running in it.
trap read_write EXIT
trap 'if [ -n "$call" ]; then kill "$call" 2>/dev/null || :; fi; exit 143' TERM INT

serve config-readonly.yml '{"spec":{"template":{"spec":{"containers":[{"name":"registry","args":["serve","/etc/docker/registry/config-readonly.yml"]}]}}}}'
run kubectl --namespace 'registry' exec deployment/registry --container 'registry' -- registry garbage-collect /etc/docker/registry/config-readonly.yml
