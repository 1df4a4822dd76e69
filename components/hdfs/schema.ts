// The `hdfs` section: HDFS for the Spark jobs (NameNode, DataNodes, optional Secondary NameNode).
// Defaults live here only; `replication` is filled in after parsing from the DataNode count.
import { z } from "zod";
import { bool, byteQuantity, dnsLabel, dnsSubdomain, integer, quantityBytes } from "../validators";

const BINARY_UNITS: Readonly<Record<string, number>> = { b: 1, k: 2 ** 10, ki: 2 ** 10, m: 2 ** 20, mi: 2 ** 20, g: 2 ** 30, gi: 2 ** 30 };
/** HDFS checksums every 512 bytes (dfs.bytes-per-checksum): a block must hold whole chunks. */
export const CHECKSUM_CHUNK_BYTES = 512;
/** The NameNode refuses smaller blocks (dfs.namenode.fs-limits.min-block-size). */
export const MIN_BLOCK_SIZE_BYTES = 2 ** 20;

/**
 * Reads a block size written with a binary unit, case-insensitive: Hadoop's own suffixes
 * `b`, `k`, `m`, `g` (as `dfs.blocksize` takes them, 1k = 1024) or Kubernetes' `Ki`, `Mi`, `Gi`.
 * Returns the byte count, or what is expected.
 */
export function parseBlockSize(text: string): { bytes: number } | { expected: string } {
  const match = /^([1-9][0-9]*)([a-z]+)$/i.exec(text);
  const unit = match ? BINARY_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    return { expected: "expected a size with a unit: b, k, m, g (as dfs.blocksize writes them) or Ki, Mi, Gi, e.g. 128m" };
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes % CHECKSUM_CHUNK_BYTES !== 0) {
    return { expected: `expected a multiple of ${CHECKSUM_CHUNK_BYTES} bytes (the checksum chunk, dfs.bytes-per-checksum), e.g. 128m` };
  }
  if (bytes < MIN_BLOCK_SIZE_BYTES) {
    return { expected: `expected at least 1m (${MIN_BLOCK_SIZE_BYTES} bytes, the NameNode's dfs.namenode.fs-limits.min-block-size)` };
  }
  return { bytes };
}

/** A block size string, parsed to bytes. */
const blockSize = () =>
  z.string({ error: "expected a size with a unit such as 128m" }).transform((text, ctx) => {
    const parsed = parseBlockSize(text);
    if ("bytes" in parsed) return parsed.bytes;
    ctx.issues.push({ code: "custom", message: parsed.expected, input: text });
    return z.NEVER;
  });

const hdfsPath = () => {
  const e = { error: "expected an absolute HDFS path below / such as /user/spark (segments of letters, digits, '.', '_', '-')" };
  return z
    .string(e)
    .refine((v) => /^(\/[A-Za-z0-9._-]+)+$/.test(v) && !v.split("/").some((segment) => segment === "." || segment === ".."), e);
};

/** HDFS user and group names, as POSIX account names are written. */
const accountName = () => {
  const e = { error: "expected a user or group name (lower-case letters, digits, '_' and '-', at most 32, starting with a letter or '_')" };
  return z.string(e).regex(/^[a-z_][a-z0-9_-]{0,31}$/, e);
};

const directorySchema = z
  .strictObject({
    /** Absolute HDFS path; parents are created as needed. */
    path: hdfsPath(),
    /** HDFS user owning the directory. */
    owner: accountName(),
    /** HDFS group of the directory. @default the owner's name */
    group: accountName().optional(),
    /** Octal permissions; a leading 1 is the sticky bit (e.g. "1777" for shared scratch space). */
    mode: z.string().regex(/^[01]?[0-7]{3}$/, { error: 'expected octal permissions such as "755" or "1777"' }),
  })
  .transform((d) => ({ ...d, group: d.group ?? d.owner }));

const volumeSchema = (defaultSize: string) =>
  z.strictObject({
    /** Size of each volume. */
    storageSize: byteQuantity().default(defaultSize),
    /** StorageClass of the volumes. @default the cluster's default StorageClass */
    storageClass: dnsSubdomain().optional(),
  });

const dataNodeCount = () => {
  const e = { error: "expected at least one DataNode (an integer 1–100)" };
  return z.int(e).min(1, e).max(100, e);
};

/** A Hadoop 3.x release tag: the ports and keys rendered here are Hadoop 3's. */
const hadoopTag = () => {
  const e = { error: "expected a pinned Hadoop 3.x tag (e.g. 3.4.1)" };
  return z.string(e).regex(/^3\.[0-9]+\.[0-9]+([._-][A-Za-z0-9_.-]*)?$/, e);
};

export const hdfsSchema = z
  .strictObject({
    /** Deploy HDFS. @default false */
    enabled: bool().default(false),
    /** Namespace holding every HDFS object. @default "hdfs" */
    namespace: dnsLabel().default("hdfs"),
    /** The official Hadoop image (user `hadoop`, uid 1000, gid 100; HADOOP_HOME /opt/hadoop). */
    image: z
      .strictObject({
        /** @default "apache/hadoop" (Docker Hub); a mirror of it may be named instead */
        repository: z
          .string()
          .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, {
            error: "expected an image repository such as apache/hadoop",
          })
          .default("apache/hadoop"),
        /** @default "3.4.1" */
        tag: hadoopTag().default("3.4.1"),
      })
      .prefault({}),
    /** DataNodes, each on its own Kubernetes node (required anti-affinity). @default 3 */
    dataNodes: dataNodeCount().default(3),
    /** Copies of each block (dfs.replication), at most `dataNodes`. @default min(3, dataNodes) */
    replication: integer(1, 512).optional(),
    /** Block size with a binary unit (dfs.blocksize); a multiple of 512 bytes, at least 1m. Parsed to bytes. @default "128m" */
    blockSize: blockSize().prefault("128m"),
    /** NameNode metadata volume (also sizes the Secondary NameNode's checkpoint volume). @default { storageSize: "10Gi" } */
    nameNode: volumeSchema("10Gi").prefault({}),
    /** One block volume per DataNode. @default { storageSize: "100Gi" } */
    dataNode: volumeSchema("100Gi").prefault({}),
    /** Run a Secondary NameNode, which checkpoints the namespace so the edit log stays short. @default true */
    secondaryNameNode: bool().default(true),
    /**
     * Directories the Spark jobs use, created with their owner and mode by a one-shot Job.
     * @default /tmp (hadoop:supergroup 1777) and /user/spark (spark:spark 755, the apache/spark images' user)
     */
    directories: z.array(directorySchema).prefault([
      { path: "/tmp", owner: "hadoop", group: "supergroup", mode: "1777" },
      { path: "/user/spark", owner: "spark", mode: "755" },
    ]),
  })
  .superRefine((hdfs, ctx) => {
    // zod runs this after a refinement failed, not after a wrong type or a failed transform: the block
    // size parsed, but the volume's size may be no size (NaN bytes).
    const volume = quantityBytes(hdfs.dataNode.storageSize);
    if (!Number.isNaN(volume) && volume < hdfs.blockSize) {
      ctx.addIssue({
        code: "custom",
        path: ["dataNode", "storageSize"],
        input: hdfs.dataNode.storageSize,
        message: `expected at least one block (hdfs.blockSize, ${hdfs.blockSize / 2 ** 20} MiB): a DataNode whose volume holds no block takes no writes`,
      });
    }
  })
  .transform((hdfs) => ({ ...hdfs, replication: hdfs.replication ?? Math.min(3, hdfs.dataNodes) }));

export type HdfsConfig = z.output<typeof hdfsSchema>;
export type HdfsDirectory = HdfsConfig["directories"][number];
