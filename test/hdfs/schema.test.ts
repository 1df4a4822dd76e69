import { describe, expect, it } from "vitest";
import { parseBlockSize } from "../../components/hdfs/schema";
import { acceptedConfig, configProblems } from "../harness/config";

const hdfsOf = (hdfs: Record<string, unknown>) => acceptedConfig({ hdfs }).hdfs;
const problemsOf = (hdfs: Record<string, unknown>) => configProblems({ hdfs });

describe("hdfs section", () => {
  it("is disabled by default, with Hadoop 3.4.1, three DataNodes, 128 MiB blocks and the Spark directories", () => {
    const hdfs = hdfsOf({});
    expect(hdfs).toMatchObject({
      enabled: false,
      namespace: "hdfs",
      image: { repository: "apache/hadoop", tag: "3.4.1" },
      dataNodes: 3,
      replication: 3,
      blockSize: 134217728,
      nameNode: { storageSize: "10Gi" },
      dataNode: { storageSize: "100Gi" },
      secondaryNameNode: true,
    });
    expect(hdfs.directories).toEqual([
      { path: "/tmp", owner: "hadoop", group: "supergroup", mode: "1777" },
      { path: "/user/spark", owner: "spark", group: "spark", mode: "755" },
    ]);
  });

  it.each([
    [1, 1],
    [2, 2],
    [3, 3],
    [7, 3],
  ])("replicates blocks min(3, dataNodes) times by default: %i DataNodes -> %i", (dataNodes, replication) => {
    expect(hdfsOf({ dataNodes }).replication).toBe(replication);
  });

  it("keeps an explicit replication up to the DataNode count", () => {
    expect(hdfsOf({ dataNodes: 5, replication: 5 }).replication).toBe(5);
    expect(hdfsOf({ dataNodes: 5, replication: 1 }).replication).toBe(1);
  });

  it("refuses more copies than DataNodes", () => {
    expect(problemsOf({ dataNodes: 2, replication: 3 })).toEqual([
      "hdfs.replication: expected at most hdfs.dataNodes (2) copies of each block, got 3",
    ]);
  });

  it("refuses zero DataNodes", () => {
    expect(problemsOf({ dataNodes: 0 })).toEqual(["hdfs.dataNodes: expected at least one DataNode (an integer 1–100), got 0"]);
  });

  it("refuses a block size without a unit", () => {
    const expected = "expected a size with a unit: b, k, m, g (as dfs.blocksize writes them) or Ki, Mi, Gi, e.g. 128m";
    expect(problemsOf({ blockSize: "134217728" })).toEqual([`hdfs.blockSize: ${expected}, got "134217728"`]);
    expect(problemsOf({ blockSize: "128 MB" })).toEqual([`hdfs.blockSize: ${expected}, got "128 MB"`]);
    expect(problemsOf({ blockSize: 134217728 })).toEqual(["hdfs.blockSize: expected a size with a unit such as 128m, got 134217728"]);
  });

  it("refuses a block size that is not a multiple of the 512-byte checksum chunk", () => {
    expect(problemsOf({ blockSize: "1048577b" })).toEqual([
      'hdfs.blockSize: expected a multiple of 512 bytes (the checksum chunk, dfs.bytes-per-checksum), e.g. 128m, got "1048577b"',
    ]);
  });

  it("refuses a block size below the NameNode's minimum", () => {
    expect(problemsOf({ blockSize: "512k" })).toEqual([
      `hdfs.blockSize: expected at least 1m (1048576 bytes, the NameNode's dfs.namenode.fs-limits.min-block-size), got "512k"`,
    ]);
  });

  it("refuses a DataNode volume smaller than one block, and takes one that holds a block", () => {
    expect(problemsOf({ dataNode: { storageSize: "1Gi" }, blockSize: "2g" })).toEqual([
      'hdfs.dataNode.storageSize: expected at least one block (hdfs.blockSize, 2048 MiB): a DataNode whose volume holds no block takes no writes, got "1Gi"',
    ]);
    expect(problemsOf({ dataNode: { storageSize: "64Mi" } })).toEqual([
      'hdfs.dataNode.storageSize: expected at least one block (hdfs.blockSize, 128 MiB): a DataNode whose volume holds no block takes no writes, got "64Mi"',
    ]);
    expect(problemsOf({ dataNode: { storageSize: "128Mi" } })).toEqual([]);
  });

  it("reports every problem of the section at once, with its key", () => {
    expect(
      problemsOf({
        image: { tag: "latest" },
        dataNode: { storageSize: "100G", storageClass: "Fast_SSD" },
        directories: [{ path: "user/spark", owner: "Spark", mode: "0999" }],
      }),
    ).toEqual([
      'hdfs.image.tag: expected a pinned Hadoop 3.x tag (e.g. 3.4.1), got "latest"',
      'hdfs.dataNode.storageSize: expected a size with a unit Ki, Mi, Gi or Ti (e.g. 50Gi), got "100G"',
      "hdfs.dataNode.storageClass: expected a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253, starting and ending alphanumeric), got \"Fast_SSD\"",
      "hdfs.directories[0].path: expected an absolute HDFS path below / such as /user/spark (segments of letters, digits, '.', '_', '-'), got \"user/spark\"",
      "hdfs.directories[0].owner: expected a user or group name (lower-case letters, digits, '_' and '-', at most 32, starting with a letter or '_'), got \"Spark\"",
      'hdfs.directories[0].mode: expected octal permissions such as "755" or "1777", got "0999"',
    ]);
  });

  it("refuses a directory listed twice and paths that climb", () => {
    expect(
      problemsOf({
        directories: [
          { path: "/data", owner: "spark", mode: "755" },
          { path: "/data", owner: "hadoop", mode: "700" },
        ],
      }),
    ).toEqual(['hdfs.directories[1].path: expected each path once, got "/data" again']);
    expect(problemsOf({ directories: [{ path: "/user/../etc", owner: "spark", mode: "755" }] })).toHaveLength(1);
  });
});

describe("parseBlockSize", () => {
  it.each([
    ["128m", 134217728],
    ["128M", 134217728],
    ["128Mi", 134217728],
    ["64m", 67108864],
    ["1g", 1073741824],
    ["1Gi", 1073741824],
    ["2048k", 2097152],
    ["1048576b", 1048576],
  ])("reads %s as %i bytes, binary units as Hadoop does", (text, bytes) => {
    expect(parseBlockSize(text)).toEqual({ bytes });
  });

  it.each(["128", "128mb", "128 m", "1.5g", "-1m", "0m", "m", "128t"])("refuses %s", (text) => {
    expect(parseBlockSize(text)).toHaveProperty("expected");
  });
});
