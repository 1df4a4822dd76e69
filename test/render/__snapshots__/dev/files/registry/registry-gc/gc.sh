#!/bin/sh
NAMESPACE='registry'
DEPLOYMENT='registry'
CONTAINER='registry'
ROLLOUT_TIMEOUT_SECONDS='300'
DELETE_UNTAGGED='false'
READ_WRITE_CONFIG='/etc/docker/registry/config.yml'
READ_WRITE_PATCH='{"spec":{"template":{"spec":{"containers":[{"name":"registry","args":["serve","/etc/docker/registry/config.yml"]}]}}}}'
READ_ONLY_CONFIG='/etc/docker/registry/config-readonly.yml'
READ_ONLY_PATCH='{"spec":{"template":{"spec":{"containers":[{"name":"registry","args":["serve","/etc/docker/registry/config-readonly.yml"]}]}}}}'

# Garbage collection of the private registry without racing a push (distribution #3045, #3899):
# read-only while collecting, restarted read-write afterwards (stale blob cache: distribution #4702).
# renderGcScript (components/registry/render.ts) sets before this: NAMESPACE, DEPLOYMENT and
# CONTAINER (the registry's), ROLLOUT_TIMEOUT_SECONDS, DELETE_UNTAGGED (true or false), and for each
# of READ_WRITE and READ_ONLY the _CONFIG file to serve and the _PATCH that makes the container
# serve it.
set -eu

# Each kubectl call runs in the background and is waited for: the shell runs a trap only between
# commands, so a stopped job is handled at once, and its trap stops the call in flight.
call=
run() {
  "$@" &
  call=$!
  wait "$call"
}

# Restarts the registry serving config file $1, through patch $2, and waits for the rollout.
serve() {
  echo "registry: serving $1"
  run kubectl --namespace "$NAMESPACE" patch deployment "$DEPLOYMENT" --type strategic --patch "$2"
  run kubectl --namespace "$NAMESPACE" rollout status deployment "$DEPLOYMENT" --timeout "${ROLLOUT_TIMEOUT_SECONDS}s"
}

read_write() {
  serve "$READ_WRITE_CONFIG" "$READ_WRITE_PATCH"
}

# Back to read-write on every exit: success, failure, or the job being stopped. The rollout to
# read-write replaces the pod (Recreate), which ends a collection still running in it.
trap read_write EXIT
trap 'if [ -n "$call" ]; then kill "$call" 2>/dev/null || :; fi; exit 143' TERM INT

serve "$READ_ONLY_CONFIG" "$READ_ONLY_PATCH"
if [ "$DELETE_UNTAGGED" = true ]; then set -- --delete-untagged; else set --; fi
run kubectl --namespace "$NAMESPACE" exec "deployment/$DEPLOYMENT" --container "$CONTAINER" -- registry garbage-collect "$@" "$READ_ONLY_CONFIG"
