// When `pulumi up` replaces a resource instead of updating it, per provider, as the providers
// themselves decide (each row names its source). `npm run diff` reads nothing else to predict a
// replacement, besides the resource's own `replaceOnChanges` and `deleteBeforeReplace` options.

/** A property path as the diff walks it: object keys, and array indexes as numbers. */
export type PropertyPath = readonly (string | number)[];

export interface ReplacementRule {
  /** "." separated, "[*]" any element: a change at, inside or above one of these replaces. */
  readonly paths: readonly string[];
  /** The provider's file the rule comes from. */
  readonly source: string;
}

export interface ProviderRules {
  readonly replaces: readonly ReplacementRule[];
  /** Paths whose change the provider does not act on (no update, no replace). */
  readonly ignored?: ReplacementRule;
  /** What an update does, when the provider does more than patch. */
  readonly onUpdate?: string;
  /** What a delete does, when it is not "the object is deleted". */
  readonly onDelete?: (inputs: Record<string, unknown>) => string;
}

const KUBERNETES_FORCE_NEW = "pulumi-kubernetes provider/pkg/provider/diff.go, forceNewProperties";

/**
 * pulumi-kubernetes (v4) replaces on these fields (`forceNew`); `metadata.name` and
 * `metadata.namespace` for every kind (`metadataForceNewProperties`). Secrets and ConfigMaps replace
 * on their data unless the provider sets `enableSecretMutable` / `enableConfigMapMutable`, which this
 * stack's default provider does not.
 */
const KUBERNETES_KINDS: Readonly<Record<string, readonly string[]>> = {
  "core/v1:PersistentVolumeClaim": ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
  "apps/v1:StatefulSet": [
    "spec.podManagementPolicy",
    "spec.revisionHistoryLimit",
    "spec.selector",
    "spec.serviceName",
    "spec.volumeClaimTemplates",
  ],
  "apps/v1:Deployment": ["spec.selector"],
  "apps/v1:DaemonSet": ["spec.selector"],
  "batch/v1:Job": ["spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
  "core/v1:Secret": ["type", "stringData", "data"],
  "core/v1:ConfigMap": ["data", "binaryData"],
  "core/v1:Service": ["spec.clusterIP"],
  "rbac.authorization.k8s.io/v1:RoleBinding": ["roleRef"],
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ["roleRef"],
  "storage.k8s.io/v1:StorageClass": ["parameters", "provisioner"],
};

const OTHER_PROVIDERS: Readonly<Record<string, ProviderRules>> = {
  // The SDK adds `replaceOnChanges: ["triggers[*]"]` (@pulumi/command remote/command.js); with no
  // `update` command, a change to any other input runs `create` again (remote/command.d.ts, `create`).
  "command:remote:Command": {
    replaces: [{ paths: ["triggers"], source: "@pulumi/command remote/command.js, replaceOnChanges" }],
    onUpdate: "runs its `create` command again with the new inputs",
    onDelete: (inputs) =>
      typeof inputs.delete === "string" ? `runs its delete command: ${inputs.delete}` : "runs nothing on the host (no delete command)",
  },
  // pulumi-docker provider/image.go: Diff reports updates only (never a replace) and drops changes
  // to the registry's username or password (`diffUpdates`); Update builds and pushes again; Delete does nothing.
  "docker:index/image:Image": {
    replaces: [],
    ignored: { paths: ["registry.username", "registry.password"], source: "pulumi-docker provider/image.go, diffUpdates" },
    onUpdate: "builds and pushes the image again",
    onDelete: () => "removes it from the state only: the pushed image stays in the registry",
  },
};

const KUBERNETES_TYPE = /^kubernetes:([^:]+):([^:]+)$/;

/** The provider's rules for a resource type; a type without a row is updated in place. */
export function providerRules(type: string): ProviderRules {
  const kubernetes = KUBERNETES_TYPE.exec(type);
  if (kubernetes && !type.startsWith("kubernetes:helm.sh/")) {
    const kindPaths = KUBERNETES_KINDS[`${kubernetes[1]}:${kubernetes[2]}`] ?? [];
    return { replaces: [{ paths: ["metadata.name", "metadata.namespace", ...kindPaths], source: KUBERNETES_FORCE_NEW }] };
  }
  return OTHER_PROVIDERS[type] ?? { replaces: [] };
}

/** "spec.volumeClaimTemplates[*].spec" → ["spec", "volumeClaimTemplates", "*", "spec"]. */
export function parsePath(path: string): string[] {
  return path
    .replace(/\[(\*|\d+)\]/g, ".$1")
    .replace(/\["([^"]+)"\]/g, ".$1")
    .split(".")
    .filter((s) => s !== "");
}

/** True when `changed` lies at, inside or above `pattern` (Pulumi's and the providers' matching). */
export function pathMatches(changed: PropertyPath, pattern: string): boolean {
  const segments = parsePath(pattern);
  const n = Math.min(changed.length, segments.length);
  for (let i = 0; i < n; i++) {
    if (segments[i] !== "*" && String(changed[i]) !== segments[i]) return false;
  }
  return true;
}

/**
 * pulumi-kubernetes provider/pkg/provider/provider.go, Diff: a replaced object is deleted first
 * when it is named (not autonamed) and keeps its name and namespace; otherwise the new one is
 * created first.
 */
export function kubernetesDeletesFirst(oldInputs: Record<string, unknown>, newInputs: Record<string, unknown>): boolean {
  const meta = (inputs: Record<string, unknown>) => (inputs.metadata ?? {}) as { name?: string; namespace?: string };
  const [before, after] = [meta(oldInputs), meta(newInputs)];
  return after.name !== undefined && after.name === before.name && after.namespace === before.namespace;
}
