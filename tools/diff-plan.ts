// What `pulumi up` would do to go from one render to another, from the two manifests alone
// (tools/diff-manifest.ts): the steps by URN, the replacements the providers' rules predict
// (tools/replacement-rules.ts), the data each delete or replace loses, and per node the files that change.
import type { SECRET_KEYS } from "../components/config";
import type { Manifest, ManifestResource } from "./diff-manifest";
import { kubernetesDeletesFirst, parsePath, pathMatches, providerRules, type PropertyPath } from "./replacement-rules";

export type Operation = "create" | "update" | "replace" | "delete";

export interface PropertyChange {
  /** As `pulumi preview --diff` prints it: `spec.template.spec.containers[0].image`. */
  readonly path: string;
  readonly kind: "add" | "delete" | "update";
  /** Absent for a secret: only that it changed is shown. */
  readonly old?: unknown;
  readonly new?: unknown;
  readonly secret: boolean;
  /** Why this change replaces the resource, naming the rule's source; absent for an in-place change. */
  readonly replaces?: string;
}

export interface Step {
  readonly operation: Operation;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Names of the parents, outermost first. */
  readonly parents: string[];
  readonly changes: PropertyChange[];
  /** For a replace: the old one goes before the new one is created. */
  readonly deleteBeforeReplace?: boolean;
  /** Set when the delete or replace loses data: what is lost. */
  readonly dataLoss?: string;
  /** What happens besides: provider behaviour, retainOnDelete, protect. */
  readonly notes: string[];
}

export interface FileChange {
  readonly path: string;
  readonly status: "added" | "removed" | "changed";
  /** Line diff (a new file: its lines) with secrets shown as [secret]; empty when only secrets changed. */
  readonly lines: string[];
  readonly credentialsChanged: boolean;
  /** What the apply script does after installing it: "daemon-reload restart", "" for nothing. */
  readonly effect?: string;
}

export interface NodeChange {
  readonly node: string;
  readonly status: "added" | "removed" | "changed";
  readonly files: FileChange[];
  readonly credentialsChanged: boolean;
  readonly restart: boolean;
}

export interface Plan {
  readonly steps: Step[];
  readonly nodes: NodeChange[];
  readonly summary: { create: number; update: number; replace: number; delete: number; dataLoss: number };
}

const SECRET_MARKER = /\[secret:[0-9a-f]+\]/g;
/** Text for people: every secret marker becomes [secret]. */
export const shown = (text: string) => text.replace(SECRET_MARKER, "[secret]");

function formatPath(path: PropertyPath): string {
  return path
    .map((s, i) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_$][\w$-]*$/.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`))
    .join("");
}

interface RawChange {
  readonly path: PropertyPath;
  readonly kind: PropertyChange["kind"];
  readonly old: unknown;
  readonly new: unknown;
}

/** Leaf-level differences; a value present on one side only is one change at its own path. */
function compare(old: unknown, now: unknown, path: PropertyPath = []): RawChange[] {
  if (JSON.stringify(old) === JSON.stringify(now)) return [];
  if (old === undefined) return [{ path, kind: "add", old, new: now }];
  if (now === undefined) return [{ path, kind: "delete", old, new: now }];
  if (Array.isArray(old) && Array.isArray(now)) {
    return Array.from({ length: Math.max(old.length, now.length) }, (_, i) => compare(old[i], now[i], [...path, i])).flat();
  }
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isMap(old) && isMap(now)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => compare(old[k], now[k], [...path, k]));
  }
  return [{ path, kind: "update", old, new: now }];
}

const containsSecret = (value: unknown) => JSON.stringify(value ?? null).match(SECRET_MARKER) !== null;

function propertyChanges(before: ManifestResource, after: ManifestResource): PropertyChange[] {
  const rules = providerRules(after.type);
  const ignored = [...(rules.ignored?.paths ?? []), ...after.options.ignoreChanges];
  return compare(before.inputs, after.inputs)
    .filter((c) => !ignored.some((p) => pathMatches(c.path, p) && c.path.length >= parsePath(p).length))
    .map((c) => {
      const rule = rules.replaces.find((r) => r.paths.some((p) => pathMatches(c.path, p)));
      const option = after.options.replaceOnChanges.find((p) => pathMatches(c.path, p));
      const replaces = rule
        ? `${rule.paths.find((p) => pathMatches(c.path, p))} (${rule.source})`
        : option
          ? `replaceOnChanges: ${option}`
          : undefined;
      const secret = containsSecret(c.old) || containsSecret(c.new);
      return {
        path: formatPath(c.path),
        kind: c.kind,
        ...(secret ? {} : { old: c.old, new: c.new }),
        secret,
        ...(replaces ? { replaces } : {}),
      };
    });
}

const KUBERNETES_OBJECT = /^kubernetes:(?!helm\.sh\/)[^:]+:[^:]+$/;
type K8sInputs = {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { volumeClaimTemplates?: { metadata?: { name?: string } }[]; persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string } };
};
const k8s = (r: ManifestResource) => (KUBERNETES_OBJECT.test(r.type) ? (r.inputs as K8sInputs) : undefined);

/**
 * What a delete (or the delete half of a replace) of `r` loses, if it holds data: a claim, a
 * StatefulSet with claim templates, a namespace holding either.
 */
function dataHeld(r: ManifestResource, all: readonly ManifestResource[]): string | undefined {
  const object = k8s(r);
  const name = `${object?.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object?.metadata?.name ?? r.name}`;
  switch (object?.kind) {
    case "PersistentVolumeClaim":
      return `claim ${name}: its volume is deleted with it (a dynamically provisioned volume's reclaimPolicy is Delete)`;
    case "StatefulSet": {
      const templates = object.spec?.volumeClaimTemplates ?? [];
      if (templates.length === 0) return undefined;
      const whenDeleted = object.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? "Retain";
      return `StatefulSet ${name} with claims ${templates.map((t) => t.metadata?.name).join(", ")} goes: its pods stop and ${
        whenDeleted === "Delete"
          ? "its claims are deleted (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete)"
          : "its claims survive only by persistentVolumeClaimRetentionPolicy.whenDeleted: Retain; a StatefulSet of the same name reuses them as they are (a new claim template never reaches an existing claim)"
      }`;
    }
    case "Namespace": {
      const holders = all.filter((x) => x !== r && k8s(x)?.metadata?.namespace === object.metadata?.name && dataHeld(x, all));
      if (holders.length === 0) return undefined;
      return `namespace ${name}: deleting it deletes everything in it, ${holders.map((h) => `${k8s(h)?.kind} ${k8s(h)?.metadata?.name}`).join(", ")}`;
    }
    default:
      return undefined;
  }
}

/** retainOnDelete and protect change what a delete does: said instead of the data loss. */
function deleteOutcome(r: ManifestResource, all: readonly ManifestResource[], sameName: boolean): { dataLoss?: string; notes: string[] } {
  const lost = dataHeld(r, all);
  if (r.options.protect) {
    return { notes: ["protect: `pulumi up` refuses to delete it and stops with an error; remove `protect` first"] };
  }
  if (r.options.retainOnDelete) {
    return {
      notes: [
        `retainOnDelete: Pulumi drops it from the stack and leaves it in the cluster${lost ? ", data included" : ""}${
          sameName ? "; the new one has the same name, so creating it fails until the old one is removed by hand" : ""
        }`,
      ],
    };
  }
  return { ...(lost ? { dataLoss: lost } : {}), notes: [] };
}

function parentsOf(r: ManifestResource, byUrn: ReadonlyMap<string, ManifestResource>): string[] {
  const chain: string[] = [];
  for (let p = r.parent && byUrn.get(r.parent); p; p = p.parent ? byUrn.get(p.parent) : undefined) chain.unshift(p.name);
  return chain;
}

function resourceSteps(base: Manifest, head: Manifest): Step[] {
  const baseByUrn = new Map(base.resources.map((r) => [r.urn, r]));
  const headByUrn = new Map(head.resources.map((r) => [r.urn, r]));
  // The head resource each base resource becomes: same URN, or a head resource aliasing it.
  const matchOf = new Map<string, ManifestResource>();
  for (const r of head.resources) {
    const previous = [r.urn, ...r.aliases].find((urn) => baseByUrn.has(urn) && !matchOf.has(urn));
    if (previous) matchOf.set(previous, r);
  }
  const matched = new Set([...matchOf.values()].map((r) => r.urn));
  const step = (
    operation: Operation,
    r: ManifestResource,
    byUrn: ReadonlyMap<string, ManifestResource>,
    rest: Partial<Step> = {},
  ): Step => ({
    operation,
    urn: r.urn,
    type: r.type,
    name: r.name,
    parents: parentsOf(r, byUrn),
    changes: [],
    notes: [],
    ...rest,
  });

  const steps: Step[] = [];
  for (const after of head.resources) {
    if (!matched.has(after.urn)) steps.push(step("create", after, headByUrn));
  }
  for (const before of base.resources) {
    const after = matchOf.get(before.urn);
    if (after === undefined) continue;
    const changes = propertyChanges(before, after);
    if (changes.length === 0) continue;
    const rules = providerRules(after.type);
    if (!changes.some((c) => c.replaces)) {
      steps.push(step("update", after, headByUrn, { changes, notes: rules.onUpdate ? [rules.onUpdate] : [] }));
      continue;
    }
    const before_ = before.inputs as Record<string, unknown>;
    const after_ = after.inputs as Record<string, unknown>;
    const providerFirst = KUBERNETES_OBJECT.test(after.type) && kubernetesDeletesFirst(before_, after_);
    const deleteBeforeReplace = after.options.deleteBeforeReplace || providerFirst;
    const outcome = deleteOutcome(before, base.resources, providerFirst);
    steps.push(
      step("replace", after, headByUrn, {
        changes,
        deleteBeforeReplace,
        ...(outcome.dataLoss ? { dataLoss: outcome.dataLoss } : {}),
        notes: [
          ...(after.options.deleteBeforeReplace ? ["deleteBeforeReplace (resource option)"] : []),
          ...(providerFirst ? ["same name and namespace: the provider deletes the old object first"] : []),
          ...outcome.notes,
        ],
      }),
    );
  }
  for (const before of base.resources) {
    if (matchOf.has(before.urn)) continue;
    const onDelete = providerRules(before.type).onDelete;
    const outcome = deleteOutcome(before, base.resources, false);
    steps.push(
      step("delete", before, baseByUrn, {
        ...(outcome.dataLoss ? { dataLoss: outcome.dataLoss } : {}),
        notes: [...(onDelete ? [onDelete(before.inputs as Record<string, unknown>)] : []), ...outcome.notes],
      }),
    );
  }
  const order: Record<Operation, number> = { create: 0, update: 1, replace: 2, delete: 3 };
  return steps.sort((a, b) => order[a.operation] - order[b.operation] || a.urn.localeCompare(b.urn));
}

/** Changed lines as "- old" / "+ new", from a longest common subsequence of the two texts' lines. */
export function lineDiff(oldText: string, newText: string): string[] {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

const NODES_COMPONENT = "spark-gpu-stack:nodes:NodeRuntimeConfig";
const APPLY_SCRIPT = "apply.sh";

const WORD = `('[^']*'|"[^"]*"|\\S+)`;
const CALLS = [
  new RegExp(`^\\s*stage_owned\\s+${WORD}\\s+\\S+\\s+${WORD}\\s+<<`, "gm"),
  new RegExp(`^\\s*install_staged\\s+${WORD}\\s*${WORD}?\\s*$`, "gm"),
];
/**
 * Per file on the node, what the node's apply script does once it installed it, or removed it as no
 * longer rendered: `stage_owned <path> <mode> <effect> <<...` for the files the stack owns,
 * `install_staged <path> <effect>` for those it merges into.
 */
function effects(applyScript: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  const unquote = (s: string | undefined) => (s ?? "").replace(/^['"]|['"]$/g, "");
  for (const calls of CALLS) for (const m of (applyScript ?? "").matchAll(calls)) found.set(unquote(m[1]), unquote(m[2]));
  return found;
}

/** Every node's files, `<node>/<path>` → content, from the nodes component(s) of a manifest. */
function nodeFiles(manifest: Manifest): Map<string, Map<string, string>> {
  const byNode = new Map<string, Map<string, string>>();
  for (const r of manifest.resources.filter((x) => x.type === NODES_COMPONENT)) {
    for (const [key, content] of Object.entries(manifest.files[r.urn] ?? {})) {
      const [node, ...rest] = key.split("/");
      const files = byNode.get(node) ?? new Map<string, string>();
      files.set(rest.join("/") === APPLY_SCRIPT ? APPLY_SCRIPT : `/${rest.join("/")}`, content);
      byNode.set(node, files);
    }
  }
  return byNode;
}

/**
 * The proxy credentials are secrets of the stack's config (components/config.ts, SECRET_KEYS): they
 * changed when either key's marker did. A node's published files show them as [secret], URL-encoded
 * (%5Bsecret%5D) in the proxy URLs of the EnvironmentFile and the apply script; the files holding
 * them change on the node when they change.
 */
const PROXY_CREDENTIALS: readonly (typeof SECRET_KEYS)[number][] = ["proxyUsername", "proxyPassword"];
const HOLDS_CREDENTIALS = /\[secret\]|%5Bsecret%5D|\[secret:[0-9a-f]+\]/;

const proxyCredentialsChanged = (base: Manifest, head: Manifest) =>
  PROXY_CREDENTIALS.some((key) => base.secrets[key] !== head.secrets[key]);

function nodeChanges(base: Manifest, head: Manifest): NodeChange[] {
  const before = nodeFiles(base);
  const after = nodeFiles(head);
  const credentials = proxyCredentialsChanged(base, head);
  const nodes = [...new Set([...before.keys(), ...after.keys()])].sort();
  return nodes.flatMap((node): NodeChange[] => {
    const old = before.get(node) ?? new Map<string, string>();
    const now = after.get(node) ?? new Map<string, string>();
    // A file no longer rendered: the new script removes it and does what installing it needed.
    const [effectBefore, effectNow] = [effects(old.get(APPLY_SCRIPT)), effects(now.get(APPLY_SCRIPT))];
    const paths = [...new Set([...old.keys(), ...now.keys()])].sort();
    const files = paths.flatMap((path): FileChange[] => {
      const [o, n] = [old.get(path), now.get(path)];
      const status = o === undefined ? "added" : n === undefined ? "removed" : "changed";
      const credentialsChanged = credentials && status === "changed" && HOLDS_CREDENTIALS.test(o ?? "") && HOLDS_CREDENTIALS.test(n ?? "");
      if (o === n && !credentialsChanged) return [];
      // A new file shows whole, but for the script: its values are the other files' content.
      const lines =
        status === "changed"
          ? lineDiff(shown(o ?? ""), shown(n ?? ""))
          : status === "added" && path !== APPLY_SCRIPT
            ? shown(n ?? "")
                .replace(/\n$/, "")
                .split("\n")
                .map((l) => `+ ${l}`)
            : [];
      const effect = path === APPLY_SCRIPT ? undefined : ((n === undefined ? effectBefore : effectNow).get(path) ?? "");
      return [{ path, status, lines, credentialsChanged, ...(effect === undefined ? {} : { effect }) }];
    });
    if (files.length === 0) return [];
    const status = !before.has(node) ? "added" : !after.has(node) ? "removed" : "changed";
    return [
      {
        node,
        status,
        files,
        credentialsChanged: files.some((f) => f.credentialsChanged),
        restart: status !== "removed" && files.some((f) => f.effect?.includes("restart")),
      },
    ];
  });
}

export function planDiff(base: Manifest, head: Manifest): Plan {
  const steps = resourceSteps(base, head);
  const count = (op: Operation) => steps.filter((s) => s.operation === op).length;
  return {
    steps,
    nodes: nodeChanges(base, head),
    summary: {
      create: count("create"),
      update: count("update"),
      replace: count("replace"),
      delete: count("delete"),
      dataLoss: steps.filter((s) => s.dataLoss).length,
    },
  };
}
