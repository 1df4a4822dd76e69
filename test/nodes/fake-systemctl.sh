#!/bin/sh
# Stand-in for systemctl in the apply-script tests. Records every call in $FAKE_DIR/calls and
# models what the script relies on: daemon-reload reads the units' drop-ins, restart starts a unit
# with what was last read (and fails, leaving it inactive, when the unit's config file contains
# $FAKE_BREAK_ON), show prints the running unit's Environment, ExecStart ($FAKE_DOCKERD_ARGS) and
# LoadState. A unit is active when $FAKE_DIR/active-<unit> exists.
set -eu
printf '%s\n' "$*" >>"$FAKE_DIR/calls"
config_of() {
	case $1 in
	docker) printf '%s' "$SPARK_GPU_STACK_ROOT/etc/docker/daemon.json" ;;
	*) printf '%s' "$SPARK_GPU_STACK_ROOT/etc/$1/config.toml" ;;
	esac
}
case $1 in
daemon-reload)
	for unit in docker containerd; do
		for dropin in "$SPARK_GPU_STACK_ROOT/etc/systemd/system/$unit.service.d/"*.conf; do
			[ -e "$dropin" ] || continue
			sed -n 's/^Environment="\(.*\)"$/\1/p' "$dropin" | sed 's/%%/%/g'
		done | tr '\n' ' ' | sed 's/ $//' >"$FAKE_DIR/loaded-$unit"
	done
	;;
restart)
	if [ -n "${FAKE_BREAK_ON:-}" ] && grep -q "$FAKE_BREAK_ON" "$(config_of "$2")" 2>/dev/null; then
		rm -f "$FAKE_DIR/active-$2"
		exit 1
	fi
	cat "$FAKE_DIR/loaded-$2" >"$FAKE_DIR/environment-$2" 2>/dev/null || : >"$FAKE_DIR/environment-$2"
	: >"$FAKE_DIR/active-$2"
	;;
reload) [ -e "$FAKE_DIR/active-$2" ] ;;
is-active) [ -e "$FAKE_DIR/active-$3" ] ;;
show)
	case $2 in
	--property=Environment) printf 'Environment=%s\n' "$(cat "$FAKE_DIR/environment-$3" 2>/dev/null || true)" ;;
	--property=ExecStart) printf 'ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd %s ; ignore_errors=no }\n' "${FAKE_DOCKERD_ARGS:--H fd://}" ;;
	--property=LoadState) if [ -e "$FAKE_DIR/missing-$3" ]; then echo LoadState=not-found; else echo LoadState=loaded; fi ;;
	*) exit 2 ;;
	esac
	;;
*) exit 2 ;;
esac
