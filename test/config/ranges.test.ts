// Values that are well-formed but out of range: each is refused with the key, the value and what is
// expected, and the edge values just inside the range are accepted.
import { describe, expect, it } from "vitest";
import { configProblems as problems } from "../harness/config";

const NODE = { name: "gpu-1", address: "192.0.2.21", runtime: "docker" };
/** A valid one-node stack with its registry on that node; the cases change one thing. */
const stack = (change: { nodes?: object; registry?: object; cluster?: object }) => ({
  storage: { className: "local-path" },
  ...change,
  nodes: { delivery: "daemonset", hosts: [NODE], ...change.nodes },
  registry: { host: "192.0.2.21", node: "gpu-1", ...change.registry },
});

const NO_PROXY =
  "expected a host, an IPv4 address, a domain suffix (.example.com) or a network CIDR /8–/32 (e.g. 10.20.0.0/16), without a port";
const withNoProxy = (entry: string) => ({ proxy: { http: "http://proxy.example.com:8080", noProxy: [entry] } });

const CRON =
  'a five-field cron schedule: minute 0–59, hour 0–23, day of month 1–31, month 1–12 or JAN–DEC, day of week 0–6 or SUN–SAT, each *, ?, a value, a range, a list or a step (e.g. "0 3 * * 0"); or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly';
const NODE_PORTS = "Kubernetes' own ports on a node (6443, 2379, 2380, 2381, 10248, 10249, 10250, 10256, 10257, 10259, 6444, 10010)";

describe("out-of-range values", () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      "a registry port in the NodePort range",
      stack({ registry: { port: 30601 } }),
      "registry.port: expected a port 1–65535 outside the NodePort range 30000–32767, where kube-proxy forwards to Services, got 30601",
    ],
    [
      "the pull port on the kubelet's",
      stack({ registry: { pullPort: 10250 } }),
      `registry.pullPort: expected a port 1–65535 outside ${NODE_PORTS}, got 10250`,
    ],
    [
      "the dev registry on the kubelet's health port, which it binds at 127.0.0.1 on the node's network",
      { registry: { port: 10248 } },
      `registry.port: expected a port 1–65535 outside ${NODE_PORTS}, got 10248`,
    ],
    [
      "the dev registry's pull port on k3s' API server behind its supervisor (127.0.0.1:6444)",
      { registry: { pullPort: 6444 } },
      `registry.pullPort: expected a port 1–65535 outside ${NODE_PORTS}, got 6444`,
    ],
    [
      "the mirror on the API server's port",
      stack({ registry: { mirror: { enabled: true, port: 6443 } } }),
      `registry.mirror.port: expected a port 1–65535 outside ${NODE_PORTS}, got 6443`,
    ],
    [
      "a registry port on its node's SSH port",
      stack({ nodes: { hosts: [{ ...NODE, sshPort: 6001 }] } }),
      "registry.port: expected a port other than nodes.hosts[0].sshPort of registry.node gpu-1: the registry's hostPort would take the node's SSH traffic, got 6001 (the default)",
    ],
    [
      "a registry node that is no node name",
      { registry: { host: "192.0.2.21", node: "GPU_1" } },
      `registry.node: expected a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253, starting and ending alphanumeric), got "GPU_1"`,
    ],
    [
      "the registry at 0.0.0.0",
      { registry: { host: "0.0.0.0", node: "gpu-1" } },
      'registry.host: expected an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address), got "0.0.0.0"',
    ],
    [
      "a node at a multicast address",
      stack({ nodes: { hosts: [{ ...NODE, address: "224.0.0.1" }] } }),
      'nodes.hosts[0].address: expected an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address), got "224.0.0.1"',
    ],
    [
      "a bastion at the broadcast address",
      stack({ nodes: { delivery: "ssh", acceptUnknownHostKeys: true, bastion: { host: "255.255.255.255" } } }),
      'nodes.bastion.host: expected an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address), got "255.255.255.255"',
    ],
    [
      "the API server at 0.0.0.0",
      { cluster: { apiServer: "0.0.0.0:6443" } },
      'cluster.apiServer: expected host or host:port of the API server, got "0.0.0.0:6443"',
    ],
    [
      "a loopback DNS server",
      { dns: ["127.0.0.53"] },
      'dns[0]: expected the IPv4 address of a DNS server, not loopback (inside a container that is the container itself), 0.0.0.0/8, multicast or broadcast, got "127.0.0.53"',
    ],
    [
      "overlapping pod and Service networks",
      { cluster: { podCidr: "10.96.0.0/16" } },
      `cluster.serviceCidr: expected a network apart from cluster.podCidr (10.96.0.0/16): a Service address there would also be a pod's, got "10.96.0.0/12" (the default)`,
    ],
    [
      "a node subnet inside the pod network",
      stack({ nodes: { subnet: "10.244.7.0/24", hosts: [{ ...NODE, address: "10.244.7.21" }] }, registry: { host: "10.244.7.21" } }),
      'nodes.subnet: expected a network apart from cluster.podCidr (10.244.0.0/16), got "10.244.7.0/24"',
    ],
    [
      "a node inside the Service network",
      stack({ nodes: { hosts: [{ ...NODE, address: "10.96.0.21" }] }, registry: { host: "10.96.0.21" } }),
      'nodes.hosts[0].address: expected an address outside cluster.serviceCidr (10.96.0.0/12), got "10.96.0.21"',
    ],
    [
      "Sunday as 7, which Kubernetes' cron refuses",
      { registry: { gc: { schedule: "0 3 * * 7" } } },
      `registry.gc.schedule: expected ${CRON} (day of week 7: Sunday is 0), got "0 3 * * 7"`,
    ],
    [
      "Sunday as 07",
      { registry: { gc: { schedule: "0 3 * * 07" } } },
      `registry.gc.schedule: expected ${CRON} (day of week 7: Sunday is 0), got "0 3 * * 07"`,
    ],
    [
      "a day-of-week range that ends on 07",
      { registry: { gc: { schedule: "0 3 * * 5-07" } } },
      `registry.gc.schedule: expected ${CRON} (day of week 7: Sunday is 0), got "0 3 * * 5-07"`,
    ],
    [
      "the last day of the month (L)",
      { spark: { applications: [{ name: "pi", mainFile: "local:///opt/app.py", schedule: "0 0 L * *" }] } },
      `spark.applications[0].schedule: expected ${CRON}, got "0 0 L * *"`,
    ],
    [
      "a macro Kubernetes does not know",
      { registry: { gc: { schedule: "@fortnightly" } } },
      `registry.gc.schedule: expected ${CRON}, got "@fortnightly"`,
    ],
    ["a hashed minute (H)", { registry: { gc: { schedule: "H 3 * * *" } } }, `registry.gc.schedule: expected ${CRON}, got "H 3 * * *"`],
    [
      "a toleration key that is no label key",
      { gpu: { tolerations: [{ key: "nvidia gpu" }] } },
      'gpu.tolerations[0].key: expected a taint key (a label key such as nvidia.com/gpu), got "nvidia gpu"',
    ],
    [
      "a toleration value longer than a label value",
      { gpu: { tolerations: [{ key: "example.com/pool", operator: "Equal", value: "v".repeat(64) }] } },
      `gpu.tolerations[0].value: expected a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric), got "${"v".repeat(64)}"`,
    ],
    [
      "no GPUs on a GPU node",
      stack({ nodes: { hosts: [{ ...NODE, gpu: true, capacity: { "nvidia.com/gpu": 0 } }] } }),
      "nodes.hosts[0].capacity.nvidia.com/gpu: expected at least 1 on a GPU node (nodes.hosts[0].gpu is true), got 0",
    ],
    [
      "GPUs on a node that is no GPU node",
      stack({ nodes: { hosts: [{ ...NODE, capacity: { "nvidia.com/gpu": 2 } }] } }),
      "nodes.hosts[0].capacity.nvidia.com/gpu: expected 0 on a node that is no GPU node (nodes.hosts[0].gpu is false): the device plugin does not run there, got 2",
    ],
    ["a NO_PROXY network that is none", withNoProxy("10.0.0.0/33"), `proxy.noProxy[0]: ${NO_PROXY}, got "10.0.0.0/33"`],
    ["a NO_PROXY host with a path", withNoProxy("example.com/x"), `proxy.noProxy[0]: ${NO_PROXY}, got "example.com/x"`],
    ["NO_PROXY for every address", withNoProxy("0.0.0.0/0"), `proxy.noProxy[0]: ${NO_PROXY}, got "0.0.0.0/0"`],
    ["NO_PROXY for every name", withNoProxy("*"), `proxy.noProxy[0]: ${NO_PROXY}, got "*"`],
    [
      "a Python no PySpark runs on",
      { image: { pythonVersion: "3.6" } },
      'image.pythonVersion: expected a Python version "3.<minor>" from 3.7 on, as PySpark needs (e.g. "3.11"), got "3.6"',
    ],
  ])("refuses %s", (_, raw, message) => {
    expect(problems(raw, ["sshPrivateKey"])).toEqual([message]);
  });

  it("accepts the values at the edges of each range", () => {
    expect(problems(stack({ registry: { port: 29999, pullPort: 32768, mirror: { enabled: true, port: 10247 } } }))).toEqual([]);
    expect(
      problems(stack({ nodes: { hosts: [{ ...NODE, address: "10.95.255.254", sshPort: 2222 }] }, registry: { host: "10.95.255.254" } })),
    ).toEqual([]);
    expect(problems(stack({ nodes: { hosts: [{ ...NODE, gpu: true, capacity: { "nvidia.com/gpu": 1 } }] } }))).toEqual([]);
    expect(problems({ dns: ["192.0.2.53"], cluster: { podCidr: "10.112.0.0/16", apiServer: "192.0.2.10:6443" } })).toEqual([]);
    for (const entry of ["10.20.0.0/16", "192.0.2.7", ".corp.example.com", "*.corp.example.com", "registry.corp"]) {
      expect(problems(withNoProxy(entry))).toEqual([]);
    }
    expect(problems({ registry: { gc: { schedule: "*/15 1-5 ? JAN-MAR SUN,MON-FRI" } }, image: { pythonVersion: "3.7" } })).toEqual([]);
    expect(problems({ registry: { gc: { schedule: "@weekly" } } })).toEqual([]);
  });
});
