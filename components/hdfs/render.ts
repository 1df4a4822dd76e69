// Pure renderers for what lands in the Hadoop containers: core-site.xml, hdfs-site.xml, the
// NameNode start script and the script creating the Spark directories.
import { readScript } from "../scripts";
import { shellQuote } from "../shell";
import type { HdfsDirectory } from "./schema";

/** Where the official apache/hadoop image reads its configuration (HADOOP_CONF_DIR). */
export const HADOOP_CONF_DIR = "/opt/hadoop/etc/hadoop";
/** The image's `hadoop` user and its primary group `users`; the NameNode's user is the HDFS superuser. */
export const HADOOP_USER = { name: "hadoop", uid: 1000, gid: 100 } as const;

/** Hadoop 3 default ports. */
export const PORTS = {
  nameNodeRpc: 8020,
  nameNodeHttp: 9870,
  secondaryNameNodeHttp: 9868,
  dataNodeTransfer: 9866,
  dataNodeHttp: 9864,
  dataNodeIpc: 9867,
} as const;

/** Each role's volume is mounted here; HDFS keeps its files in a subdirectory so a `lost+found` at the volume root never counts as data. */
export const VOLUME_MOUNT = "/data";
export const STORAGE_DIRS = {
  name: `${VOLUME_MOUNT}/name`,
  blocks: `${VOLUME_MOUNT}/blocks`,
  checkpoint: `${VOLUME_MOUNT}/checkpoint`,
} as const;

/** Hadoop configuration properties, in the order they are written. */
export type HadoopProperties = Readonly<Record<string, string>>;

export interface HadoopSiteValues {
  /** DNS name of the NameNode's Service, as every pod reaches it. */
  readonly nameNodeHost: string;
  /** dfs.replication */
  readonly replication: number;
  /** dfs.blocksize in bytes. */
  readonly blockSizeBytes: number;
}

export const defaultFsUri = (nameNodeHost: string) => `hdfs://${nameNodeHost}:${PORTS.nameNodeRpc}`;
export const nameNodeWebUiUrl = (nameNodeHost: string) => `http://${nameNodeHost}:${PORTS.nameNodeHttp}`;

const ALL_INTERFACES = "0.0.0.0";

export function coreSiteProperties(values: HadoopSiteValues): HadoopProperties {
  return { "fs.defaultFS": defaultFsUri(values.nameNodeHost) };
}

/**
 * The settings a writer applies to each file it creates (hdfs-default.xml: replication "can be
 * specified when the file is created"): the NameNode's own copy is only a default for its own
 * tools, so Spark gets these too, through HdfsRef.
 */
export function clientProperties(values: Pick<HadoopSiteValues, "replication" | "blockSizeBytes">): HadoopProperties {
  return { "dfs.replication": String(values.replication), "dfs.blocksize": String(values.blockSizeBytes) };
}

export function hdfsSiteProperties(values: HadoopSiteValues): HadoopProperties {
  return {
    ...clientProperties(values),
    "dfs.namenode.name.dir": `file://${STORAGE_DIRS.name}`,
    "dfs.datanode.data.dir": `file://${STORAGE_DIRS.blocks}`,
    "dfs.namenode.checkpoint.dir": `file://${STORAGE_DIRS.checkpoint}`,
    // Advertised through the Service name; bound on every interface, since the Service's address is
    // not one of the pod's own.
    "dfs.namenode.rpc-address": `${values.nameNodeHost}:${PORTS.nameNodeRpc}`,
    "dfs.namenode.rpc-bind-host": ALL_INTERFACES,
    "dfs.namenode.http-address": `${values.nameNodeHost}:${PORTS.nameNodeHttp}`,
    "dfs.namenode.http-bind-host": ALL_INTERFACES,
    "dfs.namenode.secondary.http-address": `${ALL_INTERFACES}:${PORTS.secondaryNameNodeHttp}`,
    "dfs.datanode.address": `${ALL_INTERFACES}:${PORTS.dataNodeTransfer}`,
    "dfs.datanode.http.address": `${ALL_INTERFACES}:${PORTS.dataNodeHttp}`,
    "dfs.datanode.ipc.address": `${ALL_INTERFACES}:${PORTS.dataNodeIpc}`,
    // Pod IPs have no reverse DNS: without this the NameNode rejects every DataNode's registration.
    "dfs.namenode.datanode.registration.ip-hostname-check": "false",
    // Pod IPs are reachable from every pod while pod hostnames resolve nowhere: address DataNodes by IP.
    "dfs.client.use.datanode.hostname": "false",
    "dfs.datanode.use.datanode.hostname": "false",
  };
}

const XML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
// Characters XML 1.0 cannot carry at all, escaped or not.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function escapeXml(text: string): string {
  if (NOT_XML.test(text))
    throw new Error(`cannot write ${JSON.stringify(text)} into Hadoop XML: it holds a control character XML 1.0 forbids`);
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

/** A Hadoop `*-site.xml` file holding these properties. */
export function renderHadoopXml(properties: HadoopProperties): string {
  const entries = Object.entries(properties).map(
    ([name, value]) => `  <property>\n    <name>${escapeXml(name)}</name>\n    <value>${escapeXml(value)}</value>\n  </property>\n`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- Rendered by spark-gpu-stack (components/hdfs). -->\n<configuration>\n${entries.join("")}</configuration>\n`;
}

/**
 * The NameNode's entrypoint, for its metadata in STORAGE_DIRS.name. Formats only when the metadata
 * directory holds no filesystem yet (no `current/VERSION`); `-nonInteractive` makes a format refuse,
 * and fail, on a directory that holds anything, so a damaged volume stops the pod instead of being wiped.
 */
export const NAMENODE_START_SCRIPT = readScript("hdfs", "start-namenode.sh");

const CREATE_DIRECTORIES_SCRIPT = readScript("hdfs", "create-directories.sh");

/** The one-shot Job's script: creates each directory with its owner, group and mode. Idempotent. */
export function renderCreateDirectoriesScript(directories: readonly HdfsDirectory[]): string {
  const calls = directories.map(
    (d) => `ensure_directory ${shellQuote(d.path)} ${shellQuote(`${d.owner}:${d.group}`)} ${shellQuote(d.mode)}\n`,
  );
  return `${CREATE_DIRECTORIES_SCRIPT}${calls.join("")}`;
}
