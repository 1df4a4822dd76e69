# The apply script's containerd part: sets the stack's keys in /etc/containerd/config.toml with
# edit-containerd-toml.awk, in the file's layout (version 2 or 3). components/nodes/render-apply.ts
# sets CONTAINERD_SETTINGS_2 and _3, REGISTRY_TABLE_2 and _3, CERTS_DIR and EDIT_CONTAINERD_TOML_AWK.
CTR=${SPARK_GPU_STACK_CTR:-ctr}

# Picks the settings for the layout of the node's config.toml; a node without one gets layout 2.
check_runtime_config() {
	config="$ROOT/etc/containerd/config.toml"
	if [ -s "$config" ]; then
		layout=$(sed -n 's/^version[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$config" | head -n 1)
	else
		config="$PREVIOUS/empty-config.toml"
		printf 'version = 2\n' >"$config"
		layout=2
	fi
	case $layout in
	2) settings=$CONTAINERD_SETTINGS_2 registry_table=$REGISTRY_TABLE_2 ;;
	3) settings=$CONTAINERD_SETTINGS_3 registry_table=$REGISTRY_TABLE_3 ;;
	*) fail "$ROOT/etc/containerd/config.toml has no 'version = 2' or 'version = 3' line (containerd's first layout): migrate it with 'containerd config migrate' first" ;;
	esac
}

stage_runtime_config() {
	stage_merged /etc/containerd/config.toml
	SETTINGS=$settings BEFORE=$(merged_before /etc/containerd/config.toml) ORIGINAL=$(kept_original /etc/containerd/config.toml) \
		REGISTRY_TABLE=$registry_table CERTS_DIR=$CERTS_DIR awk "$EDIT_CONTAINERD_TOML_AWK" "$config" "$config" >"$ROOT/etc/containerd/config.toml.spark-gpu-stack-new" ||
		fail "could not edit $ROOT/etc/containerd/config.toml; nothing was changed"
}

install_runtime_config() {
	note_merged "$settings"
	install_staged /etc/containerd/config.toml restart
}

finish_runtime_config() {
	finish_merged "$settings"
}

# containerd keeps running when its CRI plugin rejects the config: ask for the plugin's state.
runtime_config_loaded() {
	if ! command -v "$CTR" >/dev/null 2>&1; then
		say "no $CTR on this node: the CRI plugin's state is not checked"
		return 0
	fi
	plugins=$("$CTR" plugins ls) || return 1
	printf '%s\n' "$plugins" | awk '($1 ~ /cri/ || $2 == "cri") && $NF == "error" { broken = 1 } END { exit broken }'
}
