# The apply script's docker part: merges the stack's keys into /etc/docker/daemon.json with
# merge-daemon-json.awk. components/nodes/render-apply.ts sets DOCKERD_FLAGS (the dockerd flags of
# those keys), DAEMON_JSON_SETTINGS and MERGE_DAEMON_JSON_AWK.

# The SETTINGS merged into daemon.json, which a later run that no longer renders one takes back
# out (the awk's BEFORE): this run's added before daemon.json changes (a killed run's are known to
# the next), just this run's once docker runs with them, as OWNED.
MERGED=$STATE/docker.merged

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
	# Nothing to undo on a node set up by a version without MERGED, or whose daemon.json the stack
	# never changed (no original kept: the node had the keys itself).
	kept=$STATE/original/etc/docker/daemon.json
	before='' original=''
	if [ -f "$MERGED" ] && { [ -f "$kept" ] || [ -e "$kept.absent" ]; }; then
		before=$(cat "$MERGED")
		if [ -f "$kept" ]; then original=$kept; fi
	fi
	SETTINGS=$DAEMON_JSON_SETTINGS BEFORE=$before ORIGINAL=$original awk "$MERGE_DAEMON_JSON_AWK" <"$current" >"$ROOT/etc/docker/daemon.json.spark-gpu-stack-new" ||
		fail "$ROOT/etc/docker/daemon.json is not a JSON object this script can merge into; nothing was changed"
}

install_runtime_config() {
	{ printf '%s\n' "$DAEMON_JSON_SETTINGS"; if [ -f "$MERGED" ]; then cat "$MERGED"; fi; } | awk '!seen[$0]++' >"$MERGED.spark-gpu-stack-new"
	mv -f "$MERGED.spark-gpu-stack-new" "$MERGED"
	install_staged /etc/docker/daemon.json "reload restart"
}

finish_runtime_config() {
	printf '%s\n' "$DAEMON_JSON_SETTINGS" >"$MERGED.spark-gpu-stack-new"
	mv -f "$MERGED.spark-gpu-stack-new" "$MERGED"
}

# dockerd does not start with a daemon.json it rejects: running is enough.
runtime_config_loaded() {
	:
}
