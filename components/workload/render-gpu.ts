// GPU support: where GPU pods go, the NVIDIA device plugin's Helm values, the nvidia RuntimeClass,
// and the Job that proves the GPUs are schedulable (components/workload/scripts/gpu-ready.sh).
import type { input as Input } from "@pulumi/kubernetes/types";
import { plainChecksum } from "../checksum";
import { kubectlScriptPod, labelsOf } from "../k8s-common";
import { readScript } from "../scripts";
import { NO_GPU_ENV } from "./render-pods";
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

/** The readiness check's ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap and Job. */
export const GPU_READY_NAME = "gpu-ready";
export const GPU_READY_SCRIPT_FILE = "gpu-ready.sh";
/**
 * The check's program. It spells out /dev/termination-log and reads GPU_NODES, GPU_NODE_SELECTOR and
 * TIMEOUT_SECONDS; test/workload/gpu-ready.system.test.ts runs it with a real kubectl.
 */
export const GPU_READY_SCRIPT = readScript("workload", GPU_READY_SCRIPT_FILE);
/**
 * Room to pull kubectl and start before the Job's deadline: the script gives up first, naming the
 * nodes, and the deadline only catches a pod that never ran.
 */
export const GPU_READY_START_SECONDS = 300;

export interface GpuReadyInput {
  readonly namespace: string;
  /** The configured GPU nodes; empty: every node the GPU node selector matches (at least one). */
  readonly nodes: readonly string[];
  readonly scheduling: GpuScheduling;
  readonly timeoutSeconds: number;
  readonly kubectlVersion: string;
  /** The device plugin's chart version: a new one is checked again. */
  readonly devicePluginChartVersion: string;
}

/** `a=b,c=d`, as kubectl --selector takes it. */
const labelSelector = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");

/**
 * Read access to the GPU nodes alone (by name), or to the node list when the nodes are known only by
 * their label: `get` can be limited to names, `list` cannot.
 */
export function renderGpuReadyClusterRole(nodes: readonly string[]) {
  const rule =
    nodes.length > 0
      ? { apiGroups: [""], resources: ["nodes"], resourceNames: [...nodes], verbs: ["get"] }
      : { apiGroups: [""], resources: ["nodes"], verbs: ["list"] };
  return {
    apiVersion: "rbac.authorization.k8s.io/v1" as const,
    kind: "ClusterRole" as const,
    metadata: { name: GPU_READY_NAME, labels: labelsOf(GPU_READY_NAME) },
    rules: [rule],
  } satisfies Input.rbac.v1.ClusterRole;
}

export function renderGpuReadyClusterRoleBinding(namespace: string) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1" as const,
    kind: "ClusterRoleBinding" as const,
    metadata: { name: GPU_READY_NAME, labels: labelsOf(GPU_READY_NAME) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: GPU_READY_NAME },
    subjects: [{ kind: "ServiceAccount", name: GPU_READY_NAME, namespace }],
  } satisfies Input.rbac.v1.ClusterRoleBinding;
}

export function renderGpuReadyServiceAccount(namespace: string) {
  return {
    apiVersion: "v1" as const,
    kind: "ServiceAccount" as const,
    metadata: { name: GPU_READY_NAME, namespace, labels: labelsOf(GPU_READY_NAME) },
  } satisfies Input.core.v1.ServiceAccount;
}

export function renderGpuReadyConfigMap(namespace: string) {
  return {
    apiVersion: "v1" as const,
    kind: "ConfigMap" as const,
    metadata: { name: GPU_READY_NAME, namespace, labels: labelsOf(GPU_READY_NAME) },
    data: { [GPU_READY_SCRIPT_FILE]: GPU_READY_SCRIPT },
  } satisfies Input.core.v1.ConfigMap;
}

/**
 * The Job Pulumi waits for: it completes once every GPU node reports allocatable nvidia.com/gpu.
 * Its name changes with what it checks, so a new node list, timeout, script or device plugin runs
 * it again; a failed one is replaced on the next update rather than awaited forever.
 */
export function renderGpuReadyJob(input: GpuReadyInput) {
  const labels = labelsOf(GPU_READY_NAME);
  const spec = {
    backoffLimit: 0,
    activeDeadlineSeconds: input.timeoutSeconds + GPU_READY_START_SECONDS,
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: GPU_READY_NAME,
        restartPolicy: "Never",
        // It may land on a GPU node, which can be tainted.
        tolerations: [...input.scheduling.tolerations],
        ...kubectlScriptPod({
          name: GPU_READY_NAME,
          kubectlVersion: input.kubectlVersion,
          configMap: GPU_READY_NAME,
          script: GPU_READY_SCRIPT_FILE,
          env: [
            { name: "GPU_NODES", value: input.nodes.join(" ") },
            { name: "GPU_NODE_SELECTOR", value: labelSelector(input.scheduling.nodeSelector) },
            { name: "TIMEOUT_SECONDS", value: String(input.timeoutSeconds) },
            NO_GPU_ENV,
          ],
        }),
      },
    },
  } satisfies Input.batch.v1.JobSpec;
  const hash = plainChecksum([JSON.stringify(spec), GPU_READY_SCRIPT, input.devicePluginChartVersion]).slice(0, 8);
  return {
    apiVersion: "batch/v1" as const,
    kind: "Job" as const,
    metadata: {
      name: `${GPU_READY_NAME}-${hash}`,
      namespace: input.namespace,
      labels,
      annotations: { "pulumi.com/replaceUnready": "true" },
    },
    spec,
  } satisfies Input.batch.v1.Job;
}
