// The labels and taints the stack puts on each configured Node: the config's own, plus the GPU
// label (and, with nodes.taintGpuNodes, the GPU taint) on GPU nodes. One server-side-apply patch
// per node holds all of them, so the whole-plan rules read the nodes' labels and taints from it.
import type * as k8s from "@pulumi/kubernetes";
import { type Taint, type Toleration, tolerationsOf } from "../k8s-common";
import { GPU_NODE_LABEL, GPU_NODE_TAINT } from "./gpu-marks";
import type { NodeConfig, NodesConfig } from "./schema";

/** Every label the stack applies to the node. */
export function nodeLabels(node: NodeConfig): Record<string, string> {
  return { ...node.labels, ...(node.gpu ? { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value } : {}) };
}

/** Every taint the stack applies to the node. */
export function nodeTaints(node: NodeConfig, nodes: Pick<NodesConfig, "taintGpuNodes">): Taint[] {
  return [...(node.taints ?? []), ...(node.gpu && nodes.taintGpuNodes ? [GPU_NODE_TAINT] : [])];
}

/** Per node name: what a pod the stack pins to that node tolerates. */
export function pinnedTolerations(nodes: Pick<NodesConfig, "hosts" | "taintGpuNodes">): Record<string, Toleration[]> {
  return Object.fromEntries(nodes.hosts.map((node) => [node.name, tolerationsOf(nodeTaints(node, nodes))]));
}

/**
 * The NodePatch of one node (`metadata.name` is the node's name). Server-side apply: the patch owns
 * only these labels and taints, and deleting it takes back exactly these.
 */
export function renderNodePatch(node: NodeConfig, nodes: Pick<NodesConfig, "taintGpuNodes">) {
  return {
    metadata: { name: node.name, labels: nodeLabels(node) },
    spec: { taints: nodeTaints(node, nodes).map((t) => ({ ...t })) },
  } satisfies k8s.core.v1.NodePatchArgs;
}
