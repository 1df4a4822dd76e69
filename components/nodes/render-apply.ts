// The per-node apply script: one POSIX sh file rendered from a NodePlan. It merges daemon.json and
// edits config.toml ON THE NODE, so keys the node already has survive. It does so with awk, the
// one tool POSIX puts on every node (busybox included); python3 and jq are often missing.
// The program is in scripts/ (apply-lib.sh, apply-<runtime>.sh and the awk files); this file
// renders the node's values in front of it and the files the stack owns.
import { readScript } from "../scripts";
import { shellQuote } from "../shell";
import {
  ADDED_TO_KEYS,
  CERTS_DIR,
  DOCKERD_FLAGS,
  dropInPath,
  NVIDIA_RUNTIME_BINARY,
  registryTable,
  type DaemonJson,
  type NodePlan,
  type PlacedFile,
  type RuntimeEdit,
  type TomlSetting,
} from "./render";

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

/** Checks, staging, install and rollback, whatever the runtime; then each runtime's own steps. */
const APPLY_LIB = readScript("nodes", "apply-lib.sh");
const RUNTIME_STEPS = { docker: readScript("nodes", "apply-docker.sh"), containerd: readScript("nodes", "apply-containerd.sh") };

const DELIMITER = "SPARK_GPU_STACK_EOF";

/** A here-document with a quoted delimiter: the shell expands nothing in it. */
function hereDoc(content: string): string {
  if (content.split("\n").includes(DELIMITER)) throw new Error(`content holds the here-document delimiter ${DELIMITER}`);
  return `<<'${DELIMITER}'\n${content.endsWith("\n") ? content : `${content}\n`}${DELIMITER}`;
}

/** A shell variable holding text verbatim. */
const textVariable = (name: string, content: string) => `${name}=$(cat ${hereDoc(content)}\n)`;

/**
 * SETTINGS of merge-daemon-json.awk: "key TAB member TAB value" lines, member empty for a whole
 * value, `[]` for a list the node keeps its entries in (ADDED_TO_KEYS).
 */
function daemonJsonSettings(desired: DaemonJson): string {
  return Object.entries(desired)
    .flatMap(([key, value]) => {
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return Object.entries(value).map(([member, v]) => `${JSON.stringify(key)}\t${JSON.stringify(member)}\t${JSON.stringify(v)}`);
      const member = ADDED_TO_KEYS.has(key) && Array.isArray(value) ? "[]" : "";
      return [`${JSON.stringify(key)}\t${member}\t${JSON.stringify(value)}`];
    })
    .join("\n");
}

/** SETTINGS of edit-containerd-toml.awk: "table TAB key TAB value TAB inherit-from" lines. */
const tomlSettings = (settings: readonly TomlSetting[]) =>
  settings.map((s) => [s.table, s.key, s.value ?? "", s.inheritFrom ?? ""].join("\t")).join("\n");

/** The values apply-docker.sh or apply-containerd.sh reads. */
function runtimeValues(edit: RuntimeEdit): string[] {
  if (edit.runtime === "docker") {
    const flags = Object.keys(edit.daemonJson).map((key) => DOCKERD_FLAGS[key]);
    return [
      `DOCKERD_FLAGS=${shellQuote(flags.join(" "))}`,
      textVariable("DAEMON_JSON_SETTINGS", daemonJsonSettings(edit.daemonJson)),
      textVariable("MERGE_DAEMON_JSON_AWK", MERGE_DAEMON_JSON_AWK),
    ];
  }
  return [
    `CERTS_DIR=${shellQuote(CERTS_DIR)}`,
    ...([2, 3] as const).flatMap((layout) => [
      `REGISTRY_TABLE_${layout}=${shellQuote(registryTable(layout))}`,
      textVariable(`CONTAINERD_SETTINGS_${layout}`, tomlSettings(edit.settings[layout])),
    ]),
    textVariable("EDIT_CONTAINERD_TOML_AWK", EDIT_CONTAINERD_TOML_AWK),
  ];
}

/** stage_files: the files the stack owns, written whole, with what a change of each needs. */
function ownedFiles(files: readonly PlacedFile[]): string {
  const stage = files.map(
    (f) => `\tstage_owned ${shellQuote(f.path)} ${f.mode} ${shellQuote(f.effect === "none" ? "" : f.effect)} ${hereDoc(f.content)}`,
  );
  return `stage_files() {\n${stage.length > 0 ? stage.join("\n") : "\t:"}\n}`;
}

/** The node's apply script (what it does is in scripts/apply-lib.sh). */
export function renderApplyScript(plan: NodePlan): string {
  const { runtime } = plan.edit;
  const values = [
    `NODE=${shellQuote(plan.node)}`,
    `UNIT=${runtime}`,
    `PROXY_DROP_IN=${shellQuote(plan.proxyEnvironment === undefined ? "" : dropInPath(runtime))}`,
    textVariable(
      "PROXY_ENVIRONMENT",
      Object.entries(plan.proxyEnvironment ?? {})
        .map(([name, value]) => `${name}=${value}`)
        .join("\n"),
    ),
    `NVIDIA_RUNTIME=${shellQuote(plan.gpu ? NVIDIA_RUNTIME_BINARY : "")}`,
    textVariable("VOLUME_DIRECTORIES", plan.volumeDirectories.map((d) => `${d.uid}\t${d.gid}\t${d.path}`).join("\n")),
    ...runtimeValues(plan.edit),
  ];
  return `#!/bin/sh
# Managed by spark-gpu-stack: configures the ${runtime} runtime of node ${plan.node}.
set -eu
umask 077

${values.join("\n")}

${APPLY_LIB}
${RUNTIME_STEPS[runtime]}
${ownedFiles(plan.files)}

# Last line: the shell has read the whole script before main runs, so nothing in it can read
# the script itself when it arrives on standard input (ssh, systemd-run --pipe).
main
`;
}
