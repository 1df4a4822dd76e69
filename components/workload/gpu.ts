// GPU support (the seed's "Nvidia Docker" and Kubernetes GPU scheduling): the NVIDIA device plugin
// from its pinned Helm chart on the GPU nodes only, RuntimeClass `nvidia` when configured, and a Job
// that proves every GPU node offers its GPUs before anything waits on `ready`.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { renderNamespace } from "../k8s-common";
import type { NodesReadyRef } from "../refs";
import { DEVICE_PLUGIN_CHART } from "./charts";
import {
  gpuScheduling,
  renderDevicePluginValues,
  renderGpuReadyClusterRole,
  renderGpuReadyClusterRoleBinding,
  renderGpuReadyConfigMap,
  renderGpuReadyJob,
  renderGpuReadyServiceAccount,
  renderRuntimeClass,
} from "./render-gpu";
import type { GpuScheduling } from "./render-spark";
import type { GpuConfig } from "./schema";

/** What the Spark workload needs from GPU support. */
export interface GpuNodesRef {
  /** Node selector, tolerations and RuntimeClass for pods that ask for GPUs. */
  readonly scheduling: GpuScheduling;
  /** Resolves once every GPU node reports allocatable nvidia.com/gpu: GPU pods are schedulable from then on. */
  readonly ready: pulumi.Output<string>;
  /** The configured GPU nodes, by Kubernetes node name (empty: known only by their label). */
  readonly nodes: readonly string[];
}

export interface GpuSupportArgs {
  /** The validated `gpu` section (only built when `enabled`). */
  readonly config: GpuConfig;
  /** The configured nodes: the plugin's pods start after them (their image comes through the proxy). */
  readonly nodes?: NodesReadyRef;
  /** Names of the configured nodes with `gpu: true`: the readiness check waits for each of them. */
  readonly gpuNodes: readonly string[];
}

export class GpuSupport extends pulumi.ComponentResource {
  public readonly ref: GpuNodesRef;

  constructor(name: string, args: GpuSupportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:workload:GpuSupport", name, {}, opts);
    const scheduling = gpuScheduling(args.config);

    // The plugin mounts the kubelet's device-plugin directory from the host, which only `privileged` admits.
    const namespaceObject = new k8s.core.v1.Namespace(
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
        namespace: namespaceObject.metadata.name,
        values: renderDevicePluginValues(scheduling),
      },
      // The plugin's pods use the RuntimeClass when it is configured.
      { parent: this, dependsOn: [namespaceObject, ...(runtimeClass ? [runtimeClass] : []), ...(args.nodes?.configured ?? [])] },
    );

    const namespace = DEVICE_PLUGIN_CHART.namespace;
    // The check's objects go in the plugin's namespace, after the plugin.
    const inNamespace = { parent: this, dependsOn: [devicePlugin] };
    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-ready`, renderGpuReadyServiceAccount(namespace), inNamespace);
    const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-ready`, renderGpuReadyClusterRole(args.gpuNodes), { parent: this });
    const binding = new k8s.rbac.v1.ClusterRoleBinding(`${name}-ready`, renderGpuReadyClusterRoleBinding(namespace), {
      parent: this,
      dependsOn: [clusterRole, serviceAccount],
    });
    const script = new k8s.core.v1.ConfigMap(`${name}-ready`, renderGpuReadyConfigMap(namespace), inNamespace);
    const job = renderGpuReadyJob({
      namespace,
      nodes: args.gpuNodes,
      scheduling,
      timeoutSeconds: args.config.readyTimeoutSeconds,
      kubectlVersion: args.config.kubectlVersion,
      devicePluginChartVersion: args.config.devicePluginChartVersion,
    });
    // Pulumi waits for the Job to complete (and fails with it), up to its deadline and a little more.
    const wait = `${job.spec.activeDeadlineSeconds + 60}s`;
    const ready = new k8s.batch.v1.Job(`${name}-ready`, job, {
      parent: this,
      dependsOn: [devicePlugin, binding, script],
      customTimeouts: { create: wait, update: wait },
    });

    this.ref = { scheduling, ready: ready.metadata.name, nodes: args.gpuNodes };
    this.registerOutputs({ ready: this.ref.ready });
  }
}
