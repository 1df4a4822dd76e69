// The scheduler's view of the plan, shared by the placement, capacity and storage rules: the nodes the
// stack knows (its NodePatches and the config's facts), every pod it declares with how many of it run,
// and Kubernetes' own matching of node selectors, node affinity and taints.
import { chartPodsOf } from "./charts";
import type { ClusterFacts } from "./facts";
import {
  asFields,
  type Fields,
  fieldsAt,
  kindOf,
  listAt,
  type PlanResource,
  podsOf,
  type PodSite,
  type ScheduledPod,
  stringAt,
} from "./plan";
import { parseQuantity } from "./quantity";

export const NODE_PATCH_TYPE = "kubernetes:core/v1:NodePatch";
export const GPU_RESOURCE = "nvidia.com/gpu";
export const GPU_NODE_LABEL = "nvidia.com/gpu.present";

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface KnownNode {
  readonly name: string;
  /** Where the config sets this node (`nodes.hosts[2]`); the stand-in for unknown nodes has none. */
  readonly configKey?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly capacity?: Readonly<Record<string, string>>;
}

/** The nodes a pod may land on, by what the stack knows. */
export interface Cluster {
  readonly nodes: readonly KnownNode[];
  /**
   * True when the stack names its nodes (NodePatches or `nodes.hosts`): then they are all the nodes
   * its pods may use. Otherwise one stand-in node with only the labels every node has.
   */
  readonly known: boolean;
}

/** Labels the kubelet puts on every Linux node. */
function wellKnownLabels(name: string): Record<string, string> {
  return { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" };
}

function taintsOf(value: unknown): Taint[] {
  return (Array.isArray(value) ? value : []).flatMap((t) => {
    const taint = asFields(t);
    return typeof taint?.key === "string" && typeof taint.effect === "string"
      ? [{ key: taint.key, effect: taint.effect, ...(typeof taint.value === "string" ? { value: taint.value } : {}) }]
      : [];
  });
}

const stringMap = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(asFields(value) ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"));

export function clusterOf(plan: readonly PlanResource[], facts: ClusterFacts): Cluster {
  const patches = plan.filter((r) => r.type === NODE_PATCH_TYPE);
  const names = [
    ...new Set([...(facts.nodes ?? []).map((n) => n.name), ...patches.flatMap((p) => stringAt(p.props, ["metadata", "name"]) ?? [])]),
  ];
  if (names.length === 0)
    return { known: false, nodes: [{ name: "(any node: the config names none)", labels: { "kubernetes.io/os": "linux" }, taints: [] }] };
  // Indexed by node name: a large plan has a NodePatch per node.
  const factOf = new Map([...(facts.nodes ?? [])].reverse().map((n) => [n.name, n])); // the first of a name, as find() gave
  const patchesOf = new Map<string, PlanResource[]>();
  for (const p of patches) {
    const name = stringAt(p.props, ["metadata", "name"]);
    if (name !== undefined) patchesOf.set(name, [...(patchesOf.get(name) ?? []), p]);
  }
  const nodes = names.map((name, order): KnownNode => {
    const fact = factOf.get(name);
    const patch = patchesOf.get(name) ?? [];
    return {
      name,
      configKey: `nodes.hosts[${fact?.index ?? order}]`,
      labels: Object.assign(wellKnownLabels(name), fact?.labels, ...patch.map((p) => stringMap(fieldsAt(p.props, ["metadata", "labels"])))),
      taints: patch.flatMap((p) => taintsOf(fieldsAt(p.props, ["spec"])?.taints)),
      ...(fact?.capacity ? { capacity: fact.capacity } : {}),
    };
  });
  return { known: true, nodes };
}

function matchesExpression(value: string | undefined, operator: unknown, values: unknown[]): boolean {
  switch (operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      const [have, bound] = [Number(value), Number(values[0])];
      if (value === undefined || !Number.isInteger(have) || !Number.isInteger(bound)) return false;
      return operator === "Gt" ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** One node selector term: every expression and field holds; an empty term matches no node. */
export function matchesTerm(node: KnownNode, term: unknown): boolean {
  const expressions = listAt(term, ["matchExpressions"]).map((e) => asFields(e) ?? {});
  const fields = listAt(term, ["matchFields"]).map((e) => asFields(e) ?? {});
  if (expressions.length + fields.length === 0) return false;
  return (
    expressions.every((e) => matchesExpression(node.labels[String(e.key)], e.operator, listAt(e, ["values"]))) &&
    fields.every((e) => e.key === "metadata.name" && matchesExpression(node.name, e.operator, listAt(e, ["values"])))
  );
}

export function matchesSelector(node: KnownNode, selector: Fields): boolean {
  return Object.entries(selector).every(([key, value]) => node.labels[key] === value);
}

/** The required node affinity terms of a pod spec, or undefined when it has none. */
export function requiredTerms(spec: Fields): unknown[] | undefined {
  const required = fieldsAt(spec, ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]);
  return required ? listAt(required, ["nodeSelectorTerms"]) : undefined;
}

/** The node selector and required node affinity both hold (the terms are ORed). */
export function selects(spec: Fields, node: KnownNode): boolean {
  const terms = requiredTerms(spec);
  return matchesSelector(node, fieldsAt(spec, ["nodeSelector"]) ?? {}) && (terms === undefined || terms.some((t) => matchesTerm(node, t)));
}

/** Kubernetes' ToleratesTaint: an empty effect or an empty key with Exists matches all. */
export function tolerates(toleration: Fields, taint: Taint): boolean {
  if (typeof toleration.effect === "string" && toleration.effect !== "" && toleration.effect !== taint.effect) return false;
  if (typeof toleration.key === "string" && toleration.key !== "" && toleration.key !== taint.key) return false;
  if (toleration.operator === "Exists") return true;
  return (toleration.operator ?? "Equal") === "Equal" && (toleration.value ?? "") === (taint.value ?? "");
}

/** The node's taints that keep the pod off it: NoSchedule and NoExecute ones it does not tolerate. */
export function blockingTaints(spec: Fields, node: KnownNode): Taint[] {
  const tolerations = listAt(spec, ["tolerations"]).map((t) => asFields(t) ?? {});
  return node.taints.filter((taint) => taint.effect !== "PreferNoSchedule" && !tolerations.some((t) => tolerates(t, taint)));
}

function replicasOf(resource: PlanResource): number {
  const count = (path: string[]) => {
    const value = fieldsAt(resource.props, path.slice(0, -1))?.[path[path.length - 1]];
    return typeof value === "number" ? value : 1;
  };
  switch (kindOf(resource)) {
    case "Deployment":
    case "StatefulSet":
    case "ReplicaSet":
      return count(["spec", "replicas"]);
    case "Job":
      return count(["spec", "parallelism"]);
    case "CronJob":
      return count(["spec", "jobTemplate", "spec", "parallelism"]);
    default:
      return 1;
  }
}

export function scheduledPodsOf(plan: readonly PlanResource[]): ScheduledPod[] {
  return plan.flatMap((resource) => [
    ...podsOf(resource).map((site) => ({ site, replicas: replicasOf(resource), daemon: kindOf(resource) === "DaemonSet" })),
    ...chartPodsOf(resource),
  ]);
}

/** Where a pod may run: the nodes its selector and affinity allow, and of those the ones whose taints it tolerates. */
export interface Placement {
  readonly selected: readonly KnownNode[];
  readonly schedulable: readonly KnownNode[];
}

export function placementOf(spec: Fields, cluster: Cluster): Placement {
  const selected = cluster.nodes.filter((node) => selects(spec, node));
  return { selected, schedulable: selected.filter((node) => blockingTaints(spec, node).length === 0) };
}

/**
 * What one pod requests, in base units: each container's request (its limit when only that is set,
 * as the API server defaults it), summed, or the largest init container's when that is more; plus the
 * pod's overhead.
 */
export function podRequests(spec: Fields): Map<string, number> {
  const of = (container: unknown) => {
    const requests = fieldsAt(container, ["resources", "requests"]) ?? {};
    const limits = fieldsAt(container, ["resources", "limits"]) ?? {};
    const amounts = new Map<string, number>();
    for (const name of new Set([...Object.keys(limits), ...Object.keys(requests)])) {
      const amount = parseQuantity(requests[name] ?? limits[name]);
      if (amount !== undefined) amounts.set(name, amount);
    }
    return amounts;
  };
  const total = new Map<string, number>();
  for (const container of listAt(spec, ["containers"]).map(of)) for (const [k, v] of container) total.set(k, (total.get(k) ?? 0) + v);
  for (const init of listAt(spec, ["initContainers"]).map(of)) for (const [k, v] of init) total.set(k, Math.max(total.get(k) ?? 0, v));
  for (const [k, v] of Object.entries(fieldsAt(spec, ["overhead"]) ?? {})) total.set(k, (total.get(k) ?? 0) + (parseQuantity(v) ?? 0));
  return total;
}

/** The field path of each container's GPU request (or its limit, when only that is set), for pods that ask for GPUs. */
export function gpuRequestFields(site: PodSite): string[] {
  return (["containers", "initContainers"] as const).flatMap((list) =>
    listAt(site.spec, [list]).flatMap((container, i) => {
      const kind = (["requests", "limits"] as const).find((k) => fieldsAt(container, ["resources", k])?.[GPU_RESOURCE] !== undefined);
      const amount = kind && parseQuantity(fieldsAt(container, ["resources", kind])?.[GPU_RESOURCE]);
      return kind && amount ? [`${site.path}.${list}[${i}].resources.${kind}["${GPU_RESOURCE}"]`] : [];
    }),
  );
}
