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
import { readScript } from "../scripts";
import { shellQuote } from "../shell";

/**
 * Merges SETTINGS into the daemon.json on stdin (the contract is mergeDaemonJson in render.ts).
 * Values are carried as raw JSON text, so the node's formatting of untouched keys is kept and a
 * second run prints the same bytes.
 */
const MERGE_DAEMON_JSON_AWK = readScript("nodes", "merge-daemon-json.awk");

/**
 * Sets keys in tables of a containerd config.toml given as both file arguments (the first pass
 * learns values to inherit, the second prints). Refuses inline registry mirrors and TLS configs,
 * which containerd rejects next to config_path (its CRI plugin then fails to load).
 */
const EDIT_CONTAINERD_TOML_AWK = readScript("nodes", "edit-containerd-toml.awk");

/** The functions every apply script shares: staging, installing with a kept copy, rolling back. */
const APPLY_LIB = readScript("nodes", "apply-lib.sh");

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

${APPLY_LIB}
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
