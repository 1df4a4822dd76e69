#!/bin/sh
# Stand-in for systemctl in the apply-script tests. Records every call in $FAKE_DIR/calls and
# models what the script relies on: daemon-reload reads the units' drop-ins (their
# EnvironmentFile= and Environment="..." lines), restart starts a unit's "main process" (fails,
# leaving it inactive, when the unit's config file contains $FAKE_BREAK_ON): a new MainPID whose
# $SPARK_GPU_STACK_ROOT/proc/<pid>/environ holds the Environment= variables and those of the
# EnvironmentFiles, read now as systemd reads them at start (double-quoted values, the shell's
# backslash escapes), then $FAKE_MANAGER_ENVIRONMENT's lines (what `systemctl set-environment`
# gives every service). show prints MainPID, ExecStart ($FAKE_DOCKERD_ARGS) and LoadState,
# as NAME=value lines.
# A unit is active when $FAKE_DIR/active-<unit> exists; a restart takes $FAKE_RESTART_SECONDS. $FAKE_KILL_ON names a call ("daemon-reload",
# "restart docker") on which it SIGKILLs its caller, as a dropped run dies.
set -eu
printf '%s\n' "$*" >>"$FAKE_DIR/calls"
if [ "$*" = "${FAKE_KILL_ON:-}" ]; then kill -KILL "$PPID"; fi
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
			sed -n 's/^EnvironmentFile=//p' "$dropin"
		done >"$FAKE_DIR/loaded-$unit"
		for dropin in "$SPARK_GPU_STACK_ROOT/etc/systemd/system/$unit.service.d/"*.conf; do
			[ -e "$dropin" ] || continue
			sed -n 's/^Environment="\(.*\)"$/\1/p' "$dropin"
		done >"$FAKE_DIR/environment-$unit"
	done
	;;
restart)
	if [ -n "${FAKE_BREAK_ON:-}" ] && grep -q "$FAKE_BREAK_ON" "$(config_of "$2")" 2>/dev/null; then
		rm -f "$FAKE_DIR/active-$2" "$FAKE_DIR/mainpid-$2"
		exit 1
	fi
	sleep "${FAKE_RESTART_SECONDS:-0}"
	pid=$(($(cat "$FAKE_DIR/last-pid" 2>/dev/null || echo 1000) + 1))
	echo "$pid" >"$FAKE_DIR/last-pid"
	mkdir -p "$SPARK_GPU_STACK_ROOT/proc/$pid"
	touch "$FAKE_DIR/loaded-$2"
	{
		while IFS= read -r file; do
			sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)="\(.*\)"$/\1=\2/p' "$SPARK_GPU_STACK_ROOT$file" | sed 's/\\\(.\)/\1/g'
		done <"$FAKE_DIR/loaded-$2"
		cat "$FAKE_DIR/environment-$2" 2>/dev/null || :
		if [ -n "${FAKE_MANAGER_ENVIRONMENT:-}" ]; then printf '%s\n' "$FAKE_MANAGER_ENVIRONMENT"; fi
	} | tr '\n' '\0' >"$SPARK_GPU_STACK_ROOT/proc/$pid/environ"
	echo "$pid" >"$FAKE_DIR/mainpid-$2"
	: >"$FAKE_DIR/active-$2"
	;;
reload) [ -e "$FAKE_DIR/active-$2" ] ;;
is-active) [ -e "$FAKE_DIR/active-$3" ] ;;
show)
	case $2 in
	# As systemd before 230 (RHEL 7), which has no --value.
	--property=MainPID) [ "$#" -eq 3 ] && printf 'MainPID=%s\n' "$(cat "$FAKE_DIR/mainpid-$3" 2>/dev/null || echo 0)" ;;
	--property=ExecStart) printf 'ExecStart={ path=/usr/bin/dockerd ; argv[]=/usr/bin/dockerd %s ; ignore_errors=no }\n' "${FAKE_DOCKERD_ARGS:--H fd://}" ;;
	--property=LoadState) if [ -e "$FAKE_DIR/missing-$3" ]; then echo LoadState=not-found; else echo LoadState=loaded; fi ;;
	*) exit 2 ;;
	esac
	;;
*) exit 2 ;;
esac
