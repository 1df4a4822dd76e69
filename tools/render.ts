// Offline render: runs the real program (bin/index.js) under Pulumi's mock runtime with a stack's
// config and writes what would be deployed. Usage:
//   npm run render -- <stack name | path to Pulumi.<stack>.yaml> [--out DIR]
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { clusterFacts } from "../policy/facts";
import { planViolations, policyConfig } from "../policy/rules";
import { fromYaml, toYaml } from "../components/yaml";
import { MANIFEST_FILE, renderManifest } from "./diff-manifest";
import { masked, resolve, SECRET_PLACEHOLDER, startMockRuntime, withoutStackTraces, type RecordedResource } from "./mock-runtime";

const PROJECT = "spark-gpu-stack";
/** The project root: the nearest folder above this file holding Pulumi.yaml (source or bin/). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, "Pulumi.yaml"))) {
    if (dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${__dirname}`);
    dir = dirname(dir);
  }
  return dir;
})();

export interface StackFile {
  readonly stack: string;
  /**
   * Config values: the project's without its prefix, other packages' (and misspelled prefixes, which
   * the program warns about) with theirs; objects as parsed, the project's secure values as placeholders.
   */
  readonly config: Record<string, unknown>;
  readonly secretKeys: string[];
  /** Placeholders standing for `secure:` values that cannot be decrypted here. */
  readonly placeholders: Record<string, string>;
}

/** A stack file that cannot be read: its message is one line naming the file and the problem. */
export class StackFileError extends Error {
  override name = "StackFileError";
}

/** The stack file's YAML, or a StackFileError naming the file, the line and the parser's reason. */
function parseStackYaml(path: string): unknown {
  const text = readFileSync(path, "utf8");
  // js-yaml first (YAML 1.2 core schema, as yaml reads it): loaded by the Pulumi SDK anyway and many
  // times faster than yaml on a large stack file. A file it refuses goes to yaml, whose errors name the line.
  try {
    return fromYaml(text) ?? {};
  } catch {}
  // Loaded only here: a render of a valid stack file never needs it.
  const { parseDocument } = require("yaml") as typeof import("yaml");
  const document = parseDocument(text);
  const [error] = document.errors;
  if (error) {
    const line = error.linePos?.[0];
    const reason = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${path}${line ? `:${line.line}:${line.col}` : ""}: invalid YAML: ${reason}`);
  }
  return document.toJS() ?? {};
}

/** A plan the whole-plan rules refuse: its message lists every violation, one a line. */
export class PlanError extends Error {
  override name = "PlanError";
}

/** Reads `stacks/Pulumi.<stack>.yaml` (or a path) the way the Pulumi CLI hands config to a program. */
export function readStackFile(stackOrPath: string): StackFile {
  // A name is a bare stack name; anything with a separator or a YAML suffix is a path, reported as given.
  const isPath = /[/\\]|\.ya?ml$/.test(stackOrPath);
  const path = isPath ? stackOrPath : join(ROOT, "stacks", `Pulumi.${stackOrPath}.yaml`);
  if (!existsSync(path)) {
    throw new StackFileError(
      isPath
        ? `${stackOrPath}: no such stack file`
        : `no stack "${stackOrPath}": stacks/Pulumi.${stackOrPath}.yaml does not exist (give a stack name from stacks/ or a path to a Pulumi.<stack>.yaml)`,
    );
  }
  const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(path))?.[1];
  if (!stack) throw new StackFileError(`${path}: a stack file is named Pulumi.<stack>.yaml`);
  const document = parseStackYaml(path) as { config?: Record<string, unknown> };
  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  const placeholders: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(document.config ?? {})) {
    const key = fullKey.startsWith(`${PROJECT}:`) ? fullKey.slice(PROJECT.length + 1) : fullKey;
    const secure = typeof value === "object" && value !== null && "secure" in value;
    if (secure && key === fullKey && key.includes(":")) continue; // another package's secret: nothing here reads it
    if (secure) {
      // The ciphertext's digest in the placeholder: a rotated secret renders differently (`npm run diff`).
      const digest = createHash("sha256").update(String(value.secure)).digest("hex").slice(0, 12);
      placeholders[key] = `undecrypted-secure-${key}-${digest}`;
      config[key] = placeholders[key];
      secretKeys.push(key);
    } else {
      config[key] = value;
    }
  }
  return { stack, config, secretKeys, placeholders };
}

const K8S_TYPE = /^kubernetes:([^:]+):([^:]+)$/;

function kubernetesObjects(resources: readonly RecordedResource[], shown: ReadonlyMap<RecordedResource, unknown>) {
  return resources
    .filter(
      (r) => r.custom && K8S_TYPE.test(r.type) && !r.type.startsWith("kubernetes:helm.sh/") && r.type !== "pulumi:providers:kubernetes",
    )
    .map((r) => ({ resource: r, object: shown.get(r) as { kind: string; metadata?: { name?: string; namespace?: string } } }));
}

function mermaid(resources: readonly RecordedResource[]): string {
  const id = new Map(resources.map((r, i) => [r.urn, `r${i}`]));
  const label = (r: RecordedResource) => `${r.type.split(":").pop()}: ${r.name}`.replace(/"/g, "'");
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const r of resources) {
    const parent = r.parent && id.has(r.parent) ? r.parent : undefined;
    const siblings = children.get(parent);
    if (siblings) siblings.push(r);
    else children.set(parent, [r]);
  }
  const lines = ["flowchart LR"];
  const emit = (r: RecordedResource, indent: string): void => {
    const kids = children.get(r.urn);
    if (kids) {
      lines.push(`${indent}subgraph ${id.get(r.urn)}["${label(r)}"]`);
      for (const k of kids) emit(k, `${indent}  `);
      lines.push(`${indent}end`);
    } else {
      lines.push(`${indent}${id.get(r.urn)}["${label(r)}"]`);
    }
  };
  for (const r of children.get(undefined) ?? []) emit(r, "  ");
  for (const r of resources) {
    for (const dep of new Set(r.dependencies)) if (id.has(dep) && dep !== r.parent) lines.push(`  ${id.get(dep)} --> ${id.get(r.urn)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Writes the rendered tree in place: an unchanged file is left untouched and only files no longer
 * rendered are removed (removing the whole previous tree cost more than the rest of a large render).
 */
function writeTree(outDir: string, files: ReadonlyMap<string, string>): void {
  const present = existsSync(outDir) ? readdirSync(outDir, { recursive: true, withFileTypes: true }) : [];
  for (const entry of present) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isDirectory() && !files.has(path)) rmSync(path);
  }
  for (const [path, content] of files) {
    if (existsSync(path) && readFileSync(path, "utf8") === content) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");

export interface RenderResult {
  readonly outDir: string;
  readonly resources: readonly RecordedResource[];
  readonly summary: string;
}

/** Runs the program for one stack and writes out/<stack>/. Throws ConfigError on bad config. */
export async function render(stackOrPath: string, outRoot = join(ROOT, "out")): Promise<RenderResult> {
  const started = process.hrtime.bigint();
  const stackFile = readStackFile(stackOrPath);
  const runtime = startMockRuntime({ stack: stackFile.stack, config: stackFile.config, secretKeys: stackFile.secretKeys });
  // The program declares its resources when it loads: out of require's cache, every render in one
  // process (the unit tests share their workers) runs it again.
  const programPath = join(ROOT, "bin", "index.js");
  delete require.cache[programPath];
  const exported: Record<string, unknown> = {};
  await withoutStackTraces(async () => {
    const program = require(programPath) as Record<string, unknown>;
    await runtime.settle();
    for (const [name, value] of Object.entries(program)) {
      if (value === undefined) continue;
      const { value: resolved, secret } = await resolve(value as never);
      exported[name] = secret ? SECRET_PLACEHOLDER : resolved;
    }
    await runtime.settle();
  });
  // The same rules and facts as `pulumi preview --policy-pack policy` (docs/ARCHITECTURE.md, "Whole-plan rules").
  const facts = clusterFacts(stackFile.config);
  // Registration order follows work that finishes off the main thread (the registry's bcrypt hashes,
  // the mock tls provider's certificates):
  // everything written lists resources by URN, so two renders of one stack are the same files.
  const resources = [...runtime.resources].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  // Each resource's inputs as shown (secrets masked), once for the rules and every file below.
  const shown = new Map(resources.map((r) => [r, masked(r.wire)]));
  const plan = resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: shown.get(r) }));
  const violations = planViolations(plan, facts);
  if (violations.length > 0) throw new PlanError(`stack "${stackFile.stack}": the plan would not come up:\n${violations.join("\n")}`);

  const outDir = join(outRoot, stackFile.stack);
  const tree = new Map<string, string>();
  const writeFile = (path: string, content: string) => tree.set(path, content);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const nameOf = (urn: string | undefined) => {
    const r = urn === undefined ? undefined : byUrn.get(urn);
    return r && `${r.type}::${r.name}`;
  };
  writeFile(
    join(outDir, "resources.json"),
    JSON.stringify(
      {
        stack: stackFile.stack,
        undecryptedSecrets: Object.keys(stackFile.placeholders),
        outputs: exported,
        resources: resources.map((r) => {
          const parent = nameOf(r.parent);
          return {
            type: r.type,
            name: r.name,
            parent,
            dependencies: [...new Set(r.dependencies)].map(nameOf).filter((d) => d !== undefined && d !== parent),
            inputs: shown.get(r),
          };
        }),
      },
      null,
      2,
    ) + "\n",
  );
  for (const { object } of kubernetesObjects(resources, shown)) {
    const file = [object.kind, object.metadata?.namespace, object.metadata?.name]
      .filter(Boolean)
      .map((s) => safeName(String(s)))
      .join(".");
    writeFile(join(outDir, "kubernetes", `${file}.yaml`), toYaml(object));
  }
  for (const r of resources.filter((x) => x.type.startsWith("kubernetes:helm.sh/"))) {
    writeFile(join(outDir, "files", "helm", `${safeName(r.name)}.yaml`), toYaml(shown.get(r)));
  }
  // Components publish what they place on nodes or in containers as a `files` output: path -> content.
  // Everything shown is masked by its secretness alone (docs/ARCHITECTURE.md, "Config and secrets").
  for (const r of resources.filter((x) => !x.custom)) {
    const files = masked(runtime.outputs.get(r.urn) ?? {}).files as Record<string, string> | undefined;
    for (const [path, content] of Object.entries(files ?? {})) writeFile(join(outDir, "files", safeName(r.name), path), content);
  }
  writeFile(join(outDir, "graph.mmd"), mermaid(resources));
  writeFile(join(outDir, "policy-config.json"), `${JSON.stringify(policyConfig(facts), null, 2)}\n`);
  writeFile(join(outDir, MANIFEST_FILE), renderManifest(stackFile.stack, stackFile.placeholders, resources, runtime.outputs));
  writeTree(outDir, tree);

  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { outDir, resources, summary: summarize(stackFile, resources, byUrn, outDir, elapsedMs) };
}

function summarize(
  stackFile: StackFile,
  resources: readonly RecordedResource[],
  byUrn: ReadonlyMap<string, RecordedResource>,
  outDir: string,
  elapsedMs: number,
): string {
  const component = (r: RecordedResource): string => {
    let current: RecordedResource | undefined = r;
    while (current?.parent && byUrn.get(current.parent)?.parent) current = byUrn.get(current.parent);
    return current?.parent ? `${byUrn.get(current.parent)?.name ?? "?"}` : current === r && !r.custom ? r.name : "(top level)";
  };
  const counts = new Map<string, Map<string, number>>();
  for (const r of resources.filter((x) => x.custom)) {
    const c = component(r);
    const types = counts.get(c) ?? new Map<string, number>();
    types.set(r.type, (types.get(r.type) ?? 0) + 1);
    counts.set(c, types);
  }
  const lines = [
    `Rendered stack "${stackFile.stack}": ${resources.filter((r) => r.custom).length} resources in ${resources.filter((r) => !r.custom).length} components, ${elapsedMs.toFixed(0)} ms -> ${outDir}`,
  ];
  for (const [c, types] of [...counts].sort()) {
    lines.push(`  ${c}: ${[...types.values()].reduce((a, b) => a + b, 0)}`);
    for (const [t, n] of [...types].sort()) lines.push(`    ${n} x ${t}`);
  }
  if (Object.keys(stackFile.placeholders).length > 0) {
    lines.push(
      `  secure values not decrypted (placeholders, shown as ${SECRET_PLACEHOLDER}): ${Object.keys(stackFile.placeholders).join(", ")}`,
    );
  }
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const positional: string[] = [];
  let outRoot: string | undefined;
  let usageError = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== "--out") positional.push(argv[i]);
    else {
      outRoot = argv[++i];
      usageError ||= outRoot === undefined;
    }
  }
  if (usageError || positional.length !== 1) {
    console.error("usage: npm run render -- <stack name | path to Pulumi.<stack>.yaml> [--out DIR]");
    return 2;
  }
  try {
    const result = await render(positional[0], outRoot ? resolvePath(outRoot) : undefined);
    console.log(result.summary);
    return 0;
  } catch (error) {
    // ConfigError and PlanError list every problem, StackFileError is one line; anything else is a bug worth its stack trace.
    const listed =
      error instanceof Error && (error.name === "ConfigError" || error instanceof PlanError || error instanceof StackFileError);
    console.error(listed ? error.message : error);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
