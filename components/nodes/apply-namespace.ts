// The namespace of the `daemonset` delivery: render-daemonset puts the DaemonSets there, and the
// config checks keep every other part of the stack out of it.
import type { NodesConfig } from "./schema";

export const APPLY_NAMESPACE = "node-runtime-config";

/** The namespace of the `daemonset` delivery, when it runs (it needs nodes to configure). */
export function deliveryNamespace(nodes: NodesConfig): string | undefined {
  return nodes.delivery === "daemonset" && nodes.hosts.length > 0 ? APPLY_NAMESPACE : undefined;
}
