// NodeRuntimeConfig under the recording mock runtime: both deliveries, the rolling batches as the
// engine receives them (dependencies), the script's secrecy, and every Kubernetes object against
// its schema.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import type { SecretKey } from "../../components/config";
import type { NodeRuntimeConfig } from "../../components/nodes";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { podSecurityProblems } from "../../policy/pod-security";
import {
  containsSecret,
  isSecret,
  masked,
  plain,
  resolve,
  startMockRuntime,
  type MockRuntime,
  type RecordedResource,
} from "../../tools/mock-runtime";
import { acceptedConfig } from "../harness/config";

const PROXY_CREDENTIALS = { username: "svc-spark", password: "p@ss:w/rd" };
const ENCODED_PASSWORD = "p%40ss%3Aw%2Frd";
const COMMAND = "command:remote:Command";
/** Stands in for the key: the component only passes it on to the connection. */
const SSH_KEY = "ssh-private-key-for-tests";
const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";

/** Real ed25519 host key lines (ssh-keygen's, their private halves thrown away). */
const HOST_KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/csdL/9cuGDOVoBzxG5ED1SxTHbgHnsfTR4QHxMEwE",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF60sVkuB1to7Lo8xlbe6sMVJteRBvzpEuKxvla8pFGv",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKLOW9GDOpkkztV63neQKpSrRP7nk9/KVBHd/ZqYYCV5",
];

const seedNodes = (extra: Record<string, unknown> = {}) =>
  ["192.0.2.21", "192.0.2.22", "192.0.2.23"].map((address, i) => ({
    name: `gpu-${i + 1}`,
    address,
    runtime: "docker",
    gpu: true,
    hostKey: HOST_KEYS[i],
    ...extra,
  }));

const configOf = acceptedConfig;

interface Rendered {
  readonly rt: MockRuntime;
  readonly component: NodeRuntimeConfig;
}

async function renderNodes(
  nodes: Record<string, unknown>,
  options: { credentials?: typeof PROXY_CREDENTIALS; name?: string } = {},
): Promise<Rendered> {
  const rt = startMockRuntime();
  const pulumi = await import("@pulumi/pulumi");
  const { NodeRuntimeConfig } = await import("../../components/nodes/index.js");
  const secrets: SecretKey[] = ["sshPrivateKey", ...(options.credentials ? (["proxyUsername", "proxyPassword"] as const) : [])];
  const config = configOf(
    {
      proxy: { http: "http://proxy.example.com:8080" },
      dns: ["192.0.2.53", "192.0.2.54"],
      cluster: { apiServer: "192.0.2.10:6443" },
      registry: { host: "192.0.2.21", node: "gpu-1" },
      storage: { className: "local-path" },
      nodes,
    },
    secrets,
  );
  const component = new NodeRuntimeConfig(options.name ?? "nodes", {
    config: config.nodes,
    cluster: config.cluster,
    proxy: config.proxy,
    proxyCredentials: options.credentials ? pulumi.secret(options.credentials) : undefined,
    dns: config.dns,
    registry: { address: "192.0.2.21:6001", pushAddress: "192.0.2.21:6003" },
    sshPrivateKey: pulumi.secret(SSH_KEY),
  });
  await resolve(component.ref.ready);
  await rt.settle();
  return { rt, component };
}

/** The URNs of these resources a resource depends on, by name. */
const dependedOn = (r: RecordedResource, among: readonly RecordedResource[]) =>
  among
    .filter((other) => r.dependencies.includes(other.urn))
    .map((o) => o.name)
    .sort();

describe("ssh delivery: three GPU docker nodes behind an authenticated proxy, two at a time", async () => {
  const { rt, component } = await renderNodes(
    { maxUnavailable: 2, hosts: seedNodes({ sshUser: "ubuntu" }) },
    { credentials: PROXY_CREDENTIALS },
  );
  const commands = rt.ofType(COMMAND);

  it("runs one command per node, the second batch after the first", () => {
    expect(commands.map((c) => c.name)).toEqual(["nodes-gpu-1", "nodes-gpu-2", "nodes-gpu-3"]);
    expect(dependedOn(commands[0], commands)).toEqual([]);
    expect(dependedOn(commands[1], commands)).toEqual([]);
    expect(dependedOn(commands[2], commands)).toEqual(["nodes-gpu-1", "nodes-gpu-2"]);
    for (const c of commands) expect(c.parent).toMatch(/spark-gpu-stack:nodes:NodeRuntimeConfig::nodes$/);
  });

  it("pipes the node's script into sh over SSH with the secret key, through sudo for a non-root user", () => {
    const wire = commands[0].wire as any;
    expect(plain(wire).create).toBe("sudo -n sh -s");
    expect(plain(wire).connection).toMatchObject({ host: "192.0.2.21", port: 22, user: "ubuntu" });
    expect(commands.map((c) => plain(c.wire as any).connection.hostKey)).toEqual(HOST_KEYS);
    expect(plain(wire).connection.privateKey).toBe(SSH_KEY);
    expect(JSON.stringify(masked(wire.connection))).not.toContain(SSH_KEY);
    expect(plain(wire).stdin).toMatch(/^#!\/bin\/sh\n# Managed by spark-gpu-stack: configures the docker runtime of node gpu-1\./);
  });

  it("keeps the script secret: it carries the proxy credentials", () => {
    const wire = commands[0].wire as any;
    expect(isSecret(wire.stdin)).toBe(true);
    expect(plain(wire).stdin).toContain(`svc-spark:${ENCODED_PASSWORD}@proxy.example.com:8080`);
    const shown = JSON.stringify(rt.resources.map((r) => masked(r.wire)));
    expect(shown).not.toContain(ENCODED_PASSWORD);
    expect(shown).not.toContain(PROXY_CREDENTIALS.password);
  });

  it("re-runs on the script's hash, which is public and the same as the applied hash", async () => {
    const wire = commands[0].wire as any;
    expect(isSecret(wire.triggers)).toBe(false);
    const { value: applied, secret } = await resolve(component.applied);
    expect(secret).toBe(false);
    expect(plain(wire).triggers).toEqual([applied["gpu-1"].hash]);
    expect(applied["gpu-1"]).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), runtime: "docker" });
    const { value: ready } = await resolve(component.ref.ready);
    expect(ready).toBe(["gpu-1", "gpu-2", "gpu-3"].map((n) => `${n}=${applied[n].hash}`).join(" "));
  });

  it("publishes every node's files and script under <node>/, the proxy credentials shown as [secret]", async () => {
    const { value: files, secret } = await resolve(component.renderedFiles);
    expect(secret).toBe(false);
    expect(Object.values(files).join("\n")).not.toContain(PROXY_CREDENTIALS.password);
    expect(
      Object.keys(files)
        .filter((k) => k.startsWith("gpu-1/"))
        .sort(),
    ).toEqual([
      "gpu-1/apply.sh",
      "gpu-1/etc/docker/daemon.json",
      "gpu-1/etc/spark-gpu-stack/docker-proxy.env",
      "gpu-1/etc/systemd/system/docker.service.d/http-proxy.conf",
    ]);
    // The shown script is the applied one with the credentials in the proxy URLs masked.
    const applied: string = plain((commands[0].wire as any).stdin);
    const shownCredentials = "%5Bsecret%5D:%5Bsecret%5D";
    expect(applied).toContain(`${PROXY_CREDENTIALS.username}:${ENCODED_PASSWORD}@`);
    expect(files["gpu-1/apply.sh"]).toBe(applied.replaceAll(`${PROXY_CREDENTIALS.username}:${ENCODED_PASSWORD}`, shownCredentials));
    // With a node subnet absent, every node is in NO_PROXY, with the API server and the registry.
    expect(files["gpu-2/etc/spark-gpu-stack/docker-proxy.env"]).toContain(
      'NO_PROXY="localhost,127.0.0.1,192.0.2.21,192.0.2.22,192.0.2.23,gpu-1,gpu-2,gpu-3,10.244.0.0/16,10.96.0.0/12,.svc,.svc.cluster.local,kubernetes.default.svc,192.0.2.10"',
    );
    expect(JSON.parse(files["gpu-3/etc/docker/daemon.json"])).toMatchObject({
      "insecure-registries": ["192.0.2.21:6001"],
      dns: ["192.0.2.53", "192.0.2.54"],
      "default-runtime": "nvidia",
    });
  });
});

describe("unknown host keys", () => {
  it("are trusted only when the stack says so, with a warning naming each unverified node", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const { hostKey: _, ...unverified } = seedNodes()[1];
      const { rt } = await renderNodes({ acceptUnknownHostKeys: true, hosts: [seedNodes()[0], unverified] });
      expect(rt.ofType(COMMAND).map((c) => plain(c.wire as any).connection.hostKey)).toEqual([HOST_KEYS[0], undefined]);
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("acceptUnknownHostKeys"))).toEqual([
        "warning: [runtime] nodes.acceptUnknownHostKeys: the apply script, proxy credentials inside, goes to whatever host answers at gpu-2 (192.0.2.22): set nodes.hosts[].hostKey",
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("the daemonset image", () => {
  it("is warned about when pinned by tag only, since it runs privileged on every node", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const warnings = () => warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("nodes.daemonsetImage"));
    try {
      await renderNodes({ delivery: "daemonset", hosts: seedNodes().slice(0, 1) });
      expect(warnings()).toEqual([]);
      await renderNodes({ delivery: "daemonset", hosts: seedNodes().slice(0, 1), daemonsetImage: "busybox:1.37.0" });
      expect(warnings()).toEqual([
        "warning: [runtime] nodes.daemonsetImage: busybox:1.37.0 runs privileged on every node, pinned by tag only, so a retag changes what runs there: pin it by digest (<image>@sha256:<digest>)",
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});

describe("a bastion", () => {
  it("carries every node's connection through the jump host, verified by its own key, with the same private key", async () => {
    const bastion = { host: "198.51.100.10", user: "jump", hostKey: HOST_KEYS[2] };
    const { rt } = await renderNodes({ bastion, hosts: seedNodes().slice(0, 2) });
    const connections = rt.ofType(COMMAND).map((c) => (c.wire as any).connection);
    expect(connections).toHaveLength(2);
    for (const c of connections) expect(plain(c).proxy).toMatchObject({ ...bastion, port: 22, privateKey: SSH_KEY });
    for (const c of connections) expect(JSON.stringify(masked(c))).not.toContain(SSH_KEY);
  });
});

describe("applied hash", () => {
  it("leaves the credentials out: other credentials, same hash, other script", async () => {
    const first = await renderNodes({ hosts: seedNodes().slice(0, 1) }, { credentials: PROXY_CREDENTIALS });
    const second = await renderNodes({ hosts: seedNodes().slice(0, 1) }, { credentials: { username: "svc-spark", password: "rotated" } });
    const stdin = (r: Rendered) => plain((r.rt.one(COMMAND).wire as any).stdin);
    expect((await resolve(second.component.applied)).value).toEqual((await resolve(first.component.applied)).value);
    expect(stdin(second)).not.toBe(stdin(first));
  });

  it("without proxy credentials, the script is no secret", async () => {
    const { rt } = await renderNodes({ hosts: seedNodes().slice(0, 1) });
    expect(isSecret((rt.one(COMMAND).wire as any).stdin)).toBe(false);
  });
});

describe("daemonset delivery: one docker and one containerd node, one at a time", async () => {
  const hosts = [
    { name: "gpu-1", address: "192.0.2.21", runtime: "docker", gpu: true },
    { name: "gpu-2", address: "192.0.2.22", runtime: "containerd", gpu: true },
  ];
  const withCredentials = await renderNodes({ delivery: "daemonset", subnet: "192.0.2.0/24", hosts }, { credentials: PROXY_CREDENTIALS });
  const { rt } = withCredentials;
  const daemonSets = rt.ofType(DAEMON_SET);
  const objectOf = (r: RecordedResource) => {
    const [group, version, kind] = r.type.replace(/^kubernetes:/, "").split(/[/:]/);
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind, ...plain(r.wire) };
  };

  it("declares valid objects with explicit names: a privileged namespace, per node the script, a DaemonSet and a NodePatch", () => {
    const objects = rt.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(objects.map((r) => `${r.type.split(":").pop()}/${plain(r.wire).metadata.name}`).sort()).toEqual([
      "DaemonSet/runtime-config-gpu-1",
      "DaemonSet/runtime-config-gpu-2",
      "Namespace/node-runtime-config",
      "NodePatch/gpu-1",
      "NodePatch/gpu-2",
      "Secret/runtime-config-gpu-1",
      "Secret/runtime-config-gpu-2",
    ]);
    for (const r of objects) validateKubernetesObject(objectOf(r));
    expect(plain(rt.one("kubernetes:core/v1:Namespace").wire).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(rt.ofType(COMMAND)).toEqual([]);
  });

  it("starts the second node's DaemonSet after the first one is ready", () => {
    expect(dependedOn(daemonSets[0], daemonSets)).toEqual([]);
    expect(dependedOn(daemonSets[1], daemonSets)).toEqual(["nodes-gpu-1"]);
    expect(dependedOn(daemonSets[1], rt.ofType("kubernetes:core/v1:Secret"))).toEqual(["nodes-gpu-2-script"]);
  });

  it("runs the node's script from its Secret in the host's namespaces, pinned to the node, rolled by the script's hash", async () => {
    const spec = plain(daemonSets[1].wire).spec.template.spec;
    expect(spec.nodeSelector).toEqual({ "kubernetes.io/hostname": "gpu-2" });
    expect(spec.hostPID).toBe(true);
    expect(spec.initContainers[0].securityContext.privileged).toBe(true);
    expect(spec.initContainers[0].image).toBe("busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0");
    expect(spec.initContainers[0].command.join(" ")).toContain("nsenter --target 1 --mount --uts --ipc --net --pid -- systemd-run");
    expect(spec.volumes[0].secret.secretName).toBe("runtime-config-gpu-2");
    const { value: applied } = await resolve(withCredentials.component.applied);
    expect(applied["gpu-2"].runtime).toBe("containerd");
  });

  it("gives the pod no API token, and runs its waiting container as nobody, as `restricted` would admit it alone", () => {
    const spec = plain(daemonSets[1].wire).spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    const waiting = spec.containers[0];
    expect(waiting.image).toBe(spec.initContainers[0].image);
    expect(waiting.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    expect(waiting.securityContext).not.toHaveProperty("privileged");
    const alone = { resource: "DaemonSet", namespace: "ns", path: "spec", metadata: {}, spec: { containers: [waiting] } };
    expect(podSecurityProblems(alone, "restricted")).toEqual([]);
  });

  it("rolls a node's pod when its script changes, a rotated proxy password included, by a keyed checksum that is no secret", async () => {
    const checksumOf = (r: Rendered, node: number) =>
      plain(r.rt.ofType(DAEMON_SET)[node].wire).spec.template.metadata.annotations["spark-gpu-stack/apply-script-checksum"];
    const checksum = checksumOf(withCredentials, 1);
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(containsSecret(daemonSets[1].wire)).toBe(false);
    // Keyed: not the plain digest of the script, whose only unknown part is the password.
    const script = plain(rt.one("kubernetes:core/v1:Secret", "nodes-gpu-2-script").wire).stringData["apply.sh"];
    expect(checksum).not.toBe(createHash("sha256").update(script).digest("hex"));
    const key = plain(rt.one("random:index/randomBytes:RandomBytes", "nodes-checksum-key").state).hex;
    expect(checksum).toBe(createHmac("sha256", key).update(script).digest("hex"));

    const rotated = await renderNodes(
      { delivery: "daemonset", subnet: "192.0.2.0/24", hosts },
      { credentials: { ...PROXY_CREDENTIALS, password: "rotated" } },
    );
    expect(checksumOf(rotated, 1)).not.toBe(checksum);
    expect(
      checksumOf(await renderNodes({ delivery: "daemonset", subnet: "192.0.2.0/24", hosts }, { credentials: PROXY_CREDENTIALS }), 1),
    ).toBe(checksum);
    // Without credentials the script is public, and so is its plain hash on the pod.
    const open = await renderNodes({ delivery: "daemonset", subnet: "192.0.2.0/24", hosts });
    expect(checksumOf(open, 1)).toBe((await resolve(open.component.applied)).value["gpu-2"].hash);
    expect(open.rt.ofType("random:index/randomBytes:RandomBytes")).toEqual([]);
  });

  it("keeps the script with credentials in a Secret, secret on the wire", () => {
    const secret = rt.one("kubernetes:core/v1:Secret", "nodes-gpu-2-script").wire as any;
    expect(isSecret(secret.stringData)).toBe(true);
    const script = plain(secret).stringData["apply.sh"];
    expect(script).toContain("UNIT=containerd");
    // With nodes.subnet, NO_PROXY names the subnet instead of each node.
    expect(script).toContain("\nNO_PROXY=localhost,127.0.0.1,192.0.2.0/24,10.244.0.0/16,");
  });

  it("uses a ConfigMap when the script holds no credentials", async () => {
    const { rt: plainRt } = await renderNodes({ delivery: "daemonset", hosts: hosts.slice(0, 1) });
    expect(plainRt.ofType("kubernetes:core/v1:Secret")).toEqual([]);
    const configMap = plainRt.one("kubernetes:core/v1:ConfigMap");
    expect(plain(configMap.wire).data["apply.sh"]).toContain("UNIT=docker");
    expect(plain(plainRt.one(DAEMON_SET).wire).spec.template.spec.volumes[0].configMap.name).toBe("runtime-config-gpu-1");
  });
});

it("declares nothing for no nodes, and is ready at once", async () => {
  const { rt, component } = await renderNodes({});
  expect(rt.resources.filter((r) => r.custom)).toEqual([]);
  expect((await resolve(component.ref.ready)).value).toBe("");
});
