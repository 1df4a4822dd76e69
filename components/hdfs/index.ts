// HDFS for the Spark jobs: one NameNode, N DataNodes on distinct nodes, an optional Secondary
// NameNode, and a Job creating the directories the jobs use. Files come from ./render.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import type { input as Input } from "@pulumi/kubernetes/types";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../cluster";
import type { HdfsRef, NodesReadyRef } from "../refs";
import {
  coreSiteProperties,
  defaultFsUri,
  HADOOP_CONF_DIR,
  HADOOP_USER,
  hdfsSiteProperties,
  NAMENODE_START_SCRIPT,
  nameNodeWebUiUrl,
  PORTS,
  renderCreateDirectoriesScript,
  renderHadoopXml,
  VOLUME_MOUNT,
} from "./render";
import type { HdfsConfig } from "./schema";

export interface HdfsClusterArgs {
  /** The validated `hdfs` section (defaults and replication already resolved). */
  readonly config: HdfsConfig;
  /** The cluster section: its DNS domain is part of the NameNode's address. */
  readonly cluster: ClusterConfig;
  /** The configured nodes: HDFS pods start after them (their image comes through the proxy). */
  readonly nodes?: NodesReadyRef;
}

type Role = "namenode" | "datanode" | "secondary-namenode" | "create-directories";

/** Kubernetes object names: each role's StatefulSet, Service or Job carries its role's name. */
export const NAMES: Readonly<Record<Role | "config", string>> = {
  config: "hdfs-config",
  namenode: "hdfs-namenode",
  datanode: "hdfs-datanode",
  "secondary-namenode": "hdfs-secondary-namenode",
  "create-directories": "hdfs-create-directories",
};

/** Requests and limits per role; the JVM heap stays at three quarters of the memory limit so off-heap memory fits. */
const SIZING: Readonly<Record<Role, { cpu: string; cpuLimit: string; memory: string; heap: string }>> = {
  namenode: { cpu: "500m", cpuLimit: "2", memory: "2Gi", heap: "1536m" },
  datanode: { cpu: "250m", cpuLimit: "1", memory: "1Gi", heap: "768m" },
  "secondary-namenode": { cpu: "250m", cpuLimit: "1", memory: "2Gi", heap: "1536m" },
  "create-directories": { cpu: "100m", cpuLimit: "500m", memory: "512Mi", heap: "256m" },
};

const SCRIPTS_DIR = "/opt/hdfs-scripts";
/** The image's HADOOP_LOG_DIR; with a read-only root filesystem it and /tmp are emptyDirs. */
const LOG_DIR = "/var/log/hadoop";

const PART_OF = { "app.kubernetes.io/part-of": "spark-gpu-stack" };
const labelsOf = (role: Role) => ({ "app.kubernetes.io/name": "hdfs", "app.kubernetes.io/component": role, ...PART_OF });

const sha256 = (files: Readonly<Record<string, string>>) =>
  createHash("sha256")
    .update(JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))))
    .digest("hex");

const tcpProbe = (port: number, periodSeconds: number, failureThreshold: number): Input.core.v1.Probe => ({
  tcpSocket: { port },
  periodSeconds,
  failureThreshold,
  timeoutSeconds: 5,
});
/** Every Hadoop daemon serves its JMX beans over HTTP: a cheap liveness check that the JVM answers. */
const jmxProbe = (port: number, bean: string): Input.core.v1.Probe => ({
  httpGet: { path: `/jmx?qry=Hadoop:service=${bean}`, port },
  periodSeconds: 20,
  timeoutSeconds: 5,
  failureThreshold: 6,
});

interface PodOptions {
  readonly role: Role;
  readonly image: string;
  readonly command: string[];
  /** ConfigMap keys this pod mounts, with their contents and where they go. */
  readonly files: Readonly<Record<string, { content: string; directory: string }>>;
  readonly ports?: Input.core.v1.ContainerPort[];
  readonly probes?: Partial<Pick<Input.core.v1.Container, "startupProbe" | "readinessProbe" | "livenessProbe">>;
  /** Mount the StatefulSet's `data` volume at VOLUME_MOUNT. */
  readonly dataVolume: boolean;
  readonly affinity?: Input.core.v1.Affinity;
  readonly restartPolicy?: string;
}

/**
 * One Hadoop container as the image's non-root `hadoop` user, configuration files mounted one by
 * one over the image's own HADOOP_CONF_DIR (keeping its log4j.properties and hadoop-env.sh), and a
 * hash of those files on the pod so a change rolls the pods (subPath mounts never update).
 */
function hadoopPod(configMap: pulumi.Input<string>, o: PodOptions): Input.core.v1.PodTemplateSpec {
  const sizing = SIZING[o.role];
  const fileMounts = Object.entries(o.files).map(([key, f]) => ({
    name: "config",
    mountPath: `${f.directory}/${key}`,
    subPath: key,
    readOnly: true,
  }));
  return {
    metadata: {
      labels: labelsOf(o.role),
      annotations: { "spark-gpu-stack/config-sha256": sha256(Object.fromEntries(Object.entries(o.files).map(([k, f]) => [k, f.content]))) },
    },
    spec: {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: HADOOP_USER.uid,
        runAsGroup: HADOOP_USER.gid,
        fsGroup: HADOOP_USER.gid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      affinity: o.affinity,
      restartPolicy: o.restartPolicy,
      containers: [
        {
          name: o.role,
          image: o.image,
          command: o.command,
          env: [
            { name: "HADOOP_CONF_DIR", value: HADOOP_CONF_DIR },
            { name: "HADOOP_LOG_DIR", value: LOG_DIR },
            { name: "HADOOP_HEAPSIZE_MAX", value: sizing.heap },
          ],
          ports: o.ports,
          ...o.probes,
          resources: { requests: { cpu: sizing.cpu, memory: sizing.memory }, limits: { cpu: sizing.cpuLimit, memory: sizing.memory } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          volumeMounts: [
            ...fileMounts,
            { name: "tmp", mountPath: "/tmp" },
            { name: "logs", mountPath: LOG_DIR },
            ...(o.dataVolume ? [{ name: "data", mountPath: VOLUME_MOUNT }] : []),
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: configMap } },
        { name: "tmp", emptyDir: {} },
        { name: "logs", emptyDir: {} },
      ],
    },
  };
}

export class HdfsCluster extends pulumi.ComponentResource {
  public readonly ref: HdfsRef;
  /** The NameNode web UI, reachable from inside the cluster (or through `kubectl port-forward`). */
  public readonly webUiUrl: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: HdfsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:hdfs:HdfsCluster", name, {}, opts);
    const { config, cluster } = args;
    const image = `${config.image.repository}:${config.image.tag}`;
    const nameNodeHost = `${NAMES.namenode}.${config.namespace}.svc.${cluster.domain}`;
    const siteValues = { nameNodeHost, replication: config.replication, blockSizeBytes: config.blockSize };
    const siteFiles = {
      "core-site.xml": { content: renderHadoopXml(coreSiteProperties(siteValues)), directory: HADOOP_CONF_DIR },
      "hdfs-site.xml": { content: renderHadoopXml(hdfsSiteProperties(siteValues)), directory: HADOOP_CONF_DIR },
    };
    const startNameNode = { "start-namenode.sh": { content: NAMENODE_START_SCRIPT, directory: SCRIPTS_DIR } };
    const createDirectories = {
      "create-directories.sh": { content: renderCreateDirectoriesScript(config.directories), directory: SCRIPTS_DIR },
    };
    const everyFile = Object.entries({ ...siteFiles, ...startNameNode, ...createDirectories });

    // Deleting a namespace deletes its volumes: `pulumi destroy` leaves it, and with it the data.
    const namespace = new k8s.core.v1.Namespace(
      name,
      { metadata: { name: config.namespace, labels: PART_OF } },
      { parent: this, retainOnDelete: true },
    );
    const ns = namespace.metadata.name;
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: { name: NAMES.config, namespace: ns },
        data: Object.fromEntries(everyFile.map(([key, f]) => [key, f.content])),
      },
      { parent: this },
    );
    const configMapName = configMap.metadata.name;

    const service = (role: Role, headless: boolean, ports: { name: string; port: number }[]) =>
      new k8s.core.v1.Service(
        `${name}-${role}`,
        {
          metadata: { name: NAMES[role], namespace: ns, labels: labelsOf(role) },
          spec: {
            clusterIP: headless ? "None" : undefined,
            selector: labelsOf(role),
            ports: ports.map((p) => ({ ...p, targetPort: p.port, protocol: "TCP" })),
          },
        },
        { parent: this },
      );
    const containerPorts = (ports: { name: string; port: number }[]) => ports.map((p) => ({ name: p.name, containerPort: p.port }));

    /** A StatefulSet whose pods each get a `data` volume; the volumes outlive the StatefulSet. */
    const statefulSet = (
      role: Role,
      governing: k8s.core.v1.Service,
      replicas: number,
      volume: HdfsConfig["nameNode"],
      pod: Input.core.v1.PodTemplateSpec,
    ) =>
      new k8s.apps.v1.StatefulSet(
        `${name}-${role}`,
        {
          metadata: { name: NAMES[role], namespace: ns, labels: labelsOf(role) },
          spec: {
            serviceName: governing.metadata.name,
            replicas,
            // Pods of one role need no start order among themselves.
            podManagementPolicy: "Parallel",
            selector: { matchLabels: labelsOf(role) },
            template: pod,
            volumeClaimTemplates: [
              {
                metadata: { name: "data" },
                spec: {
                  accessModes: ["ReadWriteOnce"],
                  storageClassName: volume.storageClass,
                  resources: { requests: { storage: volume.storageSize } },
                },
              },
            ],
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          },
        },
        { parent: this, dependsOn: [...(args.nodes?.configured ?? [])] },
      );

    const nameNodePorts = [
      { name: "rpc", port: PORTS.nameNodeRpc },
      { name: "http", port: PORTS.nameNodeHttp },
    ];
    const nameNodeService = service("namenode", false, nameNodePorts);
    const nameNode = statefulSet(
      "namenode",
      nameNodeService,
      1,
      config.nameNode,
      hadoopPod(configMapName, {
        role: "namenode",
        image,
        command: ["/bin/sh", `${SCRIPTS_DIR}/start-namenode.sh`],
        files: { ...siteFiles, ...startNameNode },
        ports: containerPorts(nameNodePorts),
        probes: {
          // RPC opens once the namespace is loaded, which takes long on a big edit log.
          startupProbe: tcpProbe(PORTS.nameNodeRpc, 10, 90),
          readinessProbe: tcpProbe(PORTS.nameNodeRpc, 10, 3),
          livenessProbe: jmxProbe(PORTS.nameNodeHttp, "NameNode,name=NameNodeStatus"),
        },
        dataVolume: true,
      }),
    );

    const dataNodePorts = [
      { name: "transfer", port: PORTS.dataNodeTransfer },
      { name: "http", port: PORTS.dataNodeHttp },
      { name: "ipc", port: PORTS.dataNodeIpc },
    ];
    const dataNodes = statefulSet(
      "datanode",
      service("datanode", true, dataNodePorts),
      config.dataNodes,
      config.dataNode,
      hadoopPod(configMapName, {
        role: "datanode",
        image,
        command: ["hdfs", "datanode"],
        files: siteFiles,
        ports: containerPorts(dataNodePorts),
        probes: {
          readinessProbe: tcpProbe(PORTS.dataNodeTransfer, 10, 3),
          livenessProbe: jmxProbe(PORTS.dataNodeHttp, "DataNode,name=DataNodeInfo"),
        },
        dataVolume: true,
        // Copies of a block on one machine are one copy: each DataNode needs a node of its own.
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: labelsOf("datanode") }, topologyKey: "kubernetes.io/hostname" },
            ],
          },
        },
      }),
    );

    if (config.secondaryNameNode) {
      const secondaryPorts = [{ name: "http", port: PORTS.secondaryNameNodeHttp }];
      statefulSet(
        "secondary-namenode",
        service("secondary-namenode", true, secondaryPorts),
        1,
        config.nameNode,
        hadoopPod(configMapName, {
          role: "secondary-namenode",
          image,
          command: ["hdfs", "secondarynamenode"],
          files: siteFiles,
          ports: containerPorts(secondaryPorts),
          probes: {
            readinessProbe: tcpProbe(PORTS.secondaryNameNodeHttp, 10, 3),
            livenessProbe: jmxProbe(PORTS.secondaryNameNodeHttp, "SecondaryNameNode,name=SecondaryNameNodeInfo"),
          },
          dataVolume: true,
        }),
      );
    }

    // Waits for the DataNodes too: after a restart the NameNode stays in safe mode until they report their blocks.
    const directoriesJob = new k8s.batch.v1.Job(
      `${name}-create-directories`,
      {
        metadata: { name: NAMES["create-directories"], namespace: ns, labels: labelsOf("create-directories") },
        spec: {
          backoffLimit: 6,
          template: hadoopPod(configMapName, {
            role: "create-directories",
            image,
            command: ["/bin/sh", `${SCRIPTS_DIR}/create-directories.sh`],
            files: { ...siteFiles, ...createDirectories },
            dataVolume: false,
            restartPolicy: "Never",
          }),
        },
      },
      // A Job's pod template is immutable and its name fixed: a changed list replaces it, old one first.
      { parent: this, dependsOn: [nameNode, dataNodes], deleteBeforeReplace: true },
    );

    // Consumers of the address wait for a NameNode that answers and for the directories to exist.
    this.ref = {
      defaultFs: pulumi.all([nameNodeService.metadata.name, directoriesJob.metadata.name]).apply(() => defaultFsUri(nameNodeHost)),
    };
    this.webUiUrl = nameNodeService.metadata.name.apply(() => nameNodeWebUiUrl(nameNodeHost));
    this.namespace = ns;
    this.registerOutputs({
      defaultFs: this.ref.defaultFs,
      webUiUrl: this.webUiUrl,
      namespace: this.namespace,
      // What lands in the containers, for `npm run render`.
      files: Object.fromEntries(everyFile.map(([key, f]) => [`${f.directory}/${key}`.replace(/^\//, ""), f.content])),
    });
  }
}
