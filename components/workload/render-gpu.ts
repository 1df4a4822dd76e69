// GPU support: where GPU pods go, the NVIDIA device plugin's Helm values and the nvidia RuntimeClass.
import type { input as Input } from "@pulumi/kubernetes/types";
import type { GpuScheduling } from "./render-spark";
import type { GpuConfig } from "./schema";

/** The containerd runtime name the nodes configure and the RuntimeClass that selects it. */
export const NVIDIA_RUNTIME = "nvidia";

export function gpuScheduling(config: GpuConfig): GpuScheduling {
  return {
    nodeSelector: { ...config.nodeSelector },
    tolerations: config.tolerations,
    ...(config.runtimeClass ? { runtimeClassName: NVIDIA_RUNTIME } : {}),
  };
}

/**
 * Chart values: the plugin runs on the GPU nodes only. Its default affinity wants labels from node
 * feature discovery (or nvidia.com/gpu.present); ours replaces that term list, since Helm replaces
 * lists but merges maps.
 */
export function renderDevicePluginValues(scheduling: GpuScheduling) {
  const matchExpressions = Object.entries(scheduling.nodeSelector).map(([key, value]) => ({ key, operator: "In", values: [value] }));
  return {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } },
    tolerations: [...scheduling.tolerations],
    ...(scheduling.runtimeClassName !== undefined ? { runtimeClassName: scheduling.runtimeClassName } : {}),
  };
}

/** RuntimeClass `nvidia`; its scheduling section sends every pod that uses it to the GPU nodes. */
export function renderRuntimeClass(scheduling: GpuScheduling) {
  return {
    apiVersion: "node.k8s.io/v1" as const,
    kind: "RuntimeClass" as const,
    metadata: { name: NVIDIA_RUNTIME },
    handler: NVIDIA_RUNTIME,
    scheduling: { nodeSelector: { ...scheduling.nodeSelector }, tolerations: [...scheduling.tolerations] },
  } satisfies Input.node.v1.RuntimeClass;
}
