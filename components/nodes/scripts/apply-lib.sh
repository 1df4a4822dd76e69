say() { printf 'spark-gpu-stack %s: %s\n' "$UNIT" "$*"; }
fail() {
	printf 'spark-gpu-stack %s: %s\n' "$UNIT" "$*" >&2
	exit 1
}

# Copies $ROOT$2 into directory $1 unless it holds a copy already; "<path>.absent" marks a file
# that did not exist.
keep_copy() {
	copy=$1$2
	if [ -e "$copy" ] || [ -e "$copy.absent" ]; then return 0; fi
	mkdir -p "$(dirname "$copy")"
	if [ -e "$ROOT$2" ]; then cp -p "$ROOT$2" "$copy"; else : >"$copy.absent"; fi
}

# Puts $ROOT$2 back as directory $1 holds it.
restore_copy() {
	if [ -e "$1$2.absent" ]; then
		rm -f "$ROOT$2"
	else
		cp -p "$1$2" "$ROOT$2.spark-gpu-stack-new"
		mv -f "$ROOT$2.spark-gpu-stack-new" "$ROOT$2"
	fi
}

# Starts the staged version of $1 beside it (a rename within a directory is atomic): a file we
# own gets mode $2; a file we merge into starts as a copy of the node's, keeping its mode.
stage_owned() {
	mkdir -p "$(dirname "$ROOT$1")"
	: >"$ROOT$1.spark-gpu-stack-new"
	chmod "$2" "$ROOT$1.spark-gpu-stack-new"
}
stage_merged() {
	mkdir -p "$(dirname "$ROOT$1")"
	if [ -e "$ROOT$1" ]; then cp -p "$ROOT$1" "$ROOT$1.spark-gpu-stack-new"; else stage_owned "$1" 0644; fi
}

# Renames the staged version of $1 over it when the content differs; $2 lists what a change
# needs: daemon-reload, reload, restart.
install_staged() {
	if [ -f "$ROOT$1" ] && cmp -s "$ROOT$1.spark-gpu-stack-new" "$ROOT$1"; then
		rm -f "$ROOT$1.spark-gpu-stack-new"
		return 0
	fi
	keep_copy "$STATE/original" "$1"
	keep_copy "$PREVIOUS" "$1"
	mv -f "$ROOT$1.spark-gpu-stack-new" "$ROOT$1"
	printf '%s\n' "$1" >>"$PREVIOUS/changed"
	say "updated $1"
	case " $2 " in *" daemon-reload "*) NEEDS_DAEMON_RELOAD=true ;; esac
	case " $2 " in *" reload "*) NEEDS_RELOAD=true ;; esac
	case " $2 " in *" restart "*) NEEDS_RESTART=true ;; esac
}

roll_back() {
	say "$UNIT did not come back with the new files; putting the previous ones back"
	while IFS= read -r path; do restore_copy "$PREVIOUS" "$path"; done <"$PREVIOUS/changed"
	if $NEEDS_DAEMON_RELOAD; then "$SYSTEMCTL" daemon-reload; fi
	if "$SYSTEMCTL" restart "$UNIT" && "$SYSTEMCTL" is-active --quiet "$UNIT"; then
		fail "rolled back: $UNIT runs with the previous files again; journalctl -u $UNIT tells why the new ones failed"
	fi
	fail "rolled back, but $UNIT does not start with the previous files either; the node's originals are in $STATE/original"
}

apply_changes() {
	if $NEEDS_DAEMON_RELOAD; then "$SYSTEMCTL" daemon-reload; fi
	if $NEEDS_RELOAD && ! "$SYSTEMCTL" reload "$UNIT"; then say "reloading $UNIT failed; restarting it anyway"; fi
	if $NEEDS_RESTART; then
		say "restarting $UNIT"
		if "$SYSTEMCTL" restart "$UNIT" && runtime_ok; then return 0; fi
		roll_back
	fi
	runtime_ok || fail "$UNIT is not running with the expected environment, and this run changed nothing that needs a restart"
}
