// "Every problem at once": each check across sections runs on the fields it reads while another field
// of the same sections is bad, and stays silent when a field it reads is the bad one.
import { describe, expect, it } from "vitest";
import type { SecretKey } from "../../components/config";
import { configProblems as problems } from "../harness/config";

const NODES = {
  delivery: "daemonset",
  hosts: [
    { name: "gpu-node-1", address: "192.0.2.21", runtime: "docker" },
    { name: "gpu-node-2", address: "192.0.2.22", runtime: "docker" },
  ],
};
/** A valid two-node stack: every case below adds one check's problem and one unrelated bad value. */
const BASE = { nodes: NODES, storage: { className: "local-path" }, registry: { host: "192.0.2.21", node: "gpu-node-1" } };

const BAD = {
  nodes: ["nodes.maxUnavailable: expected an integer 1–100, got 0", { maxUnavailable: 0 }],
  registry: ["registry.ui.nodePort: expected an integer 30000–32767, got 80", { ui: { nodePort: 80 } }],
  gpu: ["gpu.readyTimeoutSeconds: expected an integer 30–7200, got 1", { readyTimeoutSeconds: 1 }],
  spark: ["spark.jobTtlSeconds: expected an integer 60–2592000, got 1", { jobTtlSeconds: 1 }],
  hdfs: ['hdfs.image.tag: expected a pinned Hadoop 3.x tag (e.g. 3.4.1), got "latest"', { image: { tag: "latest" } }],
  storage: ["storage.clasName: unknown key (check the spelling against the configuration reference)", { clasName: "x" }],
} as const;

type Section = keyof typeof BAD;

/** `BASE` with `changes` merged section by section, and `bad`'s unrelated value merged into its section. */
function stack(changes: Record<string, Record<string, unknown>>, bad: Section): Record<string, unknown> {
  const merged: Record<string, Record<string, unknown>> = { ...BASE };
  for (const [key, value] of Object.entries(changes)) merged[key] = { ...merged[key], ...value };
  merged[bad] = { ...merged[bad], ...BAD[bad][1] };
  return merged;
}

const app = (more: Record<string, unknown> = {}) => ({ name: "pi", mainFile: "local:///opt/app.py", ...more });

describe("checks across sections judge what parsed", () => {
  it.each<[string, Record<string, Record<string, unknown>>, Section, string, SecretKey[]?]>([
    [
      "storage mode",
      { storage: { className: undefined } },
      "nodes",
      "storage.className: expected the StorageClass of the registry's and HDFS's claims, or storage.local.path for local volumes on the nodes: with nodes.hosts configured the cluster is assumed to have no default class (a kubeadm cluster has none), got nothing",
    ],
    [
      "local volumes' classes",
      { storage: { className: undefined, local: { path: "/data/stack" } }, registry: { storage: { storageClass: "fast" } } },
      "registry",
      'registry.storage.storageClass: expected no class with storage.local: the claim binds to the local volume the stack makes for it, got "fast"',
    ],
    [
      "local volumes' classes (storage)",
      {
        storage: { className: undefined, local: { path: "/data/stack" } },
        hdfs: { enabled: true, dataNodes: 2, nameNode: { storageClass: "fast" } },
      },
      "storage",
      'hdfs.nameNode.storageClass: expected no class with storage.local: the claim binds to the local volume the stack makes for it, got "fast"',
    ],
    [
      "GPU taint",
      { nodes: { taintGpuNodes: true }, gpu: { enabled: true, tolerations: [] } },
      "gpu",
      "gpu.tolerations: expected a toleration of the taint nvidia.com/gpu=present:NoSchedule that nodes.taintGpuNodes puts on GPU nodes (e.g. {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}), got []",
    ],
    [
      "RuntimeClass on Docker nodes",
      { gpu: { enabled: true, runtimeClass: true } },
      "nodes",
      "gpu.runtimeClass: expected false while nodes.hosts has Docker nodes (gpu-node-1, gpu-node-2): their kubelet runs pods through cri-dockerd, which ignored RuntimeClass handlers before Mirantis/cri-dockerd#350 and whose version the stack cannot see, so GPU pods could run without the nvidia runtime; Docker GPU nodes get it as Docker's default runtime instead, got true",
    ],
    [
      "node names",
      { nodes: { hosts: [NODES.hosts[0], { ...NODES.hosts[1], name: "gpu-node-1" }] } },
      "nodes",
      'nodes.hosts[1].name: expected a name used by one node only, got "gpu-node-1" again (also nodes.hosts[0])',
    ],
    [
      "node addresses",
      { nodes: { hosts: [NODES.hosts[0], { ...NODES.hosts[1], address: "192.0.2.21" }] } },
      "nodes",
      'nodes.hosts[1].address: expected an address used by one node only, got "192.0.2.21" again (also nodes.hosts[0])',
    ],
    [
      "loopback registry",
      { registry: { host: "127.0.0.1", node: undefined } },
      "registry",
      'registry.host: expected the address of the registry\'s node, which all 2 nodes in nodes.hosts reach (a loopback address reaches only the node itself), got "127.0.0.1"',
    ],
    [
      "registry node",
      { registry: { node: "gpu-node-9" } },
      "nodes",
      'registry.node: expected the name of a node in nodes.hosts (gpu-node-1, gpu-node-2), got "gpu-node-9"',
    ],
    [
      "application names",
      { spark: { applications: [app(), app()] } },
      "spark",
      'spark.applications[1].name: expected a name no other application uses, got "pi" (spark.applications[0] has it)',
    ],
    [
      "application GPUs",
      { spark: { applications: [app({ driver: { gpus: 1 } })] } },
      "gpu",
      "spark.applications[0].driver.gpus: expected 0 while gpu.enabled is false (set gpu.enabled: true to schedule GPU pods), got 1",
    ],
    [
      "restart policy",
      { spark: { applications: [app({ restartPolicy: { type: "OnFailure" } })] } },
      "spark",
      'spark.applications[0].restartPolicy.type: expected "Never" in submit mode (a failed Job is not re-run; set spark.mode: operator for restarts), got "OnFailure"',
    ],
    [
      "fs.defaultFS",
      {
        hdfs: { enabled: true, dataNodes: 2 },
        spark: { applications: [app({ sparkConf: { "spark.hadoop.fs.defaultFS": "hdfs://elsewhere:8020" } })] },
      },
      "hdfs",
      "spark.applications[0].sparkConf.spark.hadoop.fs.defaultFS: expected no value while hdfs.enabled is true: the stack points fs.defaultFS at its HDFS",
    ],
    [
      "replication",
      { hdfs: { enabled: true, dataNodes: 2, replication: 3 } },
      "hdfs",
      "hdfs.replication: expected at most hdfs.dataNodes (2) copies of each block, got 3",
    ],
    [
      "HDFS directories",
      {
        hdfs: {
          directories: [
            { path: "/tmp", owner: "hadoop", mode: "1777" },
            { path: "/tmp", owner: "spark", mode: "755" },
          ],
        },
      },
      "hdfs",
      'hdfs.directories[1].path: expected each path once, got "/tmp" again',
    ],
    [
      "DataNodes per node",
      { hdfs: { enabled: true, dataNodes: 3, replication: 2 } },
      "nodes",
      "hdfs.dataNodes: expected at most the 2 nodes in nodes.hosts: each DataNode needs a node of its own, got 3",
    ],
    [
      "shared namespaces",
      { spark: { namespace: "registry" } },
      "registry",
      'spark.namespace: expected a namespace no other part of the stack uses, got "registry" (also registry.namespace)',
    ],
    [
      "JVM fetches behind an authenticating proxy",
      {
        proxy: { http: "http://proxy.example.com:8080" },
        spark: { applications: [app({ mainFile: "https://files.example.com/app.py" })] },
      },
      "spark",
      'spark.applications[0].mainFile: expected no http(s) fetch by the JVM when the proxy needs credentials (the JVM reads no proxy credentials it could keep off its command line), got "https://files.example.com/app.py": put the file in the image (local://) or on HDFS',
      ["proxyUsername", "proxyPassword"],
    ],
    [
      "insecure registry with its own certificate",
      { registry: { insecure: true } },
      "registry",
      "registry.insecure: expected false when the registry's own certificate is given (registryTlsCertificate, registryTlsKey, registryTlsCa): it serves TLS with it",
      ["registryTlsCertificate", "registryTlsKey", "registryTlsCa"],
    ],
  ])("%s: reported beside a bad value elsewhere", (_, changes, bad, found, secrets = []) => {
    const reported = problems(stack(changes, bad), secrets);
    expect(reported).toContain(found);
    expect(reported).toContain(BAD[bad][0]);
    expect(reported).toHaveLength(2);
  });

  it("stays silent when a field the check reads is the bad one", () => {
    const hosts = [NODES.hosts[0], { ...NODES.hosts[1], name: "Gpu_Node_2" }];
    expect(problems({ ...BASE, nodes: { ...NODES, hosts }, registry: { host: "192.0.2.22", node: "gpu-node-2" } })).toEqual([
      "nodes.hosts[1].name: expected a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253, starting and ending alphanumeric), got \"Gpu_Node_2\"",
    ]);
    expect(problems({ ...BASE, hdfs: { enabled: true, dataNodes: 0, replication: 3 } })).toEqual([
      "hdfs.dataNodes: expected at least one DataNode (an integer 1–100), got 0",
    ]);
  });

  it("judges the mirror's port while the mirror's volume is bad", () => {
    const hosts = [{ ...NODES.hosts[0], sshPort: 6002 }, NODES.hosts[1]];
    const registry = { ...BASE.registry, mirror: { enabled: true, storage: { size: "20G" } } };
    expect(problems({ ...BASE, nodes: { ...NODES, hosts }, registry })).toEqual([
      'registry.mirror.storage.size: expected a size with a unit Ki, Mi, Gi or Ti (e.g. 50Gi), got "20G"',
      "registry.mirror.port: expected a port other than nodes.hosts[0].sshPort of registry.node gpu-node-1: the registry's hostPort would take the node's SSH traffic, got 6002 (the default)",
    ]);
  });

  it("judges the other entries of a list around a bad one", () => {
    const hosts = [...NODES.hosts, { ...NODES.hosts[0], address: "not an address" }];
    expect(problems({ ...BASE, nodes: { ...NODES, hosts } })).toEqual([
      'nodes.hosts[2].address: expected an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address), got "not an address"',
      'nodes.hosts[2].name: expected a name used by one node only, got "gpu-node-1" again (also nodes.hosts[0])',
    ]);
  });
});
