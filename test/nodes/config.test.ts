// The `nodes` section through the stack's loader: defaults, and every bad input named by its key
// path, its value and what is expected.
import { describe, expect, it } from "vitest";
import { parseStackConfig, type SecretKey } from "../../components/config";
import { configProblems } from "../harness/config";

/** A real ed25519 host key line (ssh-keygen's, its private half thrown away). */
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKwbVj2mXNJ3kdPz6vniua5fjO7YsjLfbNPuFixfsttr";
const GPU_NODE = { name: "gpu-1", address: "192.0.2.21", runtime: "docker", gpu: true, hostKey: HOST_KEY };
/** The seed's registry on the first node, which every node reaches. */
const REGISTRY = { host: "192.0.2.21", node: "gpu-1" };

/** Claims need a class once nodes are configured (the storage check's own tests are in test/storage). */
const STORAGE = { className: "local-path" };
const problems = (raw: Record<string, unknown>, secrets: SecretKey[] = ["sshPrivateKey"]) =>
  configProblems({ storage: STORAGE, ...raw }, secrets);

describe("nodes config", () => {
  it("defaults to ssh, one node at a time, no subnet, no nodes, a pinned busybox", () => {
    const result = parseStackConfig({}, new Set());
    expect("config" in result && result.config.nodes).toEqual({
      delivery: "ssh",
      taintGpuNodes: false,
      maxUnavailable: 1,
      hosts: [],
      daemonsetImage: "busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0",
      acceptUnknownHostKeys: false,
    });
  });

  it("fills each node's SSH defaults and GPU off", () => {
    const result = parseStackConfig(
      { storage: STORAGE, nodes: { hosts: [{ name: "n1", address: "node1.example.com", runtime: "containerd", hostKey: HOST_KEY }] } },
      new Set(["sshPrivateKey"]),
    );
    expect("config" in result && result.config.nodes.hosts).toEqual([
      { name: "n1", address: "node1.example.com", sshUser: "root", sshPort: 22, runtime: "containerd", gpu: false, hostKey: HOST_KEY },
    ]);
  });

  it("accepts the seed's topology: three GPU nodes in a subnet behind an authenticated proxy", () => {
    const raw = {
      storage: STORAGE,
      proxy: { http: "http://proxy.example.com:8080" },
      dns: ["192.0.2.53", "192.0.2.54"],
      registry: REGISTRY,
      nodes: {
        subnet: "192.0.2.0/24",
        maxUnavailable: 1,
        hosts: [1, 2, 3].map((i) => ({ ...GPU_NODE, name: `gpu-${i}`, address: `192.0.2.2${i}` })),
      },
    };
    expect("config" in parseStackConfig(raw, new Set(["sshPrivateKey", "proxyUsername", "proxyPassword"]))).toBe(true);
  });

  it.each([
    [
      { proxy: { http: "proxy.example.com:8080" } },
      'proxy.http: expected an http:// or https:// URL with a host and no user:password inside (e.g. http://proxy.example.com:8080), got "proxy.example.com:8080"',
    ],
    [
      { nodes: { subnet: "192.0.2.1/24" } },
      'nodes.subnet: expected an IPv4 CIDR whose address is the network address (e.g. 10.244.0.0/16), got "192.0.2.1/24"',
    ],
    [
      { nodes: { subnet: "0.0.0.0/0" } },
      'nodes.subnet: expected a prefix length /8–/32 (NO_PROXY lists it instead of the nodes), got "0.0.0.0/0"',
    ],
    [
      { cluster: { podCidr: "10.244.0.0/33" } },
      'cluster.podCidr: expected an IPv4 CIDR whose address is the network address (e.g. 10.244.0.0/16), got "10.244.0.0/33"',
    ],
    [
      { nodes: { hosts: [{ ...GPU_NODE, runtime: "cri-o" }] } },
      'nodes.hosts[0].runtime: expected one of "docker", "containerd", got "cri-o"',
    ],
    [
      { nodes: { hosts: [{ name: "gpu-1", address: "192.0.2.21", gpu: true, hostKey: HOST_KEY }] } },
      'nodes.hosts[0].runtime: expected one of "docker", "containerd", got nothing',
    ],
    [
      { nodes: { hosts: [{ ...GPU_NODE, name: "GPU_1" }] } },
      "nodes.hosts[0].name: expected a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253, starting and ending alphanumeric), got \"GPU_1\"",
    ],
    [
      { nodes: { hosts: [{ ...GPU_NODE, address: "gpu_1.example.com" }] } },
      'nodes.hosts[0].address: expected an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address), got "gpu_1.example.com"',
    ],
    [{ nodes: { hosts: [{ ...GPU_NODE, sshPort: 0 }] } }, "nodes.hosts[0].sshPort: expected an integer 1–65535, got 0"],
    [
      { nodes: { hosts: [{ ...GPU_NODE, gpus: 1 }] } },
      "nodes.hosts[0].gpus: unknown key (check the spelling against the configuration reference)",
    ],
    [{ nodes: { delivery: "ansible" } }, 'nodes.delivery: expected one of "ssh", "daemonset", got "ansible"'],
    [{ nodes: { maxUnavailable: 0 } }, "nodes.maxUnavailable: expected an integer 1–100, got 0"],
    [
      { nodes: { daemonsetImage: "busybox:latest" } },
      "nodes.daemonsetImage: expected an image reference with a pinned tag or digest (e.g. busybox:1.37.0), not 'latest' or untagged, got \"busybox:latest\"",
    ],
    [
      { nodes: { daemonsetImage: "registry.example.com:5000/busybox" } },
      "nodes.daemonsetImage: expected an image reference with a pinned tag or digest (e.g. busybox:1.37.0), not 'latest' or untagged, got \"registry.example.com:5000/busybox\"",
    ],
  ])("rejects %j", (raw, message) => {
    expect(problems(raw)).toEqual([message]);
  });

  it("rejects, for the daemonset delivery only, a node name too long to be a label value", () => {
    const name = `gpu-${"a".repeat(56)}.lab`;
    const hosts = [{ ...GPU_NODE, name }];
    expect(problems({ nodes: { hosts } })).toEqual([]);
    expect(problems({ nodes: { delivery: "daemonset", hosts } })).toEqual([
      `nodes.hosts[0].name: expected at most 63 characters with nodes.delivery "daemonset", which selects the node by its kubernetes.io/hostname label (a label value), got "${name}"`,
    ]);
  });

  it("wants a bastion's host key like a node's, and no bastion without SSH", () => {
    const bastion = { host: "198.51.100.10" };
    expect(problems({ nodes: { hosts: [GPU_NODE], bastion } })).toEqual([
      "nodes.bastion.hostKey: expected the bastion's SSH host key (ssh-keyscan -t ed25519 198.51.100.10, checked out of band), or nodes.acceptUnknownHostKeys: true to trust whatever host answers, got nothing",
    ]);
    expect(problems({ nodes: { hosts: [GPU_NODE], bastion, acceptUnknownHostKeys: true } })).toEqual([]);
    expect(problems({ nodes: { delivery: "daemonset", hosts: [GPU_NODE], bastion: { ...bastion, hostKey: GPU_NODE.hostKey } } })).toEqual([
      expect.stringMatching(/^nodes\.bastion: expected no bastion with nodes\.delivery "daemonset"/),
    ]);
  });

  it("rejects a loopback registry host once more than one node pulls from it", () => {
    const hosts = [GPU_NODE, { ...GPU_NODE, name: "gpu-2", address: "192.0.2.22" }];
    expect(problems({ nodes: { hosts: [GPU_NODE] } })).toEqual([]);
    for (const host of ["localhost", "LOCALHOST", "registry.localhost", "127.0.1.1"]) {
      expect(problems({ registry: { host }, nodes: { hosts } })).toEqual([
        `registry.host: expected the address of the registry's node, which all 2 nodes in nodes.hosts reach (a loopback address reaches only the node itself), got "${host}"`,
      ]);
    }
  });

  it("says when the value it quotes is the default, which a misspelled section leaves in place", () => {
    const hosts = [GPU_NODE, { ...GPU_NODE, name: "gpu-2", address: "192.0.2.22" }];
    const [message] = problems({ nodes: { hosts } }).filter((p) => p.startsWith("registry.host:"));
    expect(message).toMatch(/, got "127\.0\.0\.1" \(the default\)$/);
  });

  it("rejects duplicate node names and addresses, naming both entries", () => {
    const hosts = [GPU_NODE, { ...GPU_NODE, address: "192.0.2.22" }, { ...GPU_NODE, name: "gpu-3" }];
    expect(problems({ registry: REGISTRY, nodes: { hosts } })).toEqual([
      'nodes.hosts[1].name: expected a name used by one node only, got "gpu-1" again (also nodes.hosts[0])',
      'nodes.hosts[2].address: expected an address used by one node only, got "192.0.2.21" again (also nodes.hosts[0])',
    ]);
  });

  it("rejects nodes outside the node subnet: every node must be covered by NO_PROXY", () => {
    const hosts = [
      GPU_NODE,
      { ...GPU_NODE, name: "gpu-2", address: "198.51.100.7" },
      { ...GPU_NODE, name: "gpu-3", address: "gpu-3.example.com" },
    ];
    expect(problems({ registry: REGISTRY, nodes: { subnet: "192.0.2.0/24", hosts } })).toEqual([
      'nodes.hosts[1].address: expected an IPv4 address inside nodes.subnet 192.0.2.0/24, got "198.51.100.7"',
      'nodes.hosts[2].address: expected an IPv4 address inside nodes.subnet 192.0.2.0/24, got "gpu-3.example.com"',
    ]);
  });

  it("wants each node's SSH host key for the ssh delivery, naming the node, unless unknown hosts are accepted", () => {
    const { hostKey: _, ...unverified } = GPU_NODE;
    const hosts = [GPU_NODE, { ...unverified, name: "gpu-2", address: "192.0.2.22" }];
    expect(problems({ registry: REGISTRY, nodes: { hosts } })).toEqual([
      "nodes.hosts[1].hostKey: expected node gpu-2's SSH host key (ssh-keyscan -t ed25519 192.0.2.22, checked out of band), or nodes.acceptUnknownHostKeys: true to trust whatever host answers, got nothing",
    ]);
    expect(problems({ registry: REGISTRY, nodes: { hosts, acceptUnknownHostKeys: true } })).toEqual([]);
    expect(problems({ registry: REGISTRY, nodes: { delivery: "daemonset", hosts } })).toEqual([]);
  });

  it.each([
    [
      "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNSljm2Qbqvv89E5p1ac2J6buhj9j3KBs5ZKIOQ5rAakyvZoVrT6s+SEmPupI6Oo3EGVn4lyk+7U9FLUFvsq54I=",
      true,
    ],
    [`${HOST_KEY} root@gpu-1`, true],
    // ssh-keyscan's output line: the address first.
    [`192.0.2.21 ${HOST_KEY}`, false],
    // The type and the key inside the blob disagree.
    [HOST_KEY.replace("ssh-ed25519", "ssh-rsa"), false],
    // A fingerprint, not the key.
    ["SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", false],
    ["ssh-ed25519 not-base64!", false],
  ])("takes %j as a host key: %s", (hostKey, accepted) => {
    const found = problems({ nodes: { hosts: [{ ...GPU_NODE, hostKey }] } });
    if (accepted) expect(found).toEqual([]);
    else
      expect(found).toEqual([
        expect.stringMatching(/^nodes\.hosts\[0\]\.hostKey: expected an OpenSSH public host key line "<type> <base64>"/),
      ]);
  });

  it("wants the SSH key for the ssh delivery, and not for the daemonset one", () => {
    expect(problems({ nodes: { hosts: [GPU_NODE] } }, [])).toEqual([
      'sshPrivateKey: expected the secret sshPrivateKey when nodes.delivery is "ssh" (or set nodes.delivery to "daemonset")',
    ]);
    expect("config" in parseStackConfig({ storage: STORAGE, nodes: { delivery: "daemonset", hosts: [GPU_NODE] } }, new Set())).toBe(true);
  });
});
