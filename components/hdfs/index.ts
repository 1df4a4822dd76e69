// HDFS for the Spark jobs: one NameNode, N DataNodes on distinct nodes, an optional Secondary
// NameNode, and a Job creating the directories the jobs use. Specs come from ./render-statefulsets;
// this file only declares them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../cluster";
import { renderNamespace } from "../k8s-common";
import type { Toleration } from "../k8s-common";
import type { HdfsRef, NodesReadyRef, StorageRef } from "../refs";
import type { HdfsPlacement } from "./placement";
import { clientProperties, defaultFsUri, nameNodeWebUiUrl } from "./render";
import { renderHdfsNetworkPolicy } from "./render-network-policy";
import {
  NAMES,
  publishedFiles,
  renderConfigMap,
  renderCreateDirectoriesJob,
  renderDaemonService,
  renderDaemonStatefulSet,
  renderDataClaimPatches,
  renderHdfsFiles,
  STATEFULSET_IGNORED_CHANGES,
  type Daemon,
  type DaemonStatefulSetInput,
} from "./render-statefulsets";
import type { HdfsConfig } from "./schema";

export interface HdfsClusterArgs {
  /** The validated `hdfs` section (defaults and replication already resolved). */
  readonly config: HdfsConfig;
  /** The cluster section: its DNS domain is part of the NameNode's address. */
  readonly cluster: ClusterConfig;
  /** The configured nodes: HDFS pods start after them (their image comes through the proxy). */
  readonly nodes?: NodesReadyRef;
  /** The class of volumes without one of their own, and the local volumes they wait for. */
  readonly storage?: StorageRef;
  /** With local volumes: the nodes each daemon's pods run on, where their volumes are. */
  readonly placement?: HdfsPlacement;
  /** Namespaces whose pods may connect to HDFS besides its own (Spark's). @default none */
  readonly clientNamespaces?: readonly string[];
}

export class HdfsCluster extends pulumi.ComponentResource {
  public readonly ref: HdfsRef;
  /** The NameNode web UI, reachable from inside the cluster (or through `kubectl port-forward`). */
  public readonly webUiUrl: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: HdfsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:hdfs:HdfsCluster", name, {}, opts);
    const { config, cluster } = args;
    const namespace = config.namespace;
    const image = `${config.image.repository}:${config.image.tag}`;
    const nameNodeHost = `${NAMES.namenode}.${namespace}.svc.${cluster.domain}`;
    const siteValues = { nameNodeHost, replication: config.replication, blockSizeBytes: config.blockSize };
    const files = renderHdfsFiles(siteValues, config.directories);

    // Deleting a namespace deletes its volumes: `pulumi destroy` leaves it, and with it the data.
    // Named as the component before child names took a part.
    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, renderNamespace(namespace, "restricted"), {
      parent: this,
      retainOnDelete: true,
      aliases: [{ name }],
    });
    const inNamespace = { parent: this, dependsOn: [ns] };
    const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, renderConfigMap(namespace, files), inNamespace);
    new k8s.networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      renderHdfsNetworkPolicy({ namespace, clientNamespaces: args.clientNamespaces ?? [] }),
      inNamespace,
    );

    const pinned = (role: Daemon) => {
      const nodes = args.placement?.[role];
      if (nodes === undefined) return undefined;
      const tolerations = new Map<string, Toleration>();
      for (const t of nodes.flatMap((node) => args.nodes?.tolerations[node] ?? [])) tolerations.set(JSON.stringify(t), t);
      return { nodes, tolerations: [...tolerations.values()] };
    };
    const daemon = (role: Daemon, set: Pick<DaemonStatefulSetInput, "replicas" | "volume">) => {
      const service = new k8s.core.v1.Service(`${name}-${role}`, renderDaemonService(role, namespace), inNamespace);
      const volume = { ...set.volume, storageClass: set.volume.storageClass ?? args.storage?.className };
      const statefulSet = new k8s.apps.v1.StatefulSet(
        `${name}-${role}`,
        renderDaemonStatefulSet(role, { namespace, image, files, ...set, volume, pinned: pinned(role) }),
        // The image comes through the proxy: the pods start after the configured nodes (and their local volumes).
        {
          parent: this,
          dependsOn: [ns, configMap, service, ...(args.nodes?.configured ?? []), ...(args.storage?.volumes ?? [])],
          ignoreChanges: STATEFULSET_IGNORED_CHANGES,
        },
      );
      // The claims exist once the StatefulSet is ready; a patch that goes (fewer DataNodes) leaves its claim as it is.
      renderDataClaimPatches(role, { namespace, replicas: set.replicas, volume }).forEach((patch, ordinal) => {
        new k8s.core.v1.PersistentVolumeClaimPatch(`${name}-${role}-data-${ordinal}`, patch, {
          parent: this,
          dependsOn: [statefulSet],
          retainOnDelete: true,
        });
      });
      return { service, statefulSet };
    };
    const nameNode = daemon("namenode", { replicas: 1, volume: config.nameNode });
    const dataNodes = daemon("datanode", { replicas: config.dataNodes, volume: config.dataNode });
    if (config.secondaryNameNode) daemon("secondary-namenode", { replicas: 1, volume: config.nameNode });

    const directoriesJob = new k8s.batch.v1.Job(
      `${name}-create-directories`,
      renderCreateDirectoriesJob({ namespace, image, files }),
      // Waits for the DataNodes too: after a restart the NameNode stays in safe mode until they report their blocks.
      // A Job's pod template is immutable and its name fixed: a changed list replaces it, old one first.
      { parent: this, dependsOn: [ns, configMap, nameNode.statefulSet, dataNodes.statefulSet], deleteBeforeReplace: true },
    );

    // Consumers of the address wait for a NameNode that answers and for the directories to exist.
    const nameNodeService = nameNode.service.metadata.name;
    this.ref = {
      defaultFs: pulumi.all([nameNodeService, directoriesJob.metadata.name]).apply(() => defaultFsUri(nameNodeHost)),
      clientProperties: clientProperties(siteValues),
    };
    this.webUiUrl = nameNodeService.apply(() => nameNodeWebUiUrl(nameNodeHost));
    this.namespace = ns.metadata.name;
    this.registerOutputs({
      defaultFs: this.ref.defaultFs,
      webUiUrl: this.webUiUrl,
      namespace: this.namespace,
      // What lands in the containers, for `npm run render`.
      files: publishedFiles(files),
    });
  }
}
