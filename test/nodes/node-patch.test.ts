// Node labels and taints from config: what the schema accepts, the NodePatch each node gets, and,
// through the whole program, that the pods the stack pins to a tainted node tolerate its taints.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { tolerates } from "../../components/k8s-common";
import { GPU_NODE_TAINT } from "../../components/nodes/gpu-marks";
import { pinnedTolerations, renderNodePatch } from "../../components/nodes/render-node-patch";
import { plain, type RecordedResource } from "../../tools/mock-runtime";
import { render } from "../../tools/render";
import { acceptedConfig, configProblems } from "../harness/config";
import { tempDir } from "../harness/daemons";
import { validateKubernetesObject } from "../harness/kubernetes-schema";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKwbVj2mXNJ3kdPz6vniua5fjO7YsjLfbNPuFixfsttr";
const node = (extra: Record<string, unknown> = {}) => ({
  name: "gpu-1",
  address: "192.0.2.21",
  runtime: "containerd",
  gpu: true,
  hostKey: HOST_KEY,
  ...extra,
});
const STORAGE = { className: "local-path" };
const problems = (raw: Record<string, unknown>) => configProblems({ storage: STORAGE, ...raw }, ["sshPrivateKey"]);

describe("nodes.hosts[].labels and .taints", () => {
  it("accepts labels and taints, node-role.kubernetes.io included", () => {
    const labels = { "example.com/disk": "ssd", "node-role.kubernetes.io/gpu": "", tier: "a.b_c-d" };
    const taints = [
      { key: "example.com/dedicated", value: "spark", effect: "NoExecute" },
      { key: "maintenance", effect: "NoSchedule" },
    ];
    const config = acceptedConfig({ storage: STORAGE, nodes: { hosts: [node({ labels, taints })] } }, ["sshPrivateKey"]);
    expect(config.nodes.hosts[0]).toMatchObject({ labels, taints });
  });

  it.each([
    [
      { labels: { "kubernetes.io/hostname": "other" } },
      `nodes.hosts[0].labels.kubernetes.io/hostname: expected a label key (e.g. example.com/disk: ssd) outside the kubernetes.io and k8s.io namespaces, which Kubernetes sets (node-role.kubernetes.io/ is allowed), and not nvidia.com/gpu.present, which nodes.hosts[].gpu sets, got "kubernetes.io/hostname"`,
    ],
    [
      { labels: { "nvidia.com/gpu.present": "false" } },
      `nodes.hosts[0].labels.nvidia.com/gpu.present: expected a label key (e.g. example.com/disk: ssd) outside the kubernetes.io and k8s.io namespaces, which Kubernetes sets (node-role.kubernetes.io/ is allowed), and not nvidia.com/gpu.present, which nodes.hosts[].gpu sets, got "nvidia.com/gpu.present"`,
    ],
    [
      { labels: { disk: "fast ssd" } },
      `nodes.hosts[0].labels.disk: expected a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric), got "fast ssd"`,
    ],
    [
      { taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }] },
      `nodes.hosts[0].taints[0].key: expected a taint key (a label key such as example.com/dedicated), not nvidia.com/gpu, which nodes.taintGpuNodes sets on GPU nodes, got "nvidia.com/gpu"`,
    ],
    [
      { taints: [{ key: "dedicated", effect: "NoRun" }] },
      `nodes.hosts[0].taints[0].effect: expected one of "NoSchedule", "PreferNoSchedule", "NoExecute", got "NoRun"`,
    ],
    [
      {
        taints: [
          { key: "dedicated", value: "a", effect: "NoSchedule" },
          { key: "dedicated", value: "b", effect: "NoSchedule" },
        ],
      },
      `nodes.hosts[0].taints[1]: expected one taint per key and effect, got dedicated:NoSchedule again (also nodes.hosts[0].taints[0]), got {"key":"dedicated","value":"b","effect":"NoSchedule"}`,
    ],
  ])("refuses %j", (extra, message) => {
    expect(problems({ nodes: { hosts: [node(extra)] } })).toEqual([message]);
  });

  it("refuses tainted GPU nodes when the GPU pods do not tolerate the taint", () => {
    const nodes = { taintGpuNodes: true, hosts: [node()] };
    expect(problems({ nodes, gpu: { enabled: true } })).toEqual([]);
    expect(problems({ nodes, gpu: { enabled: true, tolerations: [{ key: "example.com/other" }] } })).toEqual([
      'gpu.tolerations: expected a toleration of the taint nvidia.com/gpu=present:NoSchedule that nodes.taintGpuNodes puts on GPU nodes (e.g. {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}), got [{"key":"example.com/other","operator":"Exists"}]',
    ]);
  });
});

describe("renderNodePatch", () => {
  const config = (raw: Record<string, unknown>) =>
    acceptedConfig({ storage: STORAGE, registry: { host: "192.0.2.21", node: "gpu-1" }, nodes: raw }, ["sshPrivateKey"]).nodes;

  it("gives a GPU node the GPU label, and the GPU taint only with taintGpuNodes, beside its own", () => {
    const own = { labels: { "example.com/disk": "ssd" }, taints: [{ key: "dedicated", value: "spark", effect: "NoExecute" }] };
    for (const taintGpuNodes of [false, true]) {
      const nodes = config({ taintGpuNodes, hosts: [node(own)] });
      const patch = renderNodePatch(nodes.hosts[0], nodes);
      expect(patch).toEqual({
        metadata: { name: "gpu-1", labels: { "example.com/disk": "ssd", "nvidia.com/gpu.present": "true" } },
        spec: {
          taints: [
            { key: "dedicated", value: "spark", effect: "NoExecute" },
            ...(taintGpuNodes ? [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }] : []),
          ],
        },
      });
      validateKubernetesObject({ apiVersion: "v1", kind: "Node", ...patch });
    }
  });

  it("labels and taints a CPU node with its own only, and names every node, bare ones too", () => {
    const nodes = config({
      taintGpuNodes: true,
      hosts: [node({ gpu: false }), node({ name: "cpu-2", address: "192.0.2.22", gpu: false, labels: { a: "b" } })],
    });
    expect(nodes.hosts.map((n) => renderNodePatch(n, nodes))).toEqual([
      { metadata: { name: "gpu-1", labels: {} }, spec: { taints: [] } },
      { metadata: { name: "cpu-2", labels: { a: "b" } }, spec: { taints: [] } },
    ]);
  });

  it("tolerates exactly the taints of the node a pod is pinned to", () => {
    const nodes = config({
      taintGpuNodes: true,
      hosts: [node({ taints: [{ key: "maintenance", effect: "NoSchedule" }] }), node({ name: "cpu-2", address: "192.0.2.22", gpu: false })],
    });
    const tolerations = pinnedTolerations(nodes);
    expect(tolerations).toEqual({
      "gpu-1": [
        { key: "maintenance", operator: "Exists", effect: "NoSchedule" },
        { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" },
      ],
      "cpu-2": [],
    });
    expect(tolerations["gpu-1"].some((t) => tolerates(t, GPU_NODE_TAINT))).toBe(true);
    expect(tolerates({ key: "nvidia.com/gpu", operator: "Equal", value: "absent" }, GPU_NODE_TAINT)).toBe(false);
  });
});

describe("the prod stack with tainted GPU nodes and a taint of its own on the registry's node", async () => {
  const stack = parseYaml(readFileSync(join(__dirname, "..", "..", "stacks", "Pulumi.prod.yaml"), "utf8"));
  const nodes = stack.config["spark-gpu-stack:nodes"];
  nodes.taintGpuNodes = true;
  nodes.hosts[0].labels = { "example.com/role": "registry" };
  nodes.hosts[0].taints = [{ key: "example.com/dedicated", value: "platform", effect: "NoSchedule" }];
  // The device plugin must reach every GPU node, so it tolerates the registry node's own taint too;
  // pods nobody pins need an untainted node (the whole-plan check refuses the stack otherwise).
  stack.config["spark-gpu-stack:gpu"].tolerations = [
    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    { key: "example.com/dedicated", operator: "Equal", value: "platform", effect: "NoSchedule" },
  ];
  nodes.hosts.push({ ...nodes.hosts[2], name: "cpu-node-1", address: "192.0.2.24", gpu: false });
  const file = join(tempDir("stack"), "Pulumi.tainted.yaml");
  writeFileSync(file, stringify(stack));
  const { resources } = await render(file, tempDir("render-out"));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const dependencies = (r: RecordedResource) => r.dependencies.map((urn) => byUrn.get(urn)!.name);
  const ofType = (type: string) => resources.filter((r) => r.type === `kubernetes:${type}`);
  const registryNodePatch = () => ofType("core/v1:NodePatch").find((p) => plain(p.wire).metadata.name === "gpu-node-1")!;

  it("patches every configured node once, after its own runtime configuration", () => {
    const patches = ofType("core/v1:NodePatch");
    for (const patch of patches) validateKubernetesObject(plain(patch.wire));
    expect(Object.fromEntries(patches.map((p) => [plain(p.wire).metadata.name, dependencies(p)]))).toEqual({
      "gpu-node-1": ["nodes-gpu-node-1"],
      "gpu-node-2": ["nodes-gpu-node-2"],
      "gpu-node-3": ["nodes-gpu-node-3"],
      "cpu-node-1": ["nodes-cpu-node-1"],
    });
    expect(plain(registryNodePatch().wire)).toMatchObject({
      metadata: { labels: { "example.com/role": "registry", "nvidia.com/gpu.present": "true" } },
      spec: {
        taints: [
          { key: "example.com/dedicated", value: "platform", effect: "NoSchedule" },
          { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
        ],
      },
    });
  });

  it("lets HDFS onto the nodes holding its local volumes, tolerating exactly their taints", () => {
    const taintsOf = (node: string) =>
      plain(ofType("core/v1:NodePatch").find((p) => plain(p.wire).metadata.name === node)!.wire).spec.taints;
    const pod = (name: string) => plain(ofType("apps/v1:StatefulSet").find((s) => s.name === name)!.wire).spec.template.spec;
    expect(pod("hdfs-namenode").tolerations).toEqual([
      { key: "example.com/dedicated", operator: "Equal", value: "platform", effect: "NoSchedule" },
      { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" },
    ]);
    for (const taint of taintsOf("gpu-node-3")) expect(pod("hdfs-datanode").tolerations.some((t: any) => tolerates(t, taint))).toBe(true);
    expect(pod("hdfs-secondary-namenode").tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" },
    ]);
  });

  it("lets the registry and its cache onto their tainted node, and the device plugin and GPU executors onto GPU nodes", () => {
    const taints = plain(registryNodePatch().wire).spec.taints;
    for (const name of ["registry", "registry-mirror"]) {
      const pod = plain(ofType("apps/v1:Deployment").find((d) => d.name === name)!.wire).spec.template.spec;
      expect(pod.nodeSelector).toEqual({ "kubernetes.io/hostname": "gpu-node-1" });
      for (const taint of taints)
        expect(
          pod.tolerations.some((t: any) => tolerates(t, taint)),
          `${name}: ${taint.key}`,
        ).toBe(true);
    }
    const plugin = plain(ofType("helm.sh/v3:Release")[0].wire);
    expect(plugin.values.tolerations.some((t: any) => tolerates(t, GPU_NODE_TAINT))).toBe(true);
    const templates = plain(
      ofType("core/v1:ConfigMap").find((c) => plain(c.wire).metadata.name.startsWith("batch-inference-submit"))!.wire,
    ).data;
    const executor = parseYaml(templates["executor-template.yaml"]).spec;
    expect(executor.tolerations.some((t: any) => tolerates(t, GPU_NODE_TAINT))).toBe(true);
  });
});
