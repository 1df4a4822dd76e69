# The apply script's docker part: merges the stack's keys into /etc/docker/daemon.json with
# merge-daemon-json.awk. components/nodes/render-apply.ts sets DOCKERD_FLAGS (the dockerd flags of
# those keys), DAEMON_JSON_SETTINGS and MERGE_DAEMON_JSON_AWK.

# dockerd refuses to start when a flag and daemon.json set the same option.
check_runtime_config() {
	exec_start=$("$SYSTEMCTL" show --property=ExecStart "$UNIT") || fail "cannot read how $UNIT starts dockerd"
	for flag in $DOCKERD_FLAGS; do
		case " $exec_start " in *" $flag "* | *" $flag="*)
			fail "dockerd is started with $flag, and daemon.json now sets the same option: dockerd refuses to start with both; remove the flag from $UNIT's ExecStart" ;;
		esac
	done
}

stage_runtime_config() {
	stage_merged /etc/docker/daemon.json
	current="$ROOT/etc/docker/daemon.json"
	[ -e "$current" ] || current=/dev/null
	SETTINGS=$DAEMON_JSON_SETTINGS BEFORE=$(merged_before /etc/docker/daemon.json) ORIGINAL=$(kept_original /etc/docker/daemon.json) \
		awk "$MERGE_DAEMON_JSON_AWK" <"$current" >"$ROOT/etc/docker/daemon.json.spark-gpu-stack-new" ||
		fail "$ROOT/etc/docker/daemon.json is not a JSON object this script can merge into; nothing was changed"
}

install_runtime_config() {
	note_merged "$DAEMON_JSON_SETTINGS"
	install_staged /etc/docker/daemon.json "reload restart"
}

finish_runtime_config() {
	finish_merged "$DAEMON_JSON_SETTINGS"
}

# dockerd does not start with a daemon.json it rejects: running is enough.
runtime_config_loaded() {
	:
}
