// What the whole-plan rules may assume about the cluster beyond the plan itself: the nodes the config
// names (with the labels and capacity it declares they already have), the storage classes it declares
// to exist. The offline render derives them from the stack config and writes them as the policy pack's
// config, so `pulumi preview --policy-pack policy` judges with the same facts (docs/ARCHITECTURE.md,
// "Whole-plan rules").
import type { PolicyConfigSchema } from "@pulumi/policy";

/** A node the config names: `index` is its place in `nodes.hosts`, which messages name as the fix. */
export interface NodeFacts {
  readonly name: string;
  readonly index: number;
  /** Labels the node already has (the stack's own labels come from its NodePatch). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Allocatable resources, as Kubernetes quantities (cpu, memory, nvidia.com/gpu). */
  readonly capacity?: Readonly<Record<string, string>>;
}

export interface ClusterFacts {
  readonly nodes?: readonly NodeFacts[];
  /** StorageClasses that exist in the cluster without the stack declaring them. */
  readonly storageClasses?: readonly string[];
  /** Whether the cluster has a default StorageClass, so a claim without a class binds. */
  readonly defaultStorageClass?: boolean;
}

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;

/** The facts as the policy pack's config schema: each policy that reads facts declares it. */
export const FACTS_SCHEMA: PolicyConfigSchema = {
  properties: {
    nodes: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, index: { type: "integer" }, labels: stringMap, capacity: stringMap },
        required: ["name", "index"],
      },
    },
    storageClasses: { type: "array", items: { type: "string" } },
    defaultStorageClass: { type: "boolean" },
  },
};

type Fields = Record<string, unknown>;

const asFields = (value: unknown): Fields | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;

/** Config keys that name a StorageClass: the class the config names, it says exists. */
const CLASS_KEYS = [
  ["storage", "className"],
  ["registry", "storage", "storageClass"],
  ["registry", "mirror", "storage", "storageClass"],
  ["hdfs", "nameNode", "storageClass"],
  ["hdfs", "dataNode", "storageClass"],
];

/**
 * The facts a stack's config declares, from its plain values (as the Pulumi CLI hands them over,
 * already validated by the program): the nodes of `nodes.hosts` and the classes the config names
 * (`storage.className`, a claim's own `storageClass`). With no node configured the stack runs on a
 * cluster it does not manage, whose default class holds the claims (config validation requires a
 * class or local volumes otherwise). A node's capacity comes from `nodes.hosts[].capacity`; labels it
 * already has have no config key (the stack applies its own): a policy config written by hand may add them.
 */
export function clusterFacts(config: Readonly<Record<string, unknown>>): ClusterFacts {
  const hosts = asFields(config.nodes)?.hosts;
  const nodes = (Array.isArray(hosts) ? hosts : []).map(asFields).flatMap((host, index): NodeFacts[] => {
    if (typeof host?.name !== "string") return [];
    const capacity = asFields(host.capacity);
    return [
      {
        name: host.name,
        index,
        ...(capacity ? { capacity: Object.fromEntries(Object.entries(capacity).map(([k, v]) => [k, String(v)])) } : {}),
      },
    ];
  });
  const named = CLASS_KEYS.map((path) => path.reduce<unknown>((value, key) => asFields(value)?.[key], config));
  const storageClasses = [...new Set(named.filter((name): name is string => typeof name === "string"))];
  return { nodes, storageClasses, defaultStorageClass: nodes.length === 0 };
}
