import { describe, expect, it } from "vitest";
import { computeNoProxy, type NoProxyInputs } from "../../components/nodes/no-proxy";

const cluster = { domain: "cluster.local", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", apiServer: "192.0.2.10:6443" };
const seedNodes = [
  { name: "gpu-3", address: "192.0.2.23" },
  { name: "gpu-1", address: "192.0.2.21" },
  { name: "gpu-2", address: "192.0.2.9" },
];
const base: NoProxyInputs = { cluster, nodes: { hosts: seedNodes }, registryHosts: ["192.0.2.21:6001"], extra: [] };

describe("computeNoProxy", () => {
  it("lists loopback, every node, the cluster networks and names, the API server and the registry host, each once", () => {
    expect(computeNoProxy(base)).toEqual([
      "localhost",
      "127.0.0.1",
      "192.0.2.9",
      "192.0.2.21", // also the registry host: listed once
      "192.0.2.23",
      "gpu-1",
      "gpu-2",
      "gpu-3",
      "10.244.0.0/16",
      "10.96.0.0/12",
      ".svc",
      ".svc.cluster.local",
      "kubernetes.default.svc",
      "192.0.2.10",
    ]);
  });

  it("does not depend on the order nodes are listed in", () => {
    expect(computeNoProxy({ ...base, nodes: { hosts: [...seedNodes].reverse() } })).toEqual(computeNoProxy(base));
  });

  it("with a node subnet, adding a node leaves the list unchanged", () => {
    const subnet = "192.0.2.0/24";
    const before = computeNoProxy({ ...base, nodes: { subnet, hosts: seedNodes } });
    const after = computeNoProxy({ ...base, nodes: { subnet, hosts: [...seedNodes, { name: "gpu-4", address: "192.0.2.24" }] } });
    expect(after).toEqual(before);
    expect(before).toContain(subnet);
    expect(before.some((e) => e.startsWith("gpu-"))).toBe(false);
  });

  it("uses the custom cluster domain, strips ports from registries and keeps extras last", () => {
    const list = computeNoProxy({
      cluster: { domain: "corp.k8s", podCidr: "10.1.0.0/16", serviceCidr: "10.2.0.0/16" },
      nodes: { hosts: [{ name: "n1", address: "10.0.0.5" }] },
      registryHosts: ["registry.corp.example:5000", "mirror.corp.example:5001"],
      extra: [".corp.example", "localhost"],
    });
    expect(list).toContain(".svc.corp.k8s");
    expect(list.slice(-3)).toEqual(["registry.corp.example", "mirror.corp.example", ".corp.example"]);
    expect(list.filter((e) => e === "localhost")).toHaveLength(1);
  });
});
