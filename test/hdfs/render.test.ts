import { describe, expect, it } from "vitest";
import {
  coreSiteProperties,
  defaultFsUri,
  hdfsSiteProperties,
  nameNodeWebUiUrl,
  renderHadoopXml,
  STORAGE_DIRS,
} from "../../components/hdfs/render";
import { readHadoopXml } from "./hadoop-xml";

const site = { nameNodeHost: "hdfs-namenode.hdfs.svc.cluster.local", replication: 2, blockSizeBytes: 268435456 };

describe("Hadoop site files", () => {
  it("core-site.xml names the NameNode Service as the default filesystem", () => {
    expect(readHadoopXml(renderHadoopXml(coreSiteProperties(site)))).toEqual({
      "fs.defaultFS": "hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020",
    });
    expect(defaultFsUri(site.nameNodeHost)).toBe("hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020");
    expect(nameNodeWebUiUrl(site.nameNodeHost)).toBe("http://hdfs-namenode.hdfs.svc.cluster.local:9870");
  });

  it("hdfs-site.xml carries replication, block size in bytes, storage directories and what Kubernetes needs", () => {
    const read = readHadoopXml(renderHadoopXml(hdfsSiteProperties(site)));
    expect(read).toEqual(hdfsSiteProperties(site));
    expect(read).toMatchObject({
      "dfs.replication": "2",
      "dfs.blocksize": "268435456",
      "dfs.namenode.name.dir": "file:///data/name",
      "dfs.datanode.data.dir": "file:///data/blocks",
      "dfs.namenode.checkpoint.dir": "file:///data/checkpoint",
      "dfs.namenode.rpc-address": "hdfs-namenode.hdfs.svc.cluster.local:8020",
      "dfs.namenode.rpc-bind-host": "0.0.0.0",
      "dfs.namenode.http-address": "hdfs-namenode.hdfs.svc.cluster.local:9870",
      "dfs.namenode.http-bind-host": "0.0.0.0",
      "dfs.namenode.datanode.registration.ip-hostname-check": "false",
      "dfs.client.use.datanode.hostname": "false",
    });
    // Every storage directory is below the volume root, never the root itself.
    for (const dir of Object.values(STORAGE_DIRS)) expect(dir).toMatch(/^\/data\/[a-z]+$/);
  });

  it("escapes markup so every value reads back exactly", () => {
    const hostile = {
      "a.b": `x & y < z > "q" 'r' </value></property><property><name>evil</name>`,
      "empty.value": "",
      "spaced.value": "  two  words ",
    };
    const xml = renderHadoopXml(hostile);
    expect(xml).not.toContain("<name>evil</name>");
    expect(readHadoopXml(xml)).toEqual(hostile);
  });

  it("refuses characters XML 1.0 cannot carry", () => {
    expect(() => renderHadoopXml({ "a.b": "bell\u0007" })).toThrow(/control character/);
  });
});
