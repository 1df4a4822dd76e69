// The scheduling rules over small plans written as Kubernetes would read them: a good plan passes each
// rule, and each broken variant (a selector nobody sets, a taint nobody tolerates, a GPU pod without
// GPU nodes, a class nobody declares, a node over its capacity) fails with the violation it names.
import { describe, expect, it } from "vitest";
import { nodeCapacityRule } from "../../policy/capacity";
import { mergeValues } from "../../policy/charts";
import { clusterFacts, type ClusterFacts } from "../../policy/facts";
import type { PlanResource } from "../../policy/plan";
import { gpuPlacementRule, nodePlacementRule } from "../../policy/placement";
import { parseQuantity } from "../../policy/quantity";
import { planViolations } from "../../policy/rules";
import { type KnownNode, matchesTerm, podRequests, type Taint, tolerates } from "../../policy/scheduling";
import { claimsBindRule } from "../../policy/storage";

type Spec = Record<string, any>;

const nodePatch = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): PlanResource => ({
  type: "kubernetes:core/v1:NodePatch",
  name: `nodes-${name}`,
  props: { metadata: { name, labels }, spec: { taints } },
});

const podSpec = (extra: Spec = {}, resources: Spec = { requests: { cpu: "100m", memory: "128Mi" } }): Spec => ({
  containers: [{ name: "app", image: "example/app:1", resources }],
  ...extra,
});

const workload = (kind: "Deployment" | "StatefulSet" | "DaemonSet", name: string, spec: Spec, more: Spec = {}): PlanResource => ({
  type: `kubernetes:apps/v1:${kind}`,
  name,
  props: { metadata: { name, namespace: "apps" }, spec: { ...more, template: { metadata: {}, spec } } },
});

const deployment = (name: string, spec: Spec, replicas = 1) => workload("Deployment", name, spec, { replicas });

const gpuLimits = { limits: { "nvidia.com/gpu": "1" } };
const GPU_TAINT: Taint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };

const messages = (violations: { resource: string; field: string; message: string }[]) => violations.map((v) => `${v.resource} ${v.field}`);

describe("node-placement", () => {
  const cluster = [nodePatch("node-a", { "example.com/disk": "ssd" }), nodePatch("node-b")];

  it("passes pods whose selector a NodePatch sets, pods pinned by hostname, and pods without constraints", () => {
    const plan = [
      ...cluster,
      deployment("fast", podSpec({ nodeSelector: { "example.com/disk": "ssd" } })),
      deployment("pinned", podSpec({ nodeSelector: { "kubernetes.io/hostname": "node-b", "kubernetes.io/os": "linux" } })),
      deployment("free", podSpec()),
    ];
    expect(nodePlacementRule.check(plan)).toEqual([]);
  });

  it("refuses a selector nobody sets, naming the label's field and nodes.hosts[].labels", () => {
    const [violation, ...rest] = nodePlacementRule.check([
      ...cluster,
      deployment("web", podSpec({ nodeSelector: { "example.com/disk": "nvme" } })),
    ]);
    expect(rest).toEqual([]);
    expect(`${violation.resource} ${violation.field}`).toBe('Deployment/apps/web spec.template.spec.nodeSelector["example.com/disk"]');
    expect(violation.message).toContain("example.com/disk=nvme");
    expect(violation.message).toContain("nodes.hosts[].labels");
  });

  it("refuses a hostname that is not a configured node", () => {
    const violations = nodePlacementRule.check([
      ...cluster,
      deployment("web", podSpec({ nodeSelector: { "kubernetes.io/hostname": "node-z" } })),
    ]);
    expect(violations.map((v) => v.message)).toEqual([expect.stringContaining("add node node-z to nodes.hosts")]);
  });

  it("accepts a label the config declares the node already has", () => {
    const plan = [...cluster, deployment("web", podSpec({ nodeSelector: { "example.com/rack": "r1" } }))];
    const facts: ClusterFacts = { nodes: [{ name: "node-b", index: 1, labels: { "example.com/rack": "r1" } }] };
    expect(nodePlacementRule.check(plan)).toHaveLength(1);
    expect(nodePlacementRule.check(plan, facts)).toEqual([]);
  });

  it("refuses requirements that each hold on some node but on none together", () => {
    const plan = [
      nodePatch("node-a", { "example.com/disk": "ssd" }),
      nodePatch("node-b", { "example.com/zone": "z1" }),
      deployment("web", podSpec({ nodeSelector: { "example.com/disk": "ssd", "example.com/zone": "z1" } })),
    ];
    expect(messages(nodePlacementRule.check(plan))).toEqual(["Deployment/apps/web spec.template.spec.nodeSelector"]);
  });

  it("reads required node affinity: terms ORed, expressions ANDed", () => {
    const affinity = (terms: Spec[]) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
    });
    const ssd = { matchExpressions: [{ key: "example.com/disk", operator: "In", values: ["ssd"] }] };
    const nowhere = {
      matchExpressions: [
        { key: "example.com/disk", operator: "In", values: ["ssd"] },
        { key: "example.com/zone", operator: "Exists" },
      ],
    };
    expect(nodePlacementRule.check([...cluster, deployment("web", podSpec(affinity([nowhere, ssd])))])).toEqual([]);
    expect(messages(nodePlacementRule.check([...cluster, deployment("web", podSpec(affinity([nowhere])))]))).toEqual([
      "Deployment/apps/web spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
    ]);
  });

  it("without configured nodes, passes unconstrained pods and refuses any label but the ones every node has", () => {
    expect(nodePlacementRule.check([deployment("free", podSpec({ nodeSelector: { "kubernetes.io/os": "linux" } }))])).toEqual([]);
    const [violation] = nodePlacementRule.check([deployment("web", podSpec({ nodeSelector: { "example.com/disk": "ssd" } }))]);
    expect(violation.message).toContain("name the cluster's nodes in nodes.hosts");
  });

  describe("taints", () => {
    const tainted = [
      nodePatch("node-a", {}, [GPU_TAINT]),
      nodePatch("node-b", {}, [{ key: "example.com/dedicated", effect: "NoExecute" }]),
    ];
    const pinnedToA = { nodeSelector: { "kubernetes.io/hostname": "node-a" } };

    it("refuses a pod pinned to a tainted node without the toleration, naming the node's taints key", () => {
      const [violation, ...rest] = nodePlacementRule.check([...tainted, deployment("registry", podSpec(pinnedToA))]);
      expect(rest).toEqual([]);
      expect(`${violation.resource} ${violation.field}`).toBe("Deployment/apps/registry spec.template.spec.tolerations");
      expect(violation.message).toContain("nvidia.com/gpu=present:NoSchedule");
      expect(violation.message).toContain("nodes.hosts[0].taints");
    });

    it("passes it once it tolerates the taint", () => {
      const tolerations = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }];
      expect(nodePlacementRule.check([...tainted, deployment("registry", podSpec({ ...pinnedToA, tolerations }))])).toEqual([]);
    });

    it("refuses an unconstrained pod when every configured node is tainted, and passes it when one is not", () => {
      expect(messages(nodePlacementRule.check([...tainted, deployment("ui", podSpec())]))).toEqual([
        "Deployment/apps/ui spec.template.spec.tolerations",
      ]);
      expect(nodePlacementRule.check([...tainted, nodePatch("node-c"), deployment("ui", podSpec())])).toEqual([]);
    });

    it("lets PreferNoSchedule taints through", () => {
      const plan = [nodePatch("node-a", {}, [{ key: "example.com/soft", effect: "PreferNoSchedule" }]), deployment("ui", podSpec())];
      expect(nodePlacementRule.check(plan)).toEqual([]);
    });
  });
});

describe("tolerates (Kubernetes' ToleratesTaint)", () => {
  it.each([
    [{ key: "k", operator: "Equal", value: "v", effect: "NoSchedule" }, true],
    [{ key: "k", value: "v" }, true], // operator defaults to Equal, an empty effect matches all
    [{ key: "k", operator: "Equal", value: "w" }, false],
    [{ key: "k", operator: "Exists" }, true],
    [{ key: "k", operator: "Exists", effect: "NoExecute" }, false],
    [{ key: "other", operator: "Exists" }, false],
    [{ operator: "Exists" }, true], // an empty key with Exists tolerates everything
    [{ operator: "Exists", effect: "NoSchedule" }, true],
    [{ key: "k" }, false], // Equal with no value matches only an empty value
  ])("%j tolerates k=v:NoSchedule: %s", (toleration, expected) => {
    expect(tolerates(toleration, { key: "k", value: "v", effect: "NoSchedule" })).toBe(expected);
  });
});

describe("node selector terms", () => {
  const node: KnownNode = { name: "n1", labels: { a: "1", cpus: "16" }, taints: [] };
  it.each([
    [{ matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, true],
    [{ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, false],
    [{ matchExpressions: [{ key: "b", operator: "NotIn", values: ["1"] }] }, true],
    [{ matchExpressions: [{ key: "b", operator: "DoesNotExist" }] }, true],
    [{ matchExpressions: [{ key: "cpus", operator: "Gt", values: ["8"] }] }, true],
    [{ matchExpressions: [{ key: "cpus", operator: "Lt", values: ["8"] }] }, false],
    [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }, true],
    [{}, false], // an empty term matches no node
  ])("%j: %s", (term, expected) => {
    expect(matchesTerm(node, term)).toBe(expected);
  });
});

describe("gpu-placement", () => {
  const gpuNode = nodePatch("gpu-1", { "nvidia.com/gpu.present": "true" });
  const executor = deployment("executor", podSpec({ nodeSelector: { "nvidia.com/gpu.present": "true" } }, gpuLimits));
  const devicePlugin = (values: Spec = {}): PlanResource => ({
    type: "kubernetes:helm.sh/v3:Release",
    name: "gpu-device-plugin",
    props: { chart: "nvidia-device-plugin", name: "nvidia-device-plugin", namespace: "nvidia-device-plugin", values },
  });

  it("passes a GPU pod on a stack with a GPU node that runs the device plugin (the chart's own placement)", () => {
    expect(planViolations([gpuNode, nodePatch("cpu-1"), executor, devicePlugin()], {})).toEqual([]);
  });

  it("refuses a GPU pod on a stack without GPU nodes, at its GPU request", () => {
    const plan = [nodePatch("cpu-1"), deployment("executor", podSpec({}, gpuLimits))];
    const [violation, ...rest] = gpuPlacementRule.check(plan);
    expect(rest).toEqual([]);
    expect(`${violation.resource} ${violation.field}`).toBe(
      'Deployment/apps/executor spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]',
    );
    expect(violation.message).toContain("nodes.hosts[].gpu: true");
    // Its selector is refused too: nothing labels a GPU node.
    expect(messages(nodePlacementRule.check([nodePatch("cpu-1"), executor]))).toEqual([
      'Deployment/apps/executor spec.template.spec.nodeSelector["nvidia.com/gpu.present"]',
    ]);
  });

  it("refuses a GPU pod that may run only on nodes without GPUs", () => {
    const plan = [
      gpuNode,
      nodePatch("cpu-1"),
      deployment("executor", podSpec({ nodeSelector: { "kubernetes.io/hostname": "cpu-1" } }, gpuLimits)),
    ];
    expect(gpuPlacementRule.check(plan).map((v) => v.message)).toEqual([expect.stringContaining("may run only on cpu-1")]);
  });

  it("refuses a device plugin that does not tolerate a GPU node's taint, and a GPU pod left with no node that has the plugin", () => {
    const plan = [
      nodePatch("gpu-1", { "nvidia.com/gpu.present": "true" }, [{ key: "example.com/gpu", effect: "NoSchedule" }]),
      devicePlugin(),
    ];
    const tolerating = deployment(
      "executor",
      podSpec(
        { nodeSelector: { "nvidia.com/gpu.present": "true" }, tolerations: [{ key: "example.com/gpu", operator: "Exists" }] },
        gpuLimits,
      ),
    );
    expect(messages(gpuPlacementRule.check([...plan, tolerating]))).toEqual([
      "Release/nvidia-device-plugin/nvidia-device-plugin values.tolerations",
      'Deployment/apps/executor spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]',
    ]);
    const fixed = devicePlugin({ tolerations: [{ key: "example.com/gpu", operator: "Exists" }] });
    expect(gpuPlacementRule.check([plan[0], fixed, tolerating])).toEqual([]);
  });

  it("reads the device plugin's placement as Helm merges the stack's values over the chart's", () => {
    // The stack's term list replaces the chart's three terms: a node labelled only by NFD is left out.
    const nfdNode = nodePatch("gpu-2", { "nvidia.com/gpu.present": "true" });
    const onlyOurLabel = devicePlugin({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "example.com/gpu", operator: "In", values: ["yes"] }] }],
          },
        },
      },
    });
    expect(messages(gpuPlacementRule.check([nfdNode, onlyOurLabel]))).toEqual([
      "Release/nvidia-device-plugin/nvidia-device-plugin values.affinity",
    ]);
  });

  it("merges values as Helm does: maps key by key, lists and scalars replace, null deletes", () => {
    expect(mergeValues({ a: { b: 1, c: [1, 2] }, d: "x", e: 1 }, { a: { c: [3] }, d: null })).toEqual({ a: { b: 1, c: [3] }, e: 1 });
  });
});

describe("claims-bind", () => {
  const claim = (name: string, spec: Spec): PlanResource => ({
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    name,
    props: {
      metadata: { name, namespace: "apps" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } }, ...spec },
    },
  });
  const storageClass = (name: string, provisioner: string): PlanResource => ({
    type: "kubernetes:storage.k8s.io/v1:StorageClass",
    name,
    props: { metadata: { name }, provisioner, volumeBindingMode: "WaitForFirstConsumer" },
  });
  const localClass = storageClass("local", "kubernetes.io/no-provisioner");
  const volume = (name: string, node: string, claimRef: Spec | undefined, storage = "20Gi"): PlanResource => ({
    type: "kubernetes:core/v1:PersistentVolume",
    name,
    props: {
      metadata: { name },
      spec: {
        capacity: { storage },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "local",
        local: { path: `/srv/${name}` },
        ...(claimRef ? { claimRef } : {}),
        nodeAffinity: {
          required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] },
        },
      },
    },
  });

  it("refuses a claim without a class unless the cluster has a default class", () => {
    const plan = [claim("data", {})];
    const [violation] = claimsBindRule.check(plan);
    expect(`${violation.resource} ${violation.field}`).toBe("PersistentVolumeClaim/apps/data spec.storageClassName");
    expect(violation.message).toContain("set storage.className to a class the cluster has, or storage.local");
    expect(claimsBindRule.check(plan, { defaultStorageClass: true })).toEqual([]);
  });

  it("refuses a class nobody declares, and passes one the plan declares or the config says exists", () => {
    const plan = [claim("data", { storageClassName: "fast" })];
    expect(claimsBindRule.check(plan).map((v) => v.message)).toEqual([expect.stringContaining('names StorageClass "fast"')]);
    expect(claimsBindRule.check(plan, { storageClasses: ["fast"] })).toEqual([]);
    expect(claimsBindRule.check([...plan, storageClass("fast", "rancher.io/local-path")])).toEqual([]);
  });

  it("binds a claim of a class without a provisioner only to a fitting PersistentVolume of the plan", () => {
    const data = claim("data", { storageClassName: "local" });
    const reserved = { namespace: "apps", name: "data" };
    expect(claimsBindRule.check([localClass, data, volume("pv-data", "node-a", reserved)])).toEqual([]);
    expect(claimsBindRule.check([localClass, data]).map((v) => v.message)).toEqual([
      expect.stringContaining("no PersistentVolume in the plan fits it"),
    ]);
    expect(claimsBindRule.check([localClass, data, volume("pv-data", "node-a", reserved, "10Gi")]).map((v) => v.message)).toEqual([
      expect.stringContaining("PersistentVolume pv-data holds 10Gi, less than the 20Gi claimed"),
    ]);
    expect(claimsBindRule.check([localClass, data, volume("pv-other", "node-a", { namespace: "apps", name: "other" })])).toHaveLength(1);
  });

  it("needs one volume per StatefulSet replica's claim", () => {
    const sts = workload("StatefulSet", "db", podSpec(), {
      replicas: 2,
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { storageClassName: "local", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } },
        },
      ],
    });
    const plan = [localClass, nodePatch("node-a"), sts, volume("pv-0", "node-a", { namespace: "apps", name: "data-db-0" })];
    expect(claimsBindRule.check(plan).map((v) => `${v.resource} ${v.field} ${v.message.split(" has ")[0]}`)).toEqual([
      "StatefulSet/apps/db spec.volumeClaimTemplates[0].spec.storageClassName claim apps/data-db-1",
    ]);
    expect(claimsBindRule.check([...plan, volume("pv-1", "node-a", { namespace: "apps", name: "data-db-1" })])).toEqual([]);
  });

  it("refuses a local volume on a node the claim's pod cannot run on", () => {
    const pod = deployment(
      "registry",
      podSpec({
        nodeSelector: { "kubernetes.io/hostname": "node-b" },
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
      }),
    );
    const plan = [nodePatch("node-a"), nodePatch("node-b"), localClass, claim("data", { storageClassName: "local" }), pod];
    expect(messages(claimsBindRule.check([...plan, volume("pv-data", "node-a", { namespace: "apps", name: "data" })]))).toEqual([
      "PersistentVolume/pv-data spec.nodeAffinity.required.nodeSelectorTerms",
    ]);
    expect(claimsBindRule.check([...plan, volume("pv-data", "node-b", { namespace: "apps", name: "data" })])).toEqual([]);
  });
});

describe("node-capacity", () => {
  const facts = (cpu: string): ClusterFacts => ({
    nodes: [{ name: "node-a", index: 0, capacity: { cpu, memory: "8Gi", "nvidia.com/gpu": "1" } }],
  });
  const plan = [
    nodePatch("node-a"),
    nodePatch("node-b"),
    deployment("registry", podSpec({ nodeSelector: { "kubernetes.io/hostname": "node-a" } }, { requests: { cpu: "500m" } }), 2),
    workload("DaemonSet", "agent", podSpec({}, { requests: { cpu: "200m" } })),
    deployment("free", podSpec({}, { requests: { cpu: "4" } })),
  ];

  it("passes pinned pods and DaemonSets that fit the declared capacity; pods free to move are not counted", () => {
    expect(nodeCapacityRule.check(plan, facts("1200m"))).toEqual([]);
    expect(nodeCapacityRule.check(plan)).toEqual([]);
  });

  it("refuses an overflow, naming the node, the resource, the pods and the capacity key", () => {
    const [violation, ...rest] = nodeCapacityRule.check(plan, facts("1"));
    expect(rest).toEqual([]);
    expect(`${violation.resource} ${violation.field}`).toBe('Node/node-a capacity["cpu"]');
    expect(violation.message).toContain("request 1200m of cpu (Deployment/apps/registry 2 × 500m, DaemonSet/apps/agent 1 × 200m)");
    expect(violation.message).toContain('nodes.hosts[0].capacity["cpu"]');
  });

  it("counts GPU limits as requests, as the API server defaults them", () => {
    const gpuPods = [
      nodePatch("node-a"),
      deployment("exec", podSpec({ nodeSelector: { "kubernetes.io/hostname": "node-a" } }, gpuLimits), 2),
    ];
    expect(messages(nodeCapacityRule.check(gpuPods, facts("8")))).toEqual(['Node/node-a capacity["nvidia.com/gpu"]']);
  });

  it("sums containers and takes the largest init container", () => {
    const spec = {
      containers: [{ resources: { requests: { cpu: "100m" } } }, { resources: { limits: { cpu: "300m" } } }],
      initContainers: [{ resources: { requests: { cpu: "1", memory: "1Gi" } } }],
    };
    expect(Object.fromEntries(podRequests(spec))).toEqual({ cpu: 1, memory: 2 ** 30 });
  });
});

describe("quantities", () => {
  it.each([
    ["500m", 0.5],
    ["2", 2],
    ["1.5", 1.5],
    ["128Mi", 128 * 2 ** 20],
    ["1G", 1e9],
    ["500Gi", 500 * 2 ** 30],
    ["1e3", 1000],
    [4, 4],
    ["12 Gi", undefined],
    ["lots", undefined],
  ])("%s = %s", (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });
});

describe("the facts a stack config declares", () => {
  it("names the configured nodes by their place in nodes.hosts, and every class the config names", () => {
    const facts = clusterFacts({
      nodes: { hosts: [{ name: "a", runtime: "docker" }, { name: "b" }] },
      storage: { className: "fast" },
      registry: { storage: { storageClass: "fast" }, mirror: { storage: { storageClass: "cheap" } } },
      hdfs: { nameNode: { storageClass: "replicated" }, dataNode: {} },
    });
    expect(facts).toEqual({
      nodes: [
        { name: "a", index: 0 },
        { name: "b", index: 1 },
      ],
      storageClasses: ["fast", "cheap", "replicated"],
      defaultStorageClass: false,
    });
  });

  it("assumes the default class of a cluster whose nodes the stack does not configure", () => {
    expect(clusterFacts({})).toEqual({ nodes: [], storageClasses: [], defaultStorageClass: true });
  });
});
