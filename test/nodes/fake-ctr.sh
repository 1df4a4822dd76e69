#!/bin/sh
# Stand-in for containerd's ctr in the apply-script tests: `plugins ls` as containerd 1.6 prints
# it, with the CRI plugin in error when $FAKE_DIR/cri-error exists.
set -eu
printf 'ctr %s\n' "$*" >>"$FAKE_DIR/calls"
[ "$*" = "plugins ls" ] || exit 2
status=ok
[ ! -e "$FAKE_DIR/cri-error" ] || status=error
printf 'TYPE                                  ID                       PLATFORMS      STATUS\n'
printf 'io.containerd.snapshotter.v1          overlayfs                linux/amd64    ok\n'
printf 'io.containerd.grpc.v1                 cri                      linux/amd64    %s\n' "$status"
