// The per-node apply script: one POSIX sh file rendered from a NodePlan. It merges daemon.json and
// edits config.toml ON THE NODE, so keys the node already has survive. It does so with awk, the
// one tool POSIX puts on every node (busybox included); python3 and jq are often missing.
import {
  DOCKERD_FLAGS,
  dropInPath,
  NVIDIA_RUNTIME_BINARY,
  registryTable,
  type ContainerdLayout,
  type NodePlan,
  type TomlSetting,
} from "./render";
import { shellQuote } from "../shell";

/**
 * Merges SETTINGS into the daemon.json on stdin (the contract is mergeDaemonJson in render.ts).
 * Values are carried as raw JSON text, so the node's formatting of untouched keys is kept and a
 * second run prints the same bytes.
 */
export const MERGE_DAEMON_JSON_AWK = String.raw`# SETTINGS: one line per setting, "key TAB member TAB value", key and member as JSON strings and
# value as JSON text. An empty member replaces the key's value; a member sets one entry of an
# object-valued key and keeps its other entries.
function fail(message) {
	print "daemon.json: " message > "/dev/stderr"
	failed = 1
	exit 2
}
function trim(s) {
	sub(/^[ \t\r\n]+/, "", s)
	sub(/[ \t\r\n]+$/, "", s)
	return s
}
function skip_space() {
	while (pos <= len && index(" \t\r\n", substr(text, pos, 1)) > 0) pos++
}
function skip_string() {
	pos++
	while (pos <= len) {
		ch = substr(text, pos, 1)
		if (ch == "\\") pos += 2
		else if (ch == "\"") { pos++; return }
		else pos++
	}
	fail("unterminated string")
}
# Moves pos to the end of the value starting there: the next ',' '}' or ']' outside it.
function skip_value(   depth) {
	depth = 0
	while (pos <= len) {
		ch = substr(text, pos, 1)
		if (ch == "\"") { skip_string(); continue }
		if (ch == "{" || ch == "[") depth++
		else if (ch == "}" || ch == "]") { if (depth == 0) return; depth-- }
		else if (ch == "," && depth == 0) return
		pos++
	}
	fail("unexpected end of the file")
}
# Splits a JSON object into names[1..n] (quoted, as written) and values[1..n] (JSON text).
function split_object(object, names, values,   count, start) {
	text = object; len = length(text); pos = 1; count = 0
	skip_space()
	if (substr(text, pos, 1) != "{") fail("expected a JSON object")
	pos++; skip_space()
	if (substr(text, pos, 1) == "}") pos++
	else while (1) {
		skip_space()
		if (substr(text, pos, 1) != "\"") fail("expected a quoted key")
		start = pos; skip_string(); names[++count] = substr(text, start, pos - start)
		skip_space()
		if (substr(text, pos, 1) != ":") fail("expected ':' after " names[count])
		pos++; skip_space()
		start = pos; skip_value(); values[count] = trim(substr(text, start, pos - start))
		if (values[count] == "") fail("expected a value for " names[count])
		ch = substr(text, pos, 1); pos++
		if (ch == "}") break
		if (ch != ",") fail("expected ',' or '}' after the value of " names[count])
	}
	skip_space()
	if (pos <= len) fail("unexpected text after the object")
	return count
}
# The object (a new one when it is not an object) with the member settings of key applied.
function merge_members(key, object,   names, values, count, i, j, done, out) {
	count = (substr(object, 1, 1) == "{") ? split_object(object, names, values) : 0
	for (i = 1; i <= count; i++)
		for (j = 1; j <= nsettings; j++)
			if (setting_key[j] == key && setting_member[j] == names[i]) { values[i] = setting_value[j]; done[j] = 1 }
	for (j = 1; j <= nsettings; j++)
		if (setting_key[j] == key && setting_member[j] != "" && !(j in done)) { names[++count] = setting_member[j]; values[count] = setting_value[j] }
	out = "{"
	for (i = 1; i <= count; i++) out = out (i > 1 ? "," : "") "\n    " names[i] ": " values[i]
	return out "\n  }"
}
function merged(key, current,   j) {
	for (j = 1; j <= nsettings; j++)
		if (setting_key[j] == key) return setting_member[j] == "" ? setting_value[j] : merge_members(key, current)
}
BEGIN {
	nlines = split(ENVIRON["SETTINGS"], lines, "\n")
	for (i = 1; i <= nlines; i++) {
		if (lines[i] == "") continue
		if (split(lines[i], fields, "\t") != 3) fail("bad setting line " i)
		nsettings++
		setting_key[nsettings] = fields[1]; setting_member[nsettings] = fields[2]; setting_value[nsettings] = fields[3]
		wanted[fields[1]] = 1
	}
	input = ""
	while ((getline line) > 0) input = input line "\n"
	if (input ~ /^[ \t\r\n]*$/) input = "{}"
	count = split_object(input, names, values)
	for (i = 1; i <= count; i++)
		if (names[i] in wanted) { values[i] = merged(names[i], values[i]); placed[names[i]] = 1 }
	for (j = 1; j <= nsettings; j++)
		if (!(setting_key[j] in placed)) { names[++count] = setting_key[j]; values[count] = merged(setting_key[j], ""); placed[setting_key[j]] = 1 }
	out = "{"
	for (i = 1; i <= count; i++) out = out (i > 1 ? "," : "") "\n  " names[i] ": " values[i]
	print (count > 0 ? out "\n}" : "{}")
}
END { if (failed) exit 2 }
`;

/**
 * Sets keys in tables of a containerd config.toml given as both file arguments (the first pass
 * learns values to inherit, the second prints). A table's keys go right below its header, their
 * old lines dropped; missing tables are appended. Refuses inline registry mirrors and TLS configs,
 * which containerd rejects next to config_path (its CRI plugin then fails to load).
 */
export const EDIT_CONTAINERD_TOML_AWK = String.raw`# SETTINGS: one line per key, "table TAB key TAB value TAB inherit-from"; an empty value takes the
# same key's value in the inherit-from table, or leaves the key out when that has none.
# REGISTRY_TABLE: the table holding config_path; CERTS_DIR: where hosts.toml files live.
function fail(message) {
	print "config.toml: " message > "/dev/stderr"
	failed = 1
	exit 2
}
# The table a header line opens, without blanks; "" for any other line.
function table_of(line) {
	if (line !~ /^[ \t]*\[/) return ""
	sub(/^[ \t]*\[/, "", line)
	sub(/\][ \t]*(#.*)?$/, "", line)
	gsub(/[ \t]/, "", line)
	return line
}
function key_of(line) {
	if (line !~ /^[ \t]*[A-Za-z0-9_-]+[ \t]*=/) return ""
	sub(/^[ \t]*/, "", line)
	sub(/[ \t]*=.*$/, "", line)
	return line
}
function print_settings(table, indent,   j) {
	for (j = 1; j <= nsettings; j++)
		if (setting_table[j] == table && setting_value[j] != "") print indent "  " setting_key[j] " = " setting_value[j]
}
BEGIN {
	nlines = split(ENVIRON["SETTINGS"], lines, "\n")
	for (i = 1; i <= nlines; i++) {
		if (lines[i] == "") continue
		if (split(lines[i], fields, "\t") != 4) fail("bad setting line " i)
		nsettings++
		setting_table[nsettings] = fields[1]; setting_key[nsettings] = fields[2]
		setting_value[nsettings] = fields[3]; setting_inherit[nsettings] = fields[4]
		wanted[fields[1]] = 1
		wanted_key[fields[1], fields[2]] = 1
	}
	registry = ENVIRON["REGISTRY_TABLE"]
	move = ", which containerd refuses next to config_path: move it to " ENVIRON["CERTS_DIR"] "/<host>/hosts.toml"
}
FNR == NR {
	table = table_of($0)
	if (table != "") {
		current = table
		if (index(table, registry ".mirrors.") == 1) fail("[" table "] configures a registry mirror inline" move)
		if (index(table, registry ".configs.") == 1 && table ~ /\.tls$/) fail("[" table "] configures registry TLS inline" move)
		next
	}
	key = key_of($0)
	if (key != "") { value = $0; sub(/^[^=]*=[ \t]*/, "", value); known[current, key] = value }
	next
}
FNR == 1 {
	for (j = 1; j <= nsettings; j++)
		if (setting_value[j] == "" && (setting_inherit[j], setting_key[j]) in known) setting_value[j] = known[setting_inherit[j], setting_key[j]]
	current = ""
}
{
	table = table_of($0)
	if (table != "") {
		current = table
		print
		if (table in wanted) {
			indent = $0
			sub(/[^ \t].*$/, "", indent)
			print_settings(table, indent)
			written[table] = 1
		}
		next
	}
	key = key_of($0)
	if (!(key != "" && (current, key) in wanted_key)) print
}
END {
	if (failed) exit 2
	for (j = 1; j <= nsettings; j++) {
		if (setting_table[j] in written) continue
		print ""
		print "[" setting_table[j] "]"
		print_settings(setting_table[j], "")
		written[setting_table[j]] = 1
	}
}
`;

const DELIMITER = "SPARK_GPU_STACK_EOF";

/** A here-document with a quoted delimiter: the shell expands nothing in it. */
function hereDoc(content: string): string {
  if (content.split("\n").includes(DELIMITER)) throw new Error(`content holds the here-document delimiter ${DELIMITER}`);
  return `<<'${DELIMITER}'\n${content.endsWith("\n") ? content : `${content}\n`}${DELIMITER}`;
}

/** A shell variable holding text verbatim. */
const textVariable = (name: string, content: string) => `${name}=$(cat ${hereDoc(content)}\n)`;

function daemonJsonSettings(desired: Readonly<Record<string, unknown>>): string {
  return Object.entries(desired)
    .flatMap(([key, value]) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Object.entries(value).map(([member, v]) => `${JSON.stringify(key)}\t${JSON.stringify(member)}\t${JSON.stringify(v)}`)
        : [`${JSON.stringify(key)}\t\t${JSON.stringify(value)}`],
    )
    .join("\n");
}

const tomlSettings = (settings: readonly TomlSetting[]) =>
  settings.map((s) => [s.table, s.key, s.value ?? "", s.inheritFrom ?? ""].join("\t")).join("\n");

const staged = (path: string) => `"$ROOT"${shellQuote(`${path}.spark-gpu-stack-new`)}`;

const COMMON_FUNCTIONS = String.raw`say() { printf 'spark-gpu-stack %s: %s\n' "$UNIT" "$*"; }
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
}`;

function proxyCheck(noProxy: string | undefined): string {
  if (noProxy === undefined) return "";
  return `
	environment=$("$SYSTEMCTL" show --property=Environment "$UNIT") || return 1
	environment=\${environment#Environment=}
	case " $environment " in *" HTTP_PROXY="*) ;; *) return 1 ;; esac
	case " $environment " in *" HTTPS_PROXY="*) ;; *) return 1 ;; esac
	case " $environment " in *" NO_PROXY=$NO_PROXY_EXPECTED "*) ;; *) return 1 ;; esac`;
}

/**
 * Refuses a GPU node without the NVIDIA Container Toolkit: with nvidia as the default runtime, the
 * runtime would restart fine and then fail every container.
 */
function nvidiaRuntimeCheck(plan: NodePlan): string {
  const message = `${NVIDIA_RUNTIME_BINARY} is missing or not executable: install the NVIDIA Container Toolkit on this node, or set its nodes.hosts[].gpu to false; nothing was changed`;
  return plan.gpu ? `\n\t[ -x "$ROOT"${shellQuote(NVIDIA_RUNTIME_BINARY)} ] || fail ${shellQuote(message)}` : "";
}

/**
 * Refuses other drop-ins of the unit that set proxy variables (the seed's https-proxy.conf):
 * systemd applies drop-ins in name order, so one would silently override the other.
 */
function competingDropInCheck(plan: NodePlan): string {
  if (plan.noProxy === undefined) return "";
  const ours = dropInPath(plan.edit.runtime);
  return `
	for other in "$ROOT"${shellQuote(ours.slice(0, ours.lastIndexOf("/")))}/*.conf; do
		if [ "$other" != "$ROOT"${shellQuote(ours)} ] && [ -e "$other" ] && grep -q -i -E '(^|["[:space:]=])(https?|no)_proxy=' "$other"; then
			fail "$other sets proxy variables too, and systemd applies drop-ins in name order: remove it (${ours} replaces it); nothing was changed"
		fi
	done`;
}

function runtimeOk(plan: NodePlan): string {
  const criCheck =
    plan.edit.runtime === "containerd"
      ? String.raw`
	# containerd keeps running when its CRI plugin rejects the config: ask for the plugin's state.
	if ! command -v "$CTR" >/dev/null 2>&1; then
		say "no $CTR on this node: the CRI plugin's state is not checked"
		return 0
	fi
	plugins=$("$CTR" plugins ls) || return 1
	printf '%s\n' "$plugins" | awk '($1 ~ /cri/ || $2 == "cri") && $NF == "error" { broken = 1 } END { exit broken }'`
      : "";
  return `# Whether the runtime is active${plan.noProxy !== undefined ? " and shows the proxy environment" : ""}.
runtime_ok() {
	"$SYSTEMCTL" is-active --quiet "$UNIT" || return 1${proxyCheck(plan.noProxy)}${criCheck}
}`;
}

/** The runtime-specific part: the merged file, its variables, checks before anything changes, staging and install. */
interface RuntimeSteps {
  readonly mergedPath: string;
  readonly variables: readonly string[];
  readonly checks: string;
  readonly stage: string;
  readonly install: string;
}

function dockerSteps(desired: Readonly<Record<string, unknown>>): RuntimeSteps {
  const flags = Object.keys(desired).map((key) => DOCKERD_FLAGS[key]);
  return {
    mergedPath: "/etc/docker/daemon.json",
    variables: [
      textVariable("DAEMON_JSON_SETTINGS", daemonJsonSettings(desired)),
      textVariable("MERGE_DAEMON_JSON_AWK", MERGE_DAEMON_JSON_AWK),
    ],
    checks: String.raw`	exec_start=$("$SYSTEMCTL" show --property=ExecStart "$UNIT") || fail "cannot read how $UNIT starts dockerd"
	for flag in ${flags.join(" ")}; do
		case " $exec_start " in *" $flag "* | *" $flag="*)
			fail "dockerd is started with $flag, and daemon.json now sets the same option: dockerd refuses to start with both; remove the flag from $UNIT's ExecStart" ;;
		esac
	done`,
    stage: `	stage_merged /etc/docker/daemon.json
	current="$ROOT/etc/docker/daemon.json"
	[ -e "$current" ] || current=/dev/null
	SETTINGS=$DAEMON_JSON_SETTINGS awk "$MERGE_DAEMON_JSON_AWK" <"$current" >${staged("/etc/docker/daemon.json")} ||
		fail "$ROOT/etc/docker/daemon.json is not a JSON object this script can merge into; nothing was changed"`,
    install: `	install_staged /etc/docker/daemon.json "reload restart"`,
  };
}

function containerdSteps(settings: Readonly<Record<ContainerdLayout, readonly TomlSetting[]>>): RuntimeSteps {
  const layouts = [2, 3] as const;
  const layoutCase = layouts
    .map((layout) => `	${layout}) settings=$CONTAINERD_SETTINGS_${layout} registry_table=${shellQuote(registryTable(layout))} ;;`)
    .join("\n");
  return {
    mergedPath: "/etc/containerd/config.toml",
    variables: [
      `CTR=\${SPARK_GPU_STACK_CTR:-ctr}`,
      ...layouts.map((layout) => textVariable(`CONTAINERD_SETTINGS_${layout}`, tomlSettings(settings[layout]))),
      textVariable("EDIT_CONTAINERD_TOML_AWK", EDIT_CONTAINERD_TOML_AWK),
    ],
    checks: `	config="$ROOT/etc/containerd/config.toml"
	if [ -s "$config" ]; then
		layout=$(sed -n 's/^version[[:space:]]*=[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p' "$config" | head -n 1)
	else
		config="$PREVIOUS/empty-config.toml"
		printf 'version = 2\\n' >"$config"
		layout=2
	fi
	case $layout in
${layoutCase}
	*) fail "$ROOT/etc/containerd/config.toml has no 'version = 2' or 'version = 3' line (containerd's first layout): migrate it with 'containerd config migrate' first" ;;
	esac`,
    stage: `	stage_merged /etc/containerd/config.toml
	SETTINGS=$settings REGISTRY_TABLE=$registry_table CERTS_DIR=${shellQuote("/etc/containerd/certs.d")} awk "$EDIT_CONTAINERD_TOML_AWK" "$config" "$config" >${staged("/etc/containerd/config.toml")} ||
		fail "could not edit $ROOT/etc/containerd/config.toml; nothing was changed"`,
    install: `	install_staged /etc/containerd/config.toml restart`,
  };
}

/**
 * The node's apply script. Stages every file first (a file that cannot be merged stops the run
 * before anything changed), installs the ones whose content differs, then reloads and restarts
 * only for what changed, verifies, and rolls back when the runtime does not come back.
 * SPARK_GPU_STACK_ROOT, SPARK_GPU_STACK_SYSTEMCTL and SPARK_GPU_STACK_CTR point it elsewhere (tests).
 */
export function renderApplyScript(plan: NodePlan): string {
  const steps = plan.edit.runtime === "docker" ? dockerSteps(plan.edit.daemonJson) : containerdSteps(plan.edit.settings);
  const paths = [...plan.files.map((f) => f.path), steps.mergedPath];
  const variables = [...(plan.noProxy !== undefined ? [`NO_PROXY_EXPECTED=${shellQuote(plan.noProxy)}`] : []), ...steps.variables];
  const stageOwned = plan.files.map((f) => `	stage_owned ${shellQuote(f.path)} ${f.mode}\n	cat >${staged(f.path)} ${hereDoc(f.content)}`);
  const installOwned = plan.files.map((f) => `	install_staged ${shellQuote(f.path)} ${shellQuote(f.effect === "none" ? "" : f.effect)}`);
  return `#!/bin/sh
# Managed by spark-gpu-stack: configures the ${plan.edit.runtime} runtime of node ${plan.node}.
# Writes a file only when its content differs (staged beside it, then renamed), keeps each
# original once in /var/lib/spark-gpu-stack/original, restarts ${plan.edit.runtime} only when a change needs
# it, checks that it came back, and puts the previous files back when it did not. Running it again
# changes nothing and restarts nothing. SPARK_GPU_STACK_ROOT, SPARK_GPU_STACK_SYSTEMCTL (and
# SPARK_GPU_STACK_CTR on containerd nodes) point it at another root directory and commands (tests).
set -eu
umask 077

ROOT=\${SPARK_GPU_STACK_ROOT:-}
SYSTEMCTL=\${SPARK_GPU_STACK_SYSTEMCTL:-systemctl}
STATE=$ROOT/var/lib/spark-gpu-stack
# Copies of the files this run replaces, for the rollback.
PREVIOUS=$STATE/previous
UNIT=${plan.edit.runtime}
NEEDS_DAEMON_RELOAD=false
NEEDS_RELOAD=false
NEEDS_RESTART=false
${variables.join("\n")}

${COMMON_FUNCTIONS}

${runtimeOk(plan)}

remove_staged() { rm -f ${paths.map((p) => staged(p)).join(" ")}; }

main() {
	trap remove_staged EXIT
	trap 'exit 1' HUP INT TERM
	if [ "$("$SYSTEMCTL" show --property=LoadState "$UNIT")" = LoadState=not-found ]; then
		fail "this node has no $UNIT service (nodes.hosts[].runtime names the node's runtime)"
	fi${nvidiaRuntimeCheck(plan)}
	rm -rf "$PREVIOUS"
	mkdir -p "$STATE/original" "$PREVIOUS"
	: >"$PREVIOUS/changed"
${steps.checks}${competingDropInCheck(plan)}

${[...stageOwned, steps.stage].join("\n")}

${[...installOwned, steps.install].join("\n")}

	apply_changes
	rm -rf "$PREVIOUS"
	say "configured"
}

# Last line: the shell has read the whole script before main runs, so nothing in it can read
# the script itself when it arrives on standard input (ssh, systemd-run --pipe).
main
`;
}
