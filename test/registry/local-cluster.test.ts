// PrivateRegistry at a loopback registry.host (the dev stack) under the mock runtime: its servers and
// UI run on the node's network, bound to registry.host's loopback address (or every address with
// registry.listen all), with no Service or NetworkPolicy that would promise what a host-network pod
// does not get. Debian's registry serves these files in local-cluster.system.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { registrySchema } from "../../components/registry/schema";
import { CONFIG_FILE, PULL_CONFIG_FILE, READONLY_CONFIG_FILE } from "../../components/registry/render";
import { plain } from "../../tools/mock-runtime";
import { configProblems } from "../harness/config";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { deployment, kubernetes, PROD, renderRegistry, secretData } from "./rendered-component";

const env = (container: { env: { name: string; value: string }[] }) => Object.fromEntries(container.env.map((e) => [e.name, e.value]));

describe("PrivateRegistry at 127.0.0.1 (the dev stack)", async () => {
  const { rt, component } = await renderRegistry({ registry: { mirror: { enabled: true } } });

  it("declares valid objects: no Service and no policy for the host-network pods, only the namespace's isolation", () => {
    const objects = kubernetes(rt).map((r) => plain(r.wire));
    for (const object of objects) validateKubernetesObject(object);
    const kinds = kubernetes(rt).map((r) => `${r.type.split(":").pop()}/${r.name}`);
    expect(kinds.filter((k) => /^(Service|NetworkPolicy)\//.test(k))).toEqual(["NetworkPolicy/registry-deny-ingress"]);
  });

  it("runs the registry, its pull process and the mirror on the node's network, each at its node port on 127.0.0.1", () => {
    const files = secretData(rt, "registry-config");
    expect([CONFIG_FILE, READONLY_CONFIG_FILE, PULL_CONFIG_FILE].map((f) => parseYaml(files[f]).http.addr)).toEqual([
      "127.0.0.1:6001",
      "127.0.0.1:6001",
      "127.0.0.1:6003",
    ]);
    expect(parseYaml(secretData(rt, "registry-mirror-config")[CONFIG_FILE]).http.addr).toBe("127.0.0.1:6002");
    for (const [name, ports] of [
      ["registry", [6001, 6003]],
      ["registry-mirror", [6002]],
    ] as const) {
      const pod = deployment(rt, name).spec.template.spec;
      expect(pod.hostNetwork, name).toBe(true);
      expect(pod.dnsPolicy, name).toBeUndefined();
      expect(pod.containers.flatMap((c: any) => c.ports.map((p: any) => [p.containerPort, p.hostPort]))).toEqual(ports.map((p) => [p, p]));
      // The kubelet probes on the node, where only 127.0.0.1 answers.
      for (const container of pod.containers) expect(container.livenessProbe.httpGet.host, name).toBe("127.0.0.1");
    }
  });

  it("runs the UI on the node's network too: it proxies to the registry's loopback address and listens at its node port there", async () => {
    const ui = deployment(rt, "registry-ui");
    // With its port taken on the node, a rolling update's surge pod would stay Pending.
    expect(ui.spec.strategy).toEqual({ type: "Recreate" });
    const pod = ui.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    const [container] = pod.containers;
    expect(env(container)).toMatchObject({ NGINX_PROXY_PASS_URL: "http://127.0.0.1:6001", NGINX_LISTEN_PORT: "127.0.0.1:30601" });
    expect(container.ports).toEqual([{ name: "http", containerPort: 30601, hostPort: 30601, protocol: "TCP" }]);
    expect(container.readinessProbe.httpGet.host).toBe("127.0.0.1");
    expect(component.uiUrl).toBeDefined();
  });

  it("binds, probes and proxies to registry.host's own loopback address when it is another than 127.0.0.1", async () => {
    const other = await renderRegistry({ registry: { host: "127.0.0.2" } });
    const files = secretData(other.rt, "registry-config");
    expect([CONFIG_FILE, PULL_CONFIG_FILE].map((f) => parseYaml(files[f]).http.addr)).toEqual(["127.0.0.2:6001", "127.0.0.2:6003"]);
    for (const container of deployment(other.rt, "registry").spec.template.spec.containers)
      expect(container.livenessProbe.httpGet.host).toBe("127.0.0.2");
    const [ui] = deployment(other.rt, "registry-ui").spec.template.spec.containers;
    expect(env(ui)).toMatchObject({ NGINX_PROXY_PASS_URL: "http://127.0.0.2:6001", NGINX_LISTEN_PORT: "127.0.0.2:30601" });
    expect(ui.readinessProbe.httpGet.host).toBe("127.0.0.2");
  }, 30_000);

  it("binds every address of the node with registry.listen all, and warns", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const all = await renderRegistry({ registry: { listen: "all" } });
      expect(parseYaml(secretData(all.rt, "registry-config")[PULL_CONFIG_FILE]).http.addr).toBe("0.0.0.0:6003");
      expect(env(deployment(all.rt, "registry-ui").spec.template.spec.containers[0]).NGINX_LISTEN_PORT).toBe("0.0.0.0:30601");
      expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("registry.listen"))).toEqual([
        expect.stringMatching(/^warning: \[runtime\] registry\.listen: all: .* in plain HTTP on every address of their node/),
      ]);
    } finally {
      warn.mockRestore();
    }
  }, 30_000);
});

describe("PrivateRegistry at a node's address", () => {
  it("stays in the pod network, reached through its hostPorts", async () => {
    const { rt } = await renderRegistry(PROD);
    const pod = deployment(rt, "registry").spec.template.spec;
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.containers.map((c: any) => [c.ports[0].containerPort, c.ports[0].hostPort])).toEqual([
      [5000, 6001],
      [5001, 6003],
    ]);
    expect(parseYaml(secretData(rt, "registry-config")[CONFIG_FILE]).http.addr).toBe(":5000");
  }, 30_000);

  it("refuses registry.listen other than loopback there, and any value but loopback or all", () => {
    expect(configProblems({ registry: { ...PROD.registry, listen: "all" } })).toEqual([
      'registry.listen: expected "loopback" (the default) unless registry.host is loopback: only a registry at a loopback host (got 192.0.2.21) runs on its node\'s network, got "all"',
    ]);
    expect(configProblems({ registry: { listen: "public" } })).toEqual([
      'registry.listen: expected one of "loopback", "all", got "public"',
    ]);
  });
});

describe("stacks/kind-dev.yaml", () => {
  const read = (file: string) => parseYaml(readFileSync(join(__dirname, "..", "..", "stacks", file), "utf8"));

  it("is one node publishing, on this machine's loopback only, the dev registry's push port and its UI", () => {
    const registry = registrySchema.parse({ ...read("Pulumi.dev.yaml").config["spark-gpu-stack:registry"], listen: "all" });
    const kind = read("kind-dev.yaml");
    expect(kind).toMatchObject({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4" });
    expect(kind.nodes).toHaveLength(1);
    // The pull port is the node's own business: its runtime pulls at the node's 127.0.0.1.
    expect(kind.nodes[0].extraPortMappings).toEqual(
      [registry.port, registry.ui.nodePort].map((port) => ({
        containerPort: port,
        hostPort: port,
        listenAddress: "127.0.0.1",
        protocol: "TCP",
      })),
    );
  });
});
