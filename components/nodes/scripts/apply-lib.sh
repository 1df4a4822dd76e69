# The node's apply script, common part. Writes a file only when its content differs (staged beside
# it, then renamed), keeps each original once in /var/lib/spark-gpu-stack/original, restarts the
# runtime only when a change needs it, checks that it came back, and puts the previous files back
# when it did not; then puts back what it installed for a runtime the node no longer has configured
# (put_back_runtime). Running it again changes nothing and restarts nothing. One run at a time (a lock);
# a run killed half-way (a dropped connection, SIGKILL) is finished by the next run.
#
# components/nodes/render-apply.ts sets before this: NODE (the node's name), UNIT (docker or
# containerd, the node's configured runtime), PROXY_DROP_IN and PROXY_ENVIRONMENT ("NAME=value"
# lines the runtime's process must have; both empty without a proxy), NVIDIA_RUNTIME (empty without a GPU),
# VOLUME_DIRECTORIES ("uid TAB gid TAB path" lines, the local volumes on this node) and the runtime's
# values; after it come apply-$UNIT.sh, stage_files (stage_owned for each file the stack owns),
# and the call of main. SPARK_GPU_STACK_ROOT, SPARK_GPU_STACK_SYSTEMCTL (and SPARK_GPU_STACK_CTR on
# containerd nodes) point it at another root directory and commands, SPARK_GPU_STACK_LOCK_WAIT sets
# how many seconds a run waits for another one (tests).

ROOT=${SPARK_GPU_STACK_ROOT:-}
SYSTEMCTL=${SPARK_GPU_STACK_SYSTEMCTL:-systemctl}
STATE=$ROOT/var/lib/spark-gpu-stack
# Copies of the files this run replaces, for the rollback.
PREVIOUS=$STATE/previous
# The paths staged, one a line, noted before each is made: the next run removes what a killed run left.
STAGED=$STATE/staged
# What the runtime still needs (daemon-reload, reload, restart; proxy-removed when a file that set a
# proxy variable was removed) for files already moved into place: written before the first such
# file moves, removed once the runtime runs with them.
PENDING=$STATE/$UNIT.restart-pending
# flock(1) on it keeps runs apart; the kernel releases it when a run dies, however it dies.
LOCK=$ROOT/run/spark-gpu-stack/apply.lock
LOCK_WAIT=${SPARK_GPU_STACK_LOCK_WAIT:-600}
# The files the stack owns and has installed for $UNIT, "path TAB effect" a line: one no longer
# rendered (a proxy dropped from the config, a registry endpoint changed) is put back as it was
# before the stack, which mostly means removed.
OWNED=$STATE/$UNIT.owned
# The runtime this run configures: put_back_runtime sets UNIT to another one for a while.
CONFIGURED_UNIT=$UNIT
# The SETTINGS merged into the runtime's config file (merged_config), which a later run that no
# longer renders one takes back out (the awk's BEFORE): this run's added before the file changes (a
# killed run's are known to the next), just this run's once the runtime runs with them, as OWNED.
MERGED=$STATE/$UNIT.merged
TAB=$(printf '\t')
# This run's files, as OWNED lists them.
RENDERED=''
# A proxy variable set in a drop-in or an EnvironmentFile.
PROXY_VARIABLE='(^|["[:space:]=])(https?|no)_proxy='
# This run, or the interrupted one it finishes, removed the stack's proxy files.
PROXY_REMOVED=false
NEEDS_DAEMON_RELOAD=false
NEEDS_RELOAD=false
NEEDS_RESTART=false

# Output may go nowhere (a dropped connection): a failed write must not stop the run.
say() { printf 'spark-gpu-stack %s: %s\n' "$UNIT" "$*" 2>/dev/null || :; }
fail() {
	printf 'spark-gpu-stack %s: %s\n' "$UNIT" "$*" >&2 2>/dev/null || :
	exit 1
}

# Waits up to LOCK_WAIT seconds for another run on this node to finish, then gives up naming it.
take_lock() {
	command -v flock >/dev/null 2>&1 ||
		fail "node $NODE has no flock (util-linux), which keeps two runs of this script apart: install util-linux; nothing was changed"
	mkdir -p "$(dirname "$LOCK")"
	exec 9>>"$LOCK"
	waited=0
	until flock -n 9; do
		holder=$(cat "$LOCK" 2>/dev/null) || :
		if [ "$waited" -ge "$LOCK_WAIT" ]; then
			fail "node $NODE: another run of this script (${holder:-holder unknown}) still holds $LOCK after ${LOCK_WAIT}s, maybe restarting $UNIT: run again once it has finished; nothing was changed"
		fi
		if [ "$waited" -eq 0 ]; then say "waiting for another run of this script (${holder:-holder unknown}) to release $LOCK"; fi
		sleep 1
		waited=$((waited + 1))
	done
	printf 'pid %s, started %s\n' "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$LOCK"
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

# Makes room for the staged version of $1, beside it (a rename within a directory is atomic), and
# notes it for remove_staged.
note_staged() {
	mkdir -p "$(dirname "$ROOT$1")"
	printf '%s\n' "$1" >>"$STAGED"
}
# Stages $1, a file the stack owns, with mode $2 and the content on standard input; $3 is what
# a change needs (see install_staged).
stage_owned() {
	note_staged "$1"
	RENDERED="$RENDERED$1$TAB$3
"
	: >"$ROOT$1.spark-gpu-stack-new"
	chmod "$2" "$ROOT$1.spark-gpu-stack-new"
	cat >"$ROOT$1.spark-gpu-stack-new"
}
# Stages $1, a file the stack merges into: a copy of the node's, keeping its mode, or a new empty one.
stage_merged() {
	note_staged "$1"
	if [ -e "$ROOT$1" ]; then
		cp -p "$ROOT$1" "$ROOT$1.spark-gpu-stack-new"
	else
		: >"$ROOT$1.spark-gpu-stack-new"
		chmod 0644 "$ROOT$1.spark-gpu-stack-new"
	fi
}
# The BEFORE of the awk that merges SETTINGS into $1: MERGED's lines. None on a node set up by a
# version without MERGED, or whose $1 the stack never changed (no original kept: the node had the
# keys itself), so nothing is undone there.
merged_before() {
	kept=$STATE/original$1
	if [ -f "$MERGED" ] && { [ -f "$kept" ] || [ -e "$kept.absent" ]; }; then cat "$MERGED"; fi
}
# The awk's ORIGINAL: the path of the node's $1 from before the stack; empty when it had none.
kept_original() {
	if [ -f "$STATE/original$1" ]; then printf '%s' "$STATE/original$1"; fi
}
# Adds SETTINGS $1 to MERGED, before the file they are merged into changes.
note_merged() {
	{ printf '%s\n' "$1"; if [ -f "$MERGED" ]; then cat "$MERGED"; fi; } | awk '!seen[$0]++' >"$MERGED.spark-gpu-stack-new"
	mv -f "$MERGED.spark-gpu-stack-new" "$MERGED"
}
# Leaves only SETTINGS $1 in MERGED, once the runtime runs with them.
finish_merged() {
	printf '%s\n' "$1" >"$MERGED.spark-gpu-stack-new"
	mv -f "$MERGED.spark-gpu-stack-new" "$MERGED"
}
# Removes the staged versions noted: this run's leftovers, or those of a run that was killed.
remove_staged() {
	if [ -f "$STAGED" ]; then
		while IFS= read -r path; do rm -rf "$ROOT$path.spark-gpu-stack-new"; done <"$STAGED"
		rm -f "$STAGED"
	fi
}

# Notes what a change needs: any of daemon-reload, reload, restart, and proxy-removed (which
# remove_dropped_files adds when the file it removes set a proxy variable).
needs() {
	case " $* " in *" daemon-reload "*) NEEDS_DAEMON_RELOAD=true ;; esac
	case " $* " in *" reload "*) NEEDS_RELOAD=true ;; esac
	case " $* " in *" restart "*) NEEDS_RESTART=true ;; esac
	case " $* " in *" proxy-removed "*) PROXY_REMOVED=true ;; esac
}

# A run killed after it moved files into place left PENDING: this run owes the runtime what that
# one did, and keeps that run's copies of the files it replaced, for a rollback to before it.
resume_interrupted_run() {
	if [ -f "$PENDING" ]; then
		say "an earlier run stopped before $UNIT ran with the files it installed; this run finishes it"
		needs "$(cat "$PENDING")"
	else
		rm -rf "$PREVIOUS"
	fi
	mkdir -p "$PREVIOUS"
	: >>"$PREVIOUS/changed"
}

# Before $1 changes: keeps its copy and notes it for the rollback, and adds what the change
# needs ($2) to PENDING.
begin_change() {
	keep_copy "$PREVIOUS" "$1"
	printf '%s\n' "$1" >>"$PREVIOUS/changed"
	if [ -n "$2" ]; then printf '%s ' "$2" >>"$PENDING"; fi
}

# Renames the staged version of $1 over it when the content differs; $2 lists what a change
# needs, as for needs().
install_staged() {
	if [ -f "$ROOT$1" ] && cmp -s "$ROOT$1.spark-gpu-stack-new" "$ROOT$1"; then
		rm -f "$ROOT$1.spark-gpu-stack-new"
		return 0
	fi
	keep_copy "$STATE/original" "$1"
	begin_change "$1" "$2"
	mv -f "$ROOT$1.spark-gpu-stack-new" "$ROOT$1"
	say "updated $1"
	needs "$2"
}

# Installs the files stage_files staged.
install_files() {
	while IFS="$TAB" read -r path effect; do
		if [ -n "$path" ]; then install_staged "$path" "$effect"; fi
	done <<EOF
$RENDERED
EOF
}

# A node set up by a version of this script without OWNED: the files that version owned are those
# it kept an original of, but for the runtime's config file it merges into.
seed_owned() {
	if [ -e "$OWNED" ]; then return 0; fi
	(cd "$STATE/original" && find . -type f) | sed 's/^\.//; s/\.absent$//' | while IFS= read -r path; do
		case $path in
		/etc/systemd/system/"$UNIT".service.d/*) printf '%s\tdaemon-reload restart\n' "$path" ;;
		/etc/spark-gpu-stack/"$UNIT"-*) printf '%s\trestart\n' "$path" ;;
		/etc/"$UNIT"/certs.d/*) printf '%s\t\n' "$path" ;;
		esac
	done >"$OWNED.spark-gpu-stack-new"
	mv -f "$OWNED.spark-gpu-stack-new" "$OWNED"
}

# The lines of OWNED whose file is no longer rendered; for a runtime the node no longer has
# (put_back_runtime), its merged config too, which OWNED never lists (a file merged into on every run).
dropped_files() {
	if [ "$UNIT" != "$CONFIGURED_UNIT" ]; then gone_config=$(merged_config "$UNIT"); else gone_config=''; fi
	{
		cat "$OWNED"
		if [ -n "$gone_config" ]; then printf '%s\trestart\n' "$gone_config"; fi
	} | RENDERED=$RENDERED awk -F '\t' '
		BEGIN { n = split(ENVIRON["RENDERED"], lines, "\n"); for (i = 1; i <= n; i++) { split(lines[i], file, "\t"); rendered[file[1]] } }
		!($1 in rendered) && !seen[$1]++'
}

# Adds this run's files to OWNED before the first one moves: a killed run's are known to the next.
note_owned() {
	{ printf '%s' "$RENDERED"; cat "$OWNED"; } | awk -F '\t' '!seen[$1]++' >"$OWNED.spark-gpu-stack-new"
	mv -f "$OWNED.spark-gpu-stack-new" "$OWNED"
}

# Puts each file the stack installed and no longer renders back as the node had it before the
# stack (its copy in $STATE/original), like any change: noted for the rollback and in PENDING first.
# A file the stack never changed (no original) is left alone.
remove_dropped_files() {
	while IFS="$TAB" read -r path effect; do
		original=$STATE/original$path
		if [ -e "$original.absent" ]; then
			[ -e "$ROOT$path" ] || continue
		elif [ -f "$original" ]; then
			# Its directory gone (say, with a runtime the node no longer has): nothing to put it back into.
			[ -d "$(dirname "$ROOT$path")" ] || continue
			! cmp -s "$original" "$ROOT$path" || continue
		else
			continue
		fi
		if grep -q -i -E "$PROXY_VARIABLE" "$ROOT$path" 2>/dev/null; then effect="$effect proxy-removed"; fi
		begin_change "$path" "$effect"
		restore_copy "$STATE/original" "$path"
		if [ -e "$original.absent" ]; then say "removed $path (no longer rendered)"; else say "put the node's own $path back (no longer rendered)"; fi
		needs "$effect"
	done <<EOF
$(dropped_files)
EOF
}

# Forgets the originals of the files remove_dropped_files put back: should the stack render one
# again, the node's file then is the original.
forget_dropped_originals() {
	dropped_files | while IFS="$TAB" read -r path effect; do
		rm -f "$STATE/original$path" "$STATE/original$path.absent"
	done
}

# Once the runtime runs with this run's files: OWNED lists just them.
finish_owned() {
	forget_dropped_originals
	printf '%s' "$RENDERED" >"$OWNED.spark-gpu-stack-new"
	mv -f "$OWNED.spark-gpu-stack-new" "$OWNED"
}

# The file the stack merges runtime $1's keys into (apply-docker.sh, apply-containerd.sh).
merged_config() {
	case $1 in
	docker) printf '%s' /etc/docker/daemon.json ;;
	containerd) printf '%s' /etc/containerd/config.toml ;;
	esac
}

# The node ran runtime $1 under the stack before (nodes.hosts[].runtime changed, say from docker to
# containerd): puts back every file of $1's OWNED, and its merged config (dropped_files), as
# remove_dropped_files puts back a file no longer rendered, and then forgets that list. Run in a
# subshell, with UNIT, OWNED and PENDING naming $1: a run killed half-way leaves its PENDING, which
# the next one finishes.
# An active $1 still runs with the stack's proxy (credentials in its environment) and keys: a
# restart drops them. An inactive or missing one starts from its files as they now are, so it is
# not started; daemon-reload still, as systemd would otherwise keep the removed drop-in, which
# names the EnvironmentFile removed with it (a later start would fail). No rollback when $1 does
# not come back: it would put back the proxy credentials of a runtime the stack no longer configures.
put_back_runtime() {
	UNIT=$1 OWNED=$STATE/$1.owned PENDING=$STATE/$1.restart-pending
	NEEDS_DAEMON_RELOAD=false NEEDS_RESTART=false
	resume_interrupted_run
	remove_dropped_files
	# begin_change's copies: no rollback here (above).
	rm -rf "$PREVIOUS"
	if $NEEDS_DAEMON_RELOAD; then "$SYSTEMCTL" daemon-reload; fi
	if $NEEDS_RESTART && "$SYSTEMCTL" is-active --quiet "$UNIT"; then
		say "restarting $UNIT, which the stack no longer configures, without the stack's files"
		if ! { "$SYSTEMCTL" restart "$UNIT" && "$SYSTEMCTL" is-active --quiet "$UNIT"; }; then
			fail "$UNIT did not come back with the node's own files, as they were before the stack: journalctl -u $UNIT tells why; stop $UNIT if the node no longer uses it"
		fi
	fi
	rm -f "$PENDING"
	forget_dropped_originals
	# With its original forgotten, what the stack merged into it ($1's MERGED) too.
	rm -f "$OWNED" "$STATE/$1.merged"
}

# Puts back the files of every other runtime the stack configured on this node.
put_back_other_runtimes() {
	for list in "$STATE"/*.owned; do
		other=${list##*/}
		other=${other%.owned}
		if [ -e "$list" ] && [ "$other" != "$UNIT" ]; then (put_back_runtime "$other"); fi
	done
}

# The value of kubelet flag $1 in $KUBELET_FLAGS (one argument a line), as --flag=value or --flag value.
kubelet_flag() {
	printf '%s\n' "$KUBELET_FLAGS" | awk -v flag="$1" '
		$0 == flag { if ((getline value) > 0) print value; exit }
		index($0, flag "=") == 1 { print substr($0, length(flag) + 2); exit }'
}

# Prints "endpoint TAB where it was read" for the kubelet's container runtime, nothing without a
# kubelet. As the kubelet itself: its --container-runtime-endpoint flag (read from the running
# kubelet's command line, else kubeadm's flags file) wins over containerRuntimeEndpoint in its config
# file (its --config, else kubeadm's /var/lib/kubelet/config.yaml), and without either it uses
# containerd's socket (the kubelet's default since 1.24).
kubelet_endpoint() {
	KUBELET_FLAGS='' flags_from=''
	for process in "$ROOT"/proc/[0-9]*; do
		if [ "$(cat "$process/comm" 2>/dev/null)" = kubelet ]; then
			KUBELET_FLAGS=$(tr '\0' '\n' <"$process/cmdline") flags_from="the kubelet's command line"
			break
		fi
	done
	if [ -z "$flags_from" ] && [ -f "$ROOT/var/lib/kubelet/kubeadm-flags.env" ]; then
		KUBELET_FLAGS=$(sed -n 's/^KUBELET_KUBEADM_ARGS=//p' "$ROOT/var/lib/kubelet/kubeadm-flags.env" | tr -d "\"'" | tr ' ' '\n')
		flags_from=/var/lib/kubelet/kubeadm-flags.env
	fi
	endpoint=$(kubelet_flag --container-runtime-endpoint)
	if [ -n "$endpoint" ]; then
		printf '%s\t%s\n' "$endpoint" "--container-runtime-endpoint in $flags_from"
		return 0
	fi
	# kubeadm's drop-in passes --config=/var/lib/kubelet/config.yaml; a running kubelet without --config reads no file.
	config=$(kubelet_flag --config)
	if [ -z "$config" ] && [ "$flags_from" != "the kubelet's command line" ]; then config=/var/lib/kubelet/config.yaml; fi
	if [ -n "$config" ] && [ -f "$ROOT$config" ]; then
		endpoint=$(sed -n "s/^containerRuntimeEndpoint:[[:space:]]*[\"']\{0,1\}\([^\"' #]*\).*/\1/p" "$ROOT$config" | head -n 1)
		if [ -n "$endpoint" ]; then
			printf '%s\t%s\n' "$endpoint" "containerRuntimeEndpoint in $config"
		else
			printf '%s\t%s\n' unix:///run/containerd/containerd.sock "the kubelet's default, $config setting none"
		fi
	elif [ -n "$flags_from" ]; then
		printf '%s\t%s\n' unix:///run/containerd/containerd.sock "the kubelet's default, $flags_from setting none"
	fi
}

# Stops before anything changes when the kubelet runs its pods on another runtime than the one
# configured: that runtime's settings (registry trust, proxy, nvidia) would do nothing for pods.
check_kubelet_runtime() {
	found=$(kubelet_endpoint)
	if [ -z "$found" ]; then
		say "no kubelet found (no running kubelet, /var/lib/kubelet/kubeadm-flags.env or /var/lib/kubelet/config.yaml): its runtime is not checked"
		return 0
	fi
	endpoint=$(printf '%s' "$found" | cut -f 1)
	read_from=$(printf '%s' "$found" | cut -f 2-)
	case $endpoint in
	*/cri-dockerd.sock) kubelet_runtime=docker ;;
	*/containerd.sock) kubelet_runtime=containerd ;;
	*) kubelet_runtime="a runtime this stack does not configure" ;;
	esac
	if [ "$kubelet_runtime" != "$UNIT" ]; then
		fail "node $NODE is configured with runtime $UNIT (nodes.hosts[].runtime), but its kubelet uses $kubelet_runtime: $endpoint ($read_from). Set nodes.hosts[].runtime to the kubelet's runtime (a docker node's kubelet talks to Docker through cri-dockerd.sock); nothing was changed"
	fi
	say "the kubelet uses $UNIT ($endpoint)"
}

# Refuses other drop-ins of the unit that set proxy variables (the seed's https-proxy.conf):
# systemd applies drop-ins in name order, so one would silently override the other.
refuse_competing_drop_ins() {
	for other in "$ROOT$(dirname "$PROXY_DROP_IN")"/*.conf; do
		if [ "$other" != "$ROOT$PROXY_DROP_IN" ] && [ -e "$other" ] && grep -q -i -E "$PROXY_VARIABLE" "$other"; then
			fail "$other sets proxy variables too, and systemd applies drop-ins in name order: remove it ($PROXY_DROP_IN replaces it); nothing was changed"
		fi
	done
}

# The runtime's main process's variables, one a line, from its /proc/<pid>/environ.
main_environ() {
	# Without --value, which systemd before 230 (RHEL 7) lacks: "MainPID=<pid>".
	pid=$("$SYSTEMCTL" show --property=MainPID "$UNIT") || return 1
	pid=${pid#MainPID=}
	case $pid in '' | 0 | *[!0-9]*) return 1 ;; esac
	tr '\0' '\n' 2>/dev/null <"$ROOT/proc/$pid/environ"
}

# Whether a drop-in of the unit (the node's own, the stack's being gone) sets variables: proxy
# ones, or any from an EnvironmentFile.
node_sets_environment() {
	for dropin in "$ROOT/etc/systemd/system/$UNIT.service.d"/*.conf; do
		if [ -e "$dropin" ] && grep -q -i -E "$PROXY_VARIABLE|^[[:space:]]*EnvironmentFile=" "$dropin"; then return 0; fi
	done
	return 1
}

# Whether the runtime's main process was started with every variable of PROXY_ENVIRONMENT, as its
# /proc/<pid>/environ shows (compared in the shell: the values never reach a command line). Once
# the stack's proxy is removed: with no proxy variable, unless the node's own drop-ins set some.
proxy_environment_current() {
	if [ -z "$PROXY_ENVIRONMENT" ]; then
		if ! $PROXY_REMOVED || node_sets_environment; then return 0; fi
		environ=$(main_environ) && ! printf '%s\n' "$environ" | grep -q -i -E '^(https?|no)_proxy='
		return
	fi
	environ=$(main_environ) || return 1
	printf '%s\n' "$PROXY_ENVIRONMENT" | while IFS= read -r variable; do
		case "
$environ
" in *"
$variable
"*) ;; *) exit 1 ;; esac
	done
}

# Whether the runtime is active, runs with the rendered proxy values, and loaded its config.
runtime_ok() {
	"$SYSTEMCTL" is-active --quiet "$UNIT" && proxy_environment_current && runtime_config_loaded
}

roll_back() {
	if [ ! -s "$PREVIOUS/changed" ]; then
		fail "$UNIT does not run with the rendered proxy values and config even after a restart, and no file changed to put back: journalctl -u $UNIT tells why"
	fi
	say "$UNIT did not come back with the new files; putting the previous ones back"
	while IFS= read -r path; do restore_copy "$PREVIOUS" "$path"; done <"$PREVIOUS/changed"
	if $NEEDS_DAEMON_RELOAD; then "$SYSTEMCTL" daemon-reload; fi
	if "$SYSTEMCTL" restart "$UNIT" && "$SYSTEMCTL" is-active --quiet "$UNIT"; then
		rm -f "$PENDING"
		fail "rolled back: $UNIT runs with the previous files again; journalctl -u $UNIT tells why the new ones failed"
	fi
	fail "rolled back, but $UNIT does not start with the previous files either; the node's originals are in $STATE/original"
}

apply_changes() {
	# Started before its proxy values last changed (by hand, or by an older version of this script):
	# restarted although no file changed.
	if ! $NEEDS_RESTART && [ -n "$PROXY_ENVIRONMENT" ] && "$SYSTEMCTL" is-active --quiet "$UNIT" && ! proxy_environment_current; then
		say "$UNIT runs with other proxy values than those rendered into its EnvironmentFile; restarting it"
		needs daemon-reload restart
	fi
	if $NEEDS_DAEMON_RELOAD; then "$SYSTEMCTL" daemon-reload; fi
	if $NEEDS_RELOAD && ! "$SYSTEMCTL" reload "$UNIT"; then say "reloading $UNIT failed; restarting it anyway"; fi
	if $NEEDS_RESTART; then
		say "restarting $UNIT"
		if "$SYSTEMCTL" restart "$UNIT" && runtime_ok; then return 0; fi
		roll_back
	fi
	runtime_ok || fail "$UNIT is not running with the expected environment, and this run changed nothing that needs a restart"
}

# Creates each local volume's directory that is missing, owned by the user its pod runs as (mode
# 0700; its parents, made here, root's with mode 0700). An existing directory is left as it is:
# it holds the volume's data, whose owner the kubelet may have adjusted (fsGroup).
make_volume_directories() {
	printf '%s\n' "$VOLUME_DIRECTORIES" | while IFS="$TAB" read -r uid gid path; do
		if [ -z "$path" ] || [ -d "$ROOT$path" ]; then continue; fi
		note_staged "$path"
		mkdir -p "$ROOT$path.spark-gpu-stack-new"
		chown "$uid:$gid" "$ROOT$path.spark-gpu-stack-new"
		chmod 0700 "$ROOT$path.spark-gpu-stack-new"
		mv "$ROOT$path.spark-gpu-stack-new" "$ROOT$path"
		say "created $path for uid $uid, gid $gid"
	done
}

# Stages every file first (a file that cannot be merged stops the run before anything changed),
# installs the ones whose content differs, then reloads and restarts only for what changed (or an
# interrupted run left undone), verifies, and rolls back when the runtime does not come back.
main() {
	# A dropped connection (ssh, systemd-run --pipe) must not stop the run half-way.
	trap '' HUP PIPE
	trap 'exit 1' INT TERM
	take_lock
	trap remove_staged EXIT
	check_kubelet_runtime
	if [ "$("$SYSTEMCTL" show --property=LoadState "$UNIT")" = LoadState=not-found ]; then
		fail "this node has no $UNIT service (nodes.hosts[].runtime names the node's runtime)"
	fi
	# With nvidia as the default runtime, the runtime would restart fine and then fail every container.
	if [ -n "$NVIDIA_RUNTIME" ] && [ ! -x "$ROOT$NVIDIA_RUNTIME" ]; then
		fail "$NVIDIA_RUNTIME is missing or not executable: install the NVIDIA Container Toolkit on this node, or set its nodes.hosts[].gpu to false; nothing was changed"
	fi
	mkdir -p "$STATE/original"
	remove_staged
	resume_interrupted_run
	check_runtime_config
	if [ -n "$PROXY_DROP_IN" ]; then refuse_competing_drop_ins; fi

	stage_files
	stage_runtime_config

	seed_owned
	note_owned
	install_files
	install_runtime_config
	remove_dropped_files

	apply_changes
	finish_owned
	finish_runtime_config
	rm -f "$PENDING"
	rm -rf "$PREVIOUS"
	put_back_other_runtimes
	make_volume_directories
	say "configured"
}
