// HDFS's Kubernetes objects as pure specs: the ConfigMap of files, each daemon's StatefulSet and
// Service (NameNode, DataNodes, Secondary NameNode), and the Job creating the Spark directories,
// all on one Hadoop pod template. index.ts declares them.
import type { input as Input } from "@pulumi/kubernetes/types";
import { plainChecksum } from "../checksum";
import { checksumAnnotation, labelsOf, nonRootPodSecurity, readOnlyContainer, type Toleration } from "../k8s-common";
import {
  coreSiteProperties,
  HADOOP_CONF_DIR,
  HADOOP_USER,
  hdfsSiteProperties,
  NAMENODE_START_SCRIPT,
  PORTS,
  renderCreateDirectoriesScript,
  renderHadoopXml,
  VOLUME_MOUNT,
  type HadoopSiteValues,
} from "./render";
import type { HdfsDirectory } from "./schema";

/** The long-running HDFS daemons, each a StatefulSet behind a Service of the same name. */
export type Daemon = "namenode" | "datanode" | "secondary-namenode";
type Role = Daemon | "create-directories";

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
/** The volume claim template of every daemon: its pods' claims are `data-<StatefulSet>-<ordinal>`. */
export const DATA_CLAIM_TEMPLATE = "data";
/** The image's HADOOP_LOG_DIR; with a read-only root filesystem it and /tmp are emptyDirs. */
const LOG_DIR = "/var/log/hadoop";

const labelsOfRole = (role: Role) => labelsOf("hdfs", { component: role });

/** A ConfigMap key: its content and the directory it is mounted into. */
export interface MountedFile {
  readonly content: string;
  readonly directory: string;
}
export type MountedFiles = Readonly<Record<string, MountedFile>>;

/** Every file HDFS mounts, grouped by the pods that mount them. */
export interface HdfsFiles {
  /** core-site.xml and hdfs-site.xml: every pod. */
  readonly site: MountedFiles;
  /** The NameNode's entry point. */
  readonly startNameNode: MountedFiles;
  /** The directory Job's script. */
  readonly createDirectories: MountedFiles;
}

export function renderHdfsFiles(site: HadoopSiteValues, directories: readonly HdfsDirectory[]): HdfsFiles {
  return {
    site: {
      "core-site.xml": { content: renderHadoopXml(coreSiteProperties(site)), directory: HADOOP_CONF_DIR },
      "hdfs-site.xml": { content: renderHadoopXml(hdfsSiteProperties(site)), directory: HADOOP_CONF_DIR },
    },
    startNameNode: { "start-namenode.sh": { content: NAMENODE_START_SCRIPT, directory: SCRIPTS_DIR } },
    createDirectories: { "create-directories.sh": { content: renderCreateDirectoriesScript(directories), directory: SCRIPTS_DIR } },
  };
}

const everyFile = (files: HdfsFiles): MountedFiles => ({ ...files.site, ...files.startNameNode, ...files.createDirectories });

/** `<path in the container>` → content, for `npm run render`. */
export function publishedFiles(files: HdfsFiles): Record<string, string> {
  return Object.fromEntries(Object.entries(everyFile(files)).map(([key, f]) => [`${f.directory}/${key}`.replace(/^\//, ""), f.content]));
}

export function renderConfigMap(namespace: string, files: HdfsFiles) {
  return {
    metadata: { name: NAMES.config, namespace },
    data: Object.fromEntries(Object.entries(everyFile(files)).map(([key, f]) => [key, f.content])),
  } satisfies Input.core.v1.ConfigMap;
}

const tcpProbe = (port: number, periodSeconds: number, failureThreshold: number) => ({
  tcpSocket: { port },
  periodSeconds,
  failureThreshold,
  timeoutSeconds: 5,
});
/** Every Hadoop daemon serves its JMX beans over HTTP: a cheap liveness check that the JVM answers. */
const jmxProbe = (port: number, bean: string) => ({
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
  readonly files: MountedFiles;
  readonly ports?: readonly { readonly name: string; readonly port: number }[];
  readonly probes?: Partial<Pick<Input.core.v1.Container, "startupProbe" | "readinessProbe" | "livenessProbe">>;
  /** Mount the StatefulSet's `data` volume at VOLUME_MOUNT. */
  readonly dataVolume: boolean;
  readonly affinity?: Input.core.v1.Affinity;
  readonly tolerations?: readonly Toleration[];
  readonly restartPolicy?: string;
}

/**
 * One Hadoop container as the image's non-root `hadoop` user, configuration files mounted one by
 * one over the image's own HADOOP_CONF_DIR (keeping its log4j.properties and hadoop-env.sh), and a
 * checksum of those files on the pod so a change rolls the pods (subPath mounts never update).
 */
function hadoopPod(o: PodOptions) {
  const sizing = SIZING[o.role];
  const files = Object.entries(o.files);
  return {
    metadata: {
      labels: labelsOfRole(o.role),
      annotations: checksumAnnotation("config", plainChecksum(files.map(([, f]) => f.content))),
    },
    spec: {
      // Hadoop never calls the Kubernetes API.
      automountServiceAccountToken: false,
      securityContext: nonRootPodSecurity(HADOOP_USER, { ownsVolumes: true }),
      affinity: o.affinity,
      ...(o.tolerations?.length ? { tolerations: [...o.tolerations] } : {}),
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
          ports: o.ports?.map((p) => ({ name: p.name, containerPort: p.port })),
          ...o.probes,
          resources: { requests: { cpu: sizing.cpu, memory: sizing.memory }, limits: { cpu: sizing.cpuLimit, memory: sizing.memory } },
          securityContext: readOnlyContainer(),
          volumeMounts: [
            ...files.map(([key, f]) => ({ name: "config", mountPath: `${f.directory}/${key}`, subPath: key, readOnly: true })),
            { name: "tmp", mountPath: "/tmp" },
            { name: "logs", mountPath: LOG_DIR },
            ...(o.dataVolume ? [{ name: DATA_CLAIM_TEMPLATE, mountPath: VOLUME_MOUNT }] : []),
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: NAMES.config } },
        { name: "tmp", emptyDir: {} },
        { name: "logs", emptyDir: {} },
      ],
    },
  } satisfies Input.core.v1.PodTemplateSpec;
}

/** What sets the daemons apart. */
const DAEMONS: Readonly<
  Record<
    Daemon,
    {
      readonly ports: readonly { readonly name: string; readonly port: number }[];
      /** Headless: clients address the pods, not one virtual IP. */
      readonly headless: boolean;
      readonly command: string[];
      readonly mounts: (files: HdfsFiles) => MountedFiles;
      readonly probes: PodOptions["probes"];
      readonly affinity?: Input.core.v1.Affinity;
    }
  >
> = {
  namenode: {
    ports: [
      { name: "rpc", port: PORTS.nameNodeRpc },
      { name: "http", port: PORTS.nameNodeHttp },
    ],
    headless: false,
    command: ["/bin/sh", `${SCRIPTS_DIR}/start-namenode.sh`],
    mounts: (files) => ({ ...files.site, ...files.startNameNode }),
    probes: {
      // RPC opens once the namespace is loaded, which takes long on a big edit log.
      startupProbe: tcpProbe(PORTS.nameNodeRpc, 10, 90),
      readinessProbe: tcpProbe(PORTS.nameNodeRpc, 10, 3),
      livenessProbe: jmxProbe(PORTS.nameNodeHttp, "NameNode,name=NameNodeStatus"),
    },
  },
  datanode: {
    ports: [
      { name: "transfer", port: PORTS.dataNodeTransfer },
      { name: "http", port: PORTS.dataNodeHttp },
      { name: "ipc", port: PORTS.dataNodeIpc },
    ],
    headless: true,
    command: ["hdfs", "datanode"],
    mounts: (files) => files.site,
    probes: {
      readinessProbe: tcpProbe(PORTS.dataNodeTransfer, 10, 3),
      livenessProbe: jmxProbe(PORTS.dataNodeHttp, "DataNode,name=DataNodeInfo"),
    },
    // Copies of a block on one machine are one copy: each DataNode needs a node of its own.
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: labelsOfRole("datanode") }, topologyKey: "kubernetes.io/hostname" },
        ],
      },
    },
  },
  "secondary-namenode": {
    ports: [{ name: "http", port: PORTS.secondaryNameNodeHttp }],
    headless: true,
    command: ["hdfs", "secondarynamenode"],
    mounts: (files) => files.site,
    probes: {
      readinessProbe: tcpProbe(PORTS.secondaryNameNodeHttp, 10, 3),
      livenessProbe: jmxProbe(PORTS.secondaryNameNodeHttp, "SecondaryNameNode,name=SecondaryNameNodeInfo"),
    },
  },
};

/** The daemon's Service; it also governs the StatefulSet's pod names. */
export function renderDaemonService(daemon: Daemon, namespace: string) {
  const { headless, ports } = DAEMONS[daemon];
  return {
    metadata: { name: NAMES[daemon], namespace, labels: labelsOfRole(daemon) },
    spec: {
      clusterIP: headless ? "None" : undefined,
      selector: labelsOfRole(daemon),
      ports: ports.map((p) => ({ ...p, targetPort: p.port, protocol: "TCP" })),
    },
  } satisfies Input.core.v1.Service;
}

export interface DaemonStatefulSetInput {
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  /** Each pod's `data` volume. */
  readonly volume: { readonly storageSize: string; readonly storageClass?: string };
  readonly files: HdfsFiles;
  /** The nodes the pods must run on (where their local volumes are), with the taints the stack put there tolerated. */
  readonly pinned?: { readonly nodes: readonly string[]; readonly tolerations: readonly Toleration[] };
}

/** The daemon's own affinity, and with pinned pods a required node affinity to those nodes. */
function pinnedAffinity(own: Input.core.v1.Affinity | undefined, nodes: readonly string[] | undefined): Input.core.v1.Affinity | undefined {
  if (nodes === undefined) return own;
  const nodeAffinity = {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [...nodes] }] }],
    },
  };
  return { ...own, nodeAffinity };
}

/**
 * A StatefulSet's claim templates cannot change: a changed one replaces the StatefulSet, every
 * DataNode down at once, and the claims it had keep their size. So the StatefulSet ignores changes to
 * them, and renderDataClaimPatches changes the claims themselves.
 */
export const STATEFULSET_IGNORED_CHANGES = ["spec.volumeClaimTemplates"];

/**
 * Each claim of a daemon's StatefulSet, patched to the configured volume: a bigger size expands the
 * volume where its StorageClass allows expansion; a smaller size or another class is refused by the
 * API server (claims only grow, and their class is fixed), so no change is ever silently dropped.
 * Forced: the claim's size belongs to the StatefulSet controller, which created it.
 */
export function renderDataClaimPatches(daemon: Daemon, input: Pick<DaemonStatefulSetInput, "namespace" | "replicas" | "volume">) {
  return Array.from(
    { length: input.replicas },
    (_, ordinal) =>
      ({
        metadata: {
          name: `${DATA_CLAIM_TEMPLATE}-${NAMES[daemon]}-${ordinal}`,
          namespace: input.namespace,
          annotations: { "pulumi.com/patchForce": "true" },
        },
        spec: {
          ...(input.volume.storageClass !== undefined ? { storageClassName: input.volume.storageClass } : {}),
          resources: { requests: { storage: input.volume.storageSize } },
        },
      }) satisfies Input.core.v1.PersistentVolumeClaimPatch,
  );
}

/** A daemon's StatefulSet, whose pods each get a `data` volume; the volumes outlive the StatefulSet. */
export function renderDaemonStatefulSet(daemon: Daemon, input: DaemonStatefulSetInput) {
  const d = DAEMONS[daemon];
  return {
    metadata: { name: NAMES[daemon], namespace: input.namespace, labels: labelsOfRole(daemon) },
    spec: {
      serviceName: NAMES[daemon],
      replicas: input.replicas,
      // Pods of one role need no start order among themselves.
      podManagementPolicy: "Parallel",
      selector: { matchLabels: labelsOfRole(daemon) },
      template: hadoopPod({
        role: daemon,
        image: input.image,
        command: d.command,
        files: d.mounts(input.files),
        ports: d.ports,
        probes: d.probes,
        dataVolume: true,
        affinity: pinnedAffinity(d.affinity, input.pinned?.nodes),
        tolerations: input.pinned?.tolerations,
      }),
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_CLAIM_TEMPLATE },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: input.volume.storageClass,
            resources: { requests: { storage: input.volume.storageSize } },
          },
        },
      ],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    },
  } satisfies Input.apps.v1.StatefulSet;
}

/** Creates the configured directories; it waits for the DataNodes too (safe mode after a restart). */
export function renderCreateDirectoriesJob(input: { readonly namespace: string; readonly image: string; readonly files: HdfsFiles }) {
  return {
    metadata: { name: NAMES["create-directories"], namespace: input.namespace, labels: labelsOfRole("create-directories") },
    spec: {
      backoffLimit: 6,
      template: hadoopPod({
        role: "create-directories",
        image: input.image,
        command: ["/bin/sh", `${SCRIPTS_DIR}/create-directories.sh`],
        files: { ...input.files.site, ...input.files.createDirectories },
        dataVolume: false,
        restartPolicy: "Never",
      }),
    },
  } satisfies Input.batch.v1.Job;
}
