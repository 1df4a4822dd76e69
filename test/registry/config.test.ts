// The `registry` section through the stack's loader: bad values are refused with the key path,
// the bad value and what is expected.
import { describe, expect, it } from "vitest";
import { configProblems } from "../harness/config";

const problemsOf = (registry: unknown) => configProblems({ registry });

describe("registry config", () => {
  it.each([
    [{ port: "abc" }, 'registry.port: expected an integer 1–65535, got "abc"'],
    [{ port: 70000 }, "registry.port: expected an integer 1–65535, got 70000"],
    [
      { version: "3.0.0" },
      'registry.version: expected a registry image tag of the 2.8 line (e.g. 2.8.3): the component mounts its config at /etc/docker/registry/config.yml, where 2.x reads it, got "3.0.0"',
    ],
    [
      { version: "latest" },
      'registry.version: expected a registry image tag of the 2.8 line (e.g. 2.8.3): the component mounts its config at /etc/docker/registry/config.yml, where 2.x reads it, got "latest"',
    ],
    [
      { host: "192.0.2.21" },
      "registry.node: expected the name of the Kubernetes node whose address is registry.host (192.0.2.21), so the registry's hostPort lands there, got nothing",
    ],
    [
      { host: "http://192.0.2.21" },
      'registry.host: expected an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address), got "http://192.0.2.21"',
    ],
    [
      { namespace: "Registry" },
      `registry.namespace: expected a DNS label (lower-case letters, digits and '-', at most 63, starting and ending alphanumeric), got "Registry"`,
    ],
    [{ username: "ad:min" }, `registry.username: expected a user name without ':' or whitespace, got "ad:min"`],
    [{ storage: { size: "8192Ti" } }, 'registry.storage.size: expected a size of at most 8191Ti, got "8192Ti"'],
    [{ storage: { size: "50GB" } }, 'registry.storage.size: expected a size with a unit Ki, Mi, Gi or Ti (e.g. 50Gi), got "50GB"'],
    [
      { storage: { storageClass: "Fast_SSD" } },
      `registry.storage.storageClass: expected a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253, starting and ending alphanumeric), got "Fast_SSD"`,
    ],
    [{ insecure: "yes" }, 'registry.insecure: expected true or false, got "yes"'],
    [{ tls: { secretName: "registry-tls" } }, "registry.tls: unknown key (check the spelling against the configuration reference)"],
    [
      { ui: { version: "1.5.4" } },
      'registry.ui.version: expected a joxit/docker-registry-ui tag 2.x.y from 2.2.0 on (e.g. 2.6.0): proxy mode on 8080 as non-root needs it, got "1.5.4"',
    ],
    [{ ui: { nodePort: 6001 } }, "registry.ui.nodePort: expected an integer 30000–32767, got 6001"],
    [
      { gc: { schedule: "weekly" } },
      'registry.gc.schedule: expected a five-field cron schedule: minute 0–59, hour 0–23, day of month 1–31, month 1–12 or JAN–DEC, day of week 0–6 or SUN–SAT, each *, ?, a value, a range, a list or a step (e.g. "0 3 * * 0"); or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, got "weekly"',
    ],
    [
      { gc: { schedule: "99 99 99 99 99" } },
      'registry.gc.schedule: expected a five-field cron schedule: minute 0–59, hour 0–23, day of month 1–31, month 1–12 or JAN–DEC, day of week 0–6 or SUN–SAT, each *, ?, a value, a range, a list or a step (e.g. "0 3 * * 0"); or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly (Constraint error, got value 99 expected range 0-59), got "99 99 99 99 99"',
    ],
    [
      { gc: { schedule: "0 24 * * *" } },
      'registry.gc.schedule: expected a five-field cron schedule: minute 0–59, hour 0–23, day of month 1–31, month 1–12 or JAN–DEC, day of week 0–6 or SUN–SAT, each *, ?, a value, a range, a list or a step (e.g. "0 3 * * 0"); or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly (Constraint error, got value 24 expected range 0-23), got "0 24 * * *"',
    ],
    [
      { gc: { kubectlVersion: "1.32.4" } },
      'registry.gc.kubectlVersion: expected a registry.k8s.io/kubectl tag v1.x.y from v1.29.0 on (the GC job runs a shell script), within one minor version of the cluster (e.g. v1.32.4), got "1.32.4"',
    ],
    [
      { gc: { kubectlVersion: "v1.28.9" } },
      'registry.gc.kubectlVersion: expected a registry.k8s.io/kubectl tag v1.x.y from v1.29.0 on (the GC job runs a shell script), within one minor version of the cluster (e.g. v1.32.4), got "v1.28.9"',
    ],
    [{ gc: { deleteUntagged: "yes" } }, 'registry.gc.deleteUntagged: expected true or false, got "yes"'],
    [
      { mirror: { enabled: true, port: 6001 } },
      "registry.mirror.port: expected a port other than registry.port (6001): both listen on the same node, got 6001",
    ],
    [{ mirorr: { enabled: true } }, "registry.mirorr: unknown key (check the spelling against the configuration reference)"],
  ])("refuses %j", (registry, message) => {
    expect(problemsOf(registry)).toEqual([message]);
  });

  it("lists every problem of the section at once", () => {
    expect(problemsOf({ port: 0, ui: { nodePort: 80 }, gc: { schedule: "" } })).toHaveLength(3);
  });

  it("takes the user's own certificate as three secrets, all or none, and not with registry.insecure", () => {
    const prod = { host: "192.0.2.21", node: "gpu-node-1" };
    expect(configProblems({ registry: prod }, ["registryTlsCertificate", "registryTlsKey", "registryTlsCa"])).toEqual([]);
    expect(configProblems({ registry: prod }, ["registryTlsCertificate"])).toEqual([
      "registryTlsKey, registryTlsCa: expected all of registryTlsCertificate, registryTlsKey, registryTlsCa (secrets, PEM) or none, got only registryTlsCertificate",
    ]);
    expect(
      configProblems({ registry: { ...prod, insecure: true } }, ["registryTlsCertificate", "registryTlsKey", "registryTlsCa"]),
    ).toEqual([
      "registry.insecure: expected false when the registry's own certificate is given (registryTlsCertificate, registryTlsKey, registryTlsCa): it serves TLS with it",
    ]);
  });

  it("accepts the prod topology, and a loopback host without a node", () => {
    expect(problemsOf({ host: "192.0.2.21", node: "gpu-node-1", mirror: { enabled: true } })).toEqual([]);
    expect(problemsOf({ host: "localhost" })).toEqual([]);
  });
});
