// GPU support (the seed's "Nvidia Docker" and Kubernetes GPU scheduling): the NVIDIA device plugin
// from its pinned Helm chart on the GPU nodes only, and RuntimeClass `nvidia` when configured.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { renderNamespace } from "../k8s-common";
import type { NodesReadyRef } from "../refs";
import { DEVICE_PLUGIN_CHART } from "./charts";
import { gpuScheduling, renderDevicePluginValues, renderRuntimeClass } from "./render-gpu";
import type { GpuScheduling } from "./render-spark";
import type { GpuConfig } from "./schema";

/** What the Spark workload needs from GPU support. */
export interface GpuNodesRef {
  /** Node selector, tolerations and RuntimeClass for pods that ask for GPUs. */
  readonly scheduling: GpuScheduling;
  /** Resolves once the device plugin release is installed: GPU pods are schedulable from then on. */
  readonly ready: pulumi.Output<string>;
}

export interface GpuSupportArgs {
  /** The validated `gpu` section (only built when `enabled`). */
  readonly config: GpuConfig;
  /** The configured nodes: the plugin's pods start after them (their image comes through the proxy). */
  readonly nodes?: NodesReadyRef;
}

export class GpuSupport extends pulumi.ComponentResource {
  public readonly ref: GpuNodesRef;

  constructor(name: string, args: GpuSupportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:workload:GpuSupport", name, {}, opts);
    const scheduling = gpuScheduling(args.config);

    // The plugin mounts the kubelet's device-plugin directory from the host, which only `privileged` admits.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-device-plugin-namespace`,
      renderNamespace(DEVICE_PLUGIN_CHART.namespace, "privileged"),
      { parent: this },
    );
    const runtimeClass =
      scheduling.runtimeClassName !== undefined
        ? new k8s.node.v1.RuntimeClass(`${name}-runtime-class`, renderRuntimeClass(scheduling), { parent: this })
        : undefined;

    const devicePlugin = new k8s.helm.v3.Release(
      `${name}-device-plugin`,
      {
        name: DEVICE_PLUGIN_CHART.release,
        chart: DEVICE_PLUGIN_CHART.chart,
        version: args.config.devicePluginChartVersion,
        repositoryOpts: { repo: DEVICE_PLUGIN_CHART.repo },
        namespace: namespace.metadata.name,
        values: renderDevicePluginValues(scheduling),
      },
      // The plugin's pods use the RuntimeClass when it is configured.
      { parent: this, dependsOn: [namespace, ...(runtimeClass ? [runtimeClass] : []), ...(args.nodes?.configured ?? [])] },
    );

    this.ref = { scheduling, ready: devicePlugin.id };
    this.registerOutputs({ ready: this.ref.ready });
  }
}
