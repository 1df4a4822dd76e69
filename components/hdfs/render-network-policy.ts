// Who may connect to HDFS (docs/ARCHITECTURE.md, "Network policies"): its own pods (the daemons and
// the directories Job) and every pod of the namespaces that run the stack's Spark jobs, on HDFS's
// ports only. Pure spec; index.ts declares it.
import type { input as Input } from "@pulumi/kubernetes/types";
import { labelsOf, namespaceSelectorOf } from "../k8s-common";
import { PORTS } from "./render";

export interface HdfsNetworkInput {
  readonly namespace: string;
  /** The namespaces whose pods read and write HDFS: Spark's. */
  readonly clientNamespaces: readonly string[];
}

/** Every HDFS pod carries this label, whatever its role. */
const HDFS_PODS = { matchLabels: { "app.kubernetes.io/name": labelsOf("hdfs")["app.kubernetes.io/name"] } };

/** RPC, data transfer, IPC and web ports of every daemon; a port only one daemon serves is closed on the others anyway. */
export function renderHdfsNetworkPolicy(input: HdfsNetworkInput) {
  return {
    metadata: { name: "hdfs", namespace: input.namespace, labels: labelsOf("hdfs") },
    spec: {
      // Every pod in the namespace, so a pod added there later is isolated too.
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: HDFS_PODS }, ...input.clientNamespaces.map((name) => ({ namespaceSelector: namespaceSelectorOf(name) }))],
          ports: Object.values(PORTS)
            .sort((a, b) => a - b)
            .map((port) => ({ protocol: "TCP", port })),
        },
      ],
    },
  } satisfies Input.networking.v1.NetworkPolicy;
}
