// The stack-wide part of the schema: sections, cluster, proxy, DNS, secrets, and how problems read.
// Section-specific bad inputs are tested beside each component.
import { describe, expect, it } from "vitest";
import { acceptedConfig, configProblems } from "../harness/config";

const problems = configProblems;

describe("stack config", () => {
  it("accepts an empty config and fills every default in one place", () => {
    const config = acceptedConfig({});
    expect(config.cluster).toEqual({ domain: "cluster.local", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" });
    expect(config.dns).toEqual([]);
    expect(config.proxy).toBeUndefined();
  });

  it.each([
    [
      { cluster: { podCidr: "10.244.0.1/16" } },
      'cluster.podCidr: expected an IPv4 CIDR whose address is the network address (e.g. 10.244.0.0/16), got "10.244.0.1/16"',
    ],
    [
      { cluster: { serviceCidr: "10.96.0.0/33" } },
      'cluster.serviceCidr: expected an IPv4 CIDR whose address is the network address (e.g. 10.244.0.0/16), got "10.96.0.0/33"',
    ],
    [
      { cluster: { podCidr: "16.0.0.0/4" } },
      'cluster.podCidr: expected a prefix length /8–/24 (NO_PROXY lists it, and kube-controller-manager gives each node a /24 of it by default), got "16.0.0.0/4"',
    ],
    [
      { cluster: { podCidr: "10.244.0.0/28" } },
      'cluster.podCidr: expected a prefix length /8–/24 (NO_PROXY lists it, and kube-controller-manager gives each node a /24 of it by default), got "10.244.0.0/28"',
    ],
    [
      { cluster: { serviceCidr: "10.96.0.0/11" } },
      'cluster.serviceCidr: expected a prefix length /12–/32 (kube-apiserver refuses a wider service range), got "10.96.0.0/11"',
    ],
    [
      { proxy: { http: "http://proxy.example.com:0" } },
      'proxy.http: expected an http:// or https:// URL with a host and no user:password inside (e.g. http://proxy.example.com:8080), got "http://proxy.example.com:0"',
    ],
    [{ cluster: "abc" }, 'cluster: expected a mapping, got "abc"'],
    [{ cluster: { domain: "cluster..local" } }, 'cluster.domain: expected a DNS domain (e.g. cluster.local), got "cluster..local"'],
    [
      { cluster: { apiServer: "https://192.0.2.1:6443" } },
      'cluster.apiServer: expected host or host:port of the API server, got "https://192.0.2.1:6443"',
    ],
    [{ cluster: { domian: "x" } }, "cluster.domian: unknown key (check the spelling against the configuration reference)"],
    [
      { proxy: { http: "proxy.example.com:8080" } },
      'proxy.http: expected an http:// or https:// URL with a host and no user:password inside (e.g. http://proxy.example.com:8080), got "proxy.example.com:8080"',
    ],
    [
      { proxy: { https: "http://proxy.example.com:8080" } },
      "proxy.http: expected an http:// or https:// URL with a host and no user:password inside (e.g. http://proxy.example.com:8080), got nothing",
    ],
    [
      { proxy: { http: "http://proxy.example.com:8080", noProxy: ["a b"] } },
      'proxy.noProxy[0]: expected a host, an IPv4 address, a domain suffix (.example.com) or a network CIDR /8–/32 (e.g. 10.20.0.0/16), without a port, got "a b"',
    ],
    [
      { dns: ["192.0.2.300"] },
      'dns[0]: expected the IPv4 address of a DNS server, not loopback (inside a container that is the container itself), 0.0.0.0/8, multicast or broadcast, got "192.0.2.300"',
    ],
    [{ dns: "192.0.2.53" }, 'dns: expected a list, got "192.0.2.53"'],
    [
      { registy: {} },
      "registy: unknown configuration key (expected one of cluster, proxy, dns, registry, image, nodes, spark, gpu, hdfs, storage, registryPassword, proxyUsername, proxyPassword, sshPrivateKey, registryTlsCertificate, registryTlsKey, registryTlsCa)",
    ],
  ])("rejects %j", (raw, message) => {
    expect(problems(raw)).toEqual([message]);
  });

  it("never echoes credentials written into a proxy URL", () => {
    const [message] = problems({ proxy: { http: "http://alice:s3cret@proxy.example.com:8080" } });
    expect(message).toContain('got "http://***@proxy.example.com:8080"');
    expect(message).not.toContain("s3cret");
    expect(message).not.toContain("alice");
  });

  it("asks for the SSH key at once, even while the nodes section has problems of its own", () => {
    const hosts = [{ name: "gpu-1", address: "not an address", runtime: "docker", hostKey: "x" }];
    expect(problems({ nodes: { hosts }, storage: { className: "local-path" } }).map((p) => p.split(":")[0])).toEqual([
      "nodes.hosts[0].address",
      "nodes.hosts[0].hostKey",
      "sshPrivateKey",
    ]);
    expect(problems({ nodes: { delivery: "daemonset", hosts } }).map((p) => p.split(":")[0])).not.toContain("sshPrivateKey");
  });

  it("wants proxy credentials in pairs, with a proxy to use them", () => {
    expect(problems({}, ["proxyUsername"])).toEqual([
      "proxyPassword: expected both proxyUsername and proxyPassword (secrets) or neither",
      "proxy: expected a proxy section (http URL) when proxy credentials are set",
    ]);
  });

  it("refuses JVM fetches over HTTP(S) when the proxy needs credentials, and allows them when it does not", () => {
    const spark = {
      applications: [
        {
          name: "etl",
          mainFile: "https://files.example.com/jobs/etl.py",
          sparkConf: { "spark.jars.packages": "org.example:lib:1.0", "spark.files": "hdfs:///a.txt,https://files.example.com/b.txt" },
        },
        { name: "local", mainFile: "local:///opt/app.py", sparkConf: { "spark.jars": "hdfs:///lib.jar" } },
      ],
    };
    const proxy = { http: "http://proxy.example.com:8080" };
    expect(problems({ proxy, spark }, ["proxyUsername", "proxyPassword"]).map((p) => p.split(": expected")[0])).toEqual([
      "spark.applications[0].mainFile",
      'spark.applications[0].sparkConf["spark.jars.packages"]',
      'spark.applications[0].sparkConf["spark.files"]',
    ]);
    expect(problems({ proxy, spark })).toEqual([]);
  });

  it.each([
    [
      { spark: { namespace: "registry" } },
      'spark.namespace: expected a namespace no other part of the stack uses, got "registry" (also registry.namespace)',
    ],
    [
      { hdfs: { enabled: true, namespace: "spark" } },
      'hdfs.namespace: expected a namespace no other part of the stack uses, got "spark" (also spark.namespace)',
    ],
    [
      { gpu: { enabled: true }, registry: { namespace: "nvidia-device-plugin" } },
      'registry.namespace: expected a namespace no other part of the stack uses, got "nvidia-device-plugin" (also the NVIDIA device plugin)',
    ],
    [
      {
        nodes: { delivery: "daemonset", hosts: [{ name: "n1", address: "192.0.2.21", runtime: "containerd" }] },
        storage: { className: "local-path" },
        spark: { namespace: "node-runtime-config" },
      },
      'spark.namespace: expected a namespace no other part of the stack uses, got "node-runtime-config" (also the nodes\' daemonset delivery)',
    ],
  ])("gives every part its own namespace: rejects %j", (raw, message) => {
    expect(problems(raw)).toEqual([message]);
  });

  it("judges the namespaces of the valid sections when another is bad", () => {
    expect(problems({ gpu: { enabled: "yes" }, spark: { namespace: "registry" } })).toEqual([
      'gpu.enabled: expected true or false, got "yes"',
      'spark.namespace: expected a namespace no other part of the stack uses, got "registry" (also registry.namespace)',
    ]);
  });

  it.each(["default", "kube-system", "kube-public", "kube-node-lease"])("refuses the cluster's own namespace %s", (namespace) => {
    expect(problems({ hdfs: { enabled: true, namespace } })).toEqual([
      `hdfs.namespace: expected a namespace of its own, not one Kubernetes creates itself (default, kube-system, kube-public, kube-node-lease), got "${namespace}"`,
    ]);
  });

  it("lets a namespace be reused by a part that is switched off", () => {
    expect(
      problems({ gpu: { enabled: false }, hdfs: { enabled: false, namespace: "spark" }, spark: { namespace: "nvidia-device-plugin" } }),
    ).toEqual([]);
  });

  const NODES = {
    delivery: "daemonset",
    hosts: [
      { name: "gpu-node-1", address: "192.0.2.21", runtime: "docker" },
      { name: "gpu-node-2", address: "192.0.2.22", runtime: "docker" },
    ],
  };

  it.each([
    [
      { nodes: NODES, storage: { className: "local-path" }, registry: { host: "192.0.2.21", node: "gpu-node-9" } },
      'registry.node: expected the name of a node in nodes.hosts (gpu-node-1, gpu-node-2), got "gpu-node-9"',
    ],
    [
      { nodes: NODES, storage: { className: "local-path" }, registry: { host: "192.0.2.99", node: "gpu-node-1" } },
      'registry.host: expected the address of registry.node gpu-node-1 (nodes.hosts[0].address 192.0.2.21), got "192.0.2.99"',
    ],
    [
      {
        nodes: NODES,
        storage: { className: "local-path" },
        registry: { host: "192.0.2.21", node: "gpu-node-1" },
        hdfs: { enabled: true, dataNodes: 3, replication: 2 },
      },
      "hdfs.dataNodes: expected at most the 2 nodes in nodes.hosts: each DataNode needs a node of its own, got 3",
    ],
  ])("places pinned pods on configured nodes: rejects %j", (raw, message) => {
    expect(problems(raw, ["sshPrivateKey"])).toEqual([message]);
  });

  it("accepts a registry on a configured node and as many DataNodes as nodes", () => {
    expect(
      problems(
        {
          nodes: NODES,
          storage: { className: "local-path" },
          registry: { host: "192.0.2.22", node: "gpu-node-2" },
          hdfs: { enabled: true, dataNodes: 2 },
        },
        ["sshPrivateKey"],
      ),
    ).toEqual([]);
  });

  it("lists every problem at once", () => {
    expect(problems({ cluster: { podCidr: "x", serviceCidr: "y" }, dns: ["z"], bogus: 1 })).toHaveLength(4);
  });

  it("runs the checks across valid sections even when another section is bad", () => {
    const node = { name: "n1", address: "192.0.2.21", runtime: "containerd" };
    const app = { name: "pi", mainFile: "local:///opt/app.py" };
    const found = problems(
      {
        registry: { port: "abc" },
        dns: ["192.0.2.53"],
        nodes: { acceptUnknownHostKeys: true, hosts: [node, { ...node, address: "192.0.2.22" }] },
        spark: { applications: [app, app] },
        hdfs: { enabled: true, dataNodes: 2, replication: 3 },
      },
      ["sshPrivateKey"],
    );
    expect(found).toEqual([
      'registry.port: expected an integer 1–65535, got "abc"',
      "storage.className: expected the StorageClass of the registry's and HDFS's claims, or storage.local.path for local volumes on the nodes: with nodes.hosts configured the cluster is assumed to have no default class (a kubeadm cluster has none), got nothing",
      'nodes.hosts[1].name: expected a name used by one node only, got "n1" again (also nodes.hosts[0])',
      'registry.host: expected the address of the registry\'s node, which all 2 nodes in nodes.hosts reach (a loopback address reaches only the node itself), got "127.0.0.1" (the default)',
      'spark.applications[1].name: expected a name no other application uses, got "pi" (spark.applications[0] has it)',
      "hdfs.replication: expected at most hdfs.dataNodes (2) copies of each block, got 3",
    ]);
  });
});
