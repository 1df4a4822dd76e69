// Every pod the stack declares can land on a node: its node selector and required node affinity are
// met by a node the stack knows, with the labels the stack puts on it or the config says it has; it
// tolerates the taints of the nodes it must run on; and a pod that asks for GPUs lands on a GPU node
// where the NVIDIA device plugin runs (docs/ARCHITECTURE.md, "Whole-plan rules").
import { chartPodsOf } from "./charts";
import { asFields, fieldsAt, listAt, type PlanResource, type PlanRule, type ScheduledPod, stringAt, type Violation } from "./plan";
import {
  blockingTaints,
  type Cluster,
  clusterOf,
  GPU_NODE_LABEL,
  GPU_RESOURCE,
  gpuRequestFields,
  type KnownNode,
  matchesTerm,
  placementOf,
  requiredTerms,
  scheduledPodsOf,
  type Taint,
} from "./scheduling";

const DEVICE_PLUGIN_CHART = "nvidia-device-plugin";
const HOSTNAME_LABEL = "kubernetes.io/hostname";

const names = (nodes: readonly KnownNode[]) => nodes.map((n) => n.name).join(", ");
/** "no node (a, b) <does>", or that the stack knows no node. */
const noNode = (cluster: Cluster, does: string) =>
  cluster.known ? `no node (${names(cluster.nodes)}) ${does}` : `no node ${does} as far as the stack knows (nodes.hosts names none)`;
const showTaint = (t: Taint) => `${t.key}${t.value !== undefined ? `=${t.value}` : ""}:${t.effect}`;

/** What to set so that some node carries `key=value`. */
function labelFix(key: string, value: string, cluster: Cluster): string {
  if (key === GPU_NODE_LABEL) return `set nodes.hosts[].gpu: true on the GPU nodes (the stack labels them ${GPU_NODE_LABEL}=true)`;
  if (!cluster.known) return `name the cluster's nodes in nodes.hosts and set ${key}=${value} in a node's labels`;
  if (key === HOSTNAME_LABEL) return `add node ${value} to nodes.hosts, or pin the pod to one of ${names(cluster.nodes)}`;
  return `set ${key}: "${value}" in nodes.hosts[].labels of the nodes meant to run it`;
}

/** Whether a term asks for the label the stack puts on GPU nodes (set by nodes.hosts[].gpu, not by labels). */
function asksForGpuNodes(terms: readonly unknown[]): boolean {
  return terms.some((term) => listAt(term, ["matchExpressions"]).some((e) => asFields(e)?.key === GPU_NODE_LABEL));
}

/** Why no node matches the pod's node selector and affinity: one violation per unmet requirement. */
function unmatched(pod: ScheduledPod, cluster: Cluster): Violation[] {
  const { resource, path, spec } = pod.site;
  const selector = Object.entries(fieldsAt(spec, ["nodeSelector"]) ?? {});
  const violations: Violation[] = selector.flatMap(([key, value]) =>
    cluster.nodes.some((node) => node.labels[key] === value)
      ? []
      : [
          {
            resource,
            field: `${path}.nodeSelector["${key}"]`,
            message: `requires node label ${key}=${String(value)}, and ${noNode(cluster, "has it")}; ${labelFix(key, String(value), cluster)}`,
          },
        ],
  );
  const terms = requiredTerms(spec);
  const termsField = `${path}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
  if (terms !== undefined && !cluster.nodes.some((node) => terms.some((term) => matchesTerm(node, term)))) {
    violations.push({
      resource,
      field: termsField,
      message: `${noNode(cluster, `meets any of its ${terms.length} required node affinity terms`)}; ${
        asksForGpuNodes(terms) ? labelFix(GPU_NODE_LABEL, "true", cluster) : "set the labels a term asks for in nodes.hosts[].labels"
      }`,
    });
  }
  if (violations.length === 0) {
    violations.push({
      resource,
      field: terms === undefined ? `${path}.nodeSelector` : termsField,
      message: `each requirement is met by some node, but ${noNode(cluster, "meets them all")}; set the labels in nodes.hosts[].labels of the nodes meant to run it`,
    });
  }
  return violations;
}

function placementViolations(pod: ScheduledPod, cluster: Cluster): Violation[] {
  const placement = placementOf(pod.site.spec, cluster);
  if (placement.selected.length === 0) return unmatched(pod, cluster);
  if (placement.schedulable.length > 0) return [];
  const blocked = placement.selected.map((node) => `${node.name} has ${blockingTaints(pod.site.spec, node).map(showTaint).join(", ")}`);
  const keys = placement.selected.map((node) => `${node.configKey}.taints`);
  return [
    {
      resource: pod.site.resource,
      field: `${pod.site.path}.tolerations`,
      message: `may run only on ${names(placement.selected)}, and tolerates no taint that keeps it off them (${blocked.join("; ")}); remove the taint from ${keys.join(", ")} or have the pod tolerate it`,
    },
  ];
}

export const nodePlacementRule: PlanRule = {
  name: "node-placement",
  description:
    "Every declared pod (workloads, Spark pod templates, Helm chart pods) has a node that meets its node selector and required node affinity and whose taints it tolerates.",
  readsFacts: true,
  check(plan, facts = {}) {
    const cluster = clusterOf(plan, facts);
    return scheduledPodsOf(plan).flatMap((pod) => placementViolations(pod, cluster));
  },
};

/** The device plugin's pods, when the plan installs it. */
function devicePluginPods(plan: readonly PlanResource[]): ScheduledPod[] {
  return plan.filter((r) => stringAt(r.props, ["chart"]) === DEVICE_PLUGIN_CHART).flatMap(chartPodsOf);
}

function gpuViolations(plan: readonly PlanResource[], cluster: Cluster): Violation[] {
  const gpuNodes = cluster.nodes.filter((node) => node.labels[GPU_NODE_LABEL] === "true");
  const plugins = devicePluginPods(plan);
  // The GPU nodes each device plugin pod runs on, placed once: every GPU node is looked up in them.
  const pluginRuns = plugins.map(({ site }) => ({
    site,
    runsOn: new Set(placementOf(site.spec, { ...cluster, nodes: gpuNodes }).schedulable),
  }));
  // A GPU node advertises GPUs only where the device plugin runs.
  const violations: Violation[] = pluginRuns.flatMap(({ site, runsOn }) => {
    return gpuNodes
      .filter((node) => !runsOn.has(node))
      .map((node) => {
        const taints = blockingTaints(site.spec, node);
        return taints.length > 0
          ? {
              resource: site.resource,
              field: `${site.path}.tolerations`,
              message: `the device plugin does not tolerate GPU node ${node.name}'s taints (${taints.map(showTaint).join(", ")}), so the node advertises no ${GPU_RESOURCE}; set gpu.tolerations to tolerate them`,
            }
          : {
              resource: site.resource,
              field: `${site.path}.affinity`,
              message: `the device plugin's node selector and affinity leave out GPU node ${node.name}, so the node advertises no ${GPU_RESOURCE}; set gpu.nodeSelector to labels every GPU node has`,
            };
      });
  });
  const usable = plugins.length > 0 ? gpuNodes.filter((node) => pluginRuns.some(({ runsOn }) => runsOn.has(node))) : gpuNodes;
  for (const pod of scheduledPodsOf(plan)) {
    const fields = gpuRequestFields(pod.site);
    if (fields.length === 0) continue;
    const { schedulable } = placementOf(pod.site.spec, cluster);
    const message =
      gpuNodes.length === 0
        ? `asks for ${GPU_RESOURCE}, but no node is a GPU node (labelled ${GPU_NODE_LABEL}=true): set nodes.hosts[].gpu: true on the GPU nodes, or ask for no GPUs (spark.applications[].executor.gpus)`
        : schedulable.length > 0 && !schedulable.some((node) => usable.includes(node))
          ? `asks for ${GPU_RESOURCE}, but may run only on ${names(schedulable)}, none of them a GPU node with the device plugin (${names(usable) || "none"}); set gpu.nodeSelector to labels the GPU nodes have`
          : undefined;
    if (message) violations.push(...fields.map((field) => ({ resource: pod.site.resource, field, message })));
  }
  return violations;
}

export const gpuPlacementRule: PlanRule = {
  name: "gpu-placement",
  description: `Pods that ask for ${GPU_RESOURCE} can land on a node labelled ${GPU_NODE_LABEL}=true, and the NVIDIA device plugin runs on every such node.`,
  readsFacts: true,
  check: (plan, facts = {}) => gpuViolations(plan, clusterOf(plan, facts)),
};
