// What the stack puts on every GPU node (nodes.hosts[].gpu): the label the NVIDIA device plugin's
// chart and the GPU pods select, and the taint nodes.taintGpuNodes adds. The schema keeps config
// labels and taints off these keys; render-node-patch applies them.
import type { Taint } from "../k8s-common";

/** The label the device plugin chart accepts in place of node feature discovery's. */
export const GPU_NODE_LABEL = { key: "nvidia.com/gpu.present", value: "true" } as const;

/** The taint the device plugin chart tolerates by default (key nvidia.com/gpu, NoSchedule). */
export const GPU_NODE_TAINT: Taint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };
