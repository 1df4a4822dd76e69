// The storage modes: what the config accepts, the local volumes planned for the prod topology (one
// per claim, on the node its pod runs on, pre-bound to it), and, through the whole program, that
// every claim names the class, the volumes outlive `pulumi destroy`, and HDFS pods run where their
// volumes are.
import { describe, expect, it } from "vitest";
import { LOCAL_CLASS, planStorage, renderLocalStorageClass, renderLocalVolume, volumeDirectories } from "../../components/storage/render";
import { plain, type RecordedResource } from "../../tools/mock-runtime";
import { readStackFile } from "../../tools/render";
import { acceptedConfig, configProblems } from "../harness/config";
import { renderedStack } from "../harness/rendered";
import { validateKubernetesObject } from "../harness/kubernetes-schema";

const NODES = {
  delivery: "daemonset",
  hosts: ["192.0.2.21", "192.0.2.22", "192.0.2.23"].map((address, i) => ({
    name: `gpu-node-${i + 1}`,
    address,
    runtime: "docker",
    gpu: true,
  })),
};
const REGISTRY = { host: "192.0.2.21", node: "gpu-node-1", mirror: { enabled: true } };
const HDFS = { enabled: true, dataNodes: 3, nameNode: { storageSize: "20Gi" }, dataNode: { storageSize: "500Gi" } };

describe("storage config", () => {
  it("wants a class or local volumes once nodes are configured, and neither on a cluster it does not configure", () => {
    expect(configProblems({ registry: REGISTRY, nodes: NODES })).toEqual([
      "storage.className: expected the StorageClass of the registry's and HDFS's claims, or storage.local.path for local volumes on the nodes: with nodes.hosts configured the cluster is assumed to have no default class (a kubeadm cluster has none), got nothing",
    ]);
    expect(configProblems({ registry: REGISTRY, nodes: NODES, storage: { className: "local-path" } })).toEqual([]);
    expect(configProblems({ registry: REGISTRY, nodes: NODES, storage: { local: { path: "/data/volumes" } } })).toEqual([]);
    expect(configProblems({})).toEqual([]);
  });

  it.each([
    [
      { storage: { className: "fast", local: { path: "/data" } } },
      'storage.className: expected either storage.className or storage.local, not both: local volumes have a class of their own, got "fast"',
    ],
    [
      { storage: { local: { path: "data/volumes" } } },
      `storage.local.path: expected an absolute directory on the nodes such as /data/spark-gpu-stack (segments of letters, digits, '.', '_', '-'), got "data/volumes"`,
    ],
    [
      { storage: { local: { path: "/data/../etc" } } },
      `storage.local.path: expected an absolute directory on the nodes such as /data/spark-gpu-stack (segments of letters, digits, '.', '_', '-'), got "/data/../etc"`,
    ],
    [
      { storage: { local: { path: "/data" } } },
      "storage.local.path: expected nodes.hosts: local volumes are made on the configured nodes, and there are none",
    ],
    [
      {
        nodes: NODES,
        registry: { ...REGISTRY, storage: { storageClass: "fast" } },
        hdfs: { ...HDFS, dataNode: { storageClass: "hdd" } },
        storage: { local: { path: "/data" } },
      },
      'registry.storage.storageClass: expected no class with storage.local: the claim binds to the local volume the stack makes for it, got "fast"',
      'hdfs.dataNode.storageClass: expected no class with storage.local: the claim binds to the local volume the stack makes for it, got "hdd"',
    ],
  ])("refuses %j", (raw, ...messages) => {
    expect(configProblems(raw)).toEqual(messages);
  });
});

describe("planStorage on the prod topology", () => {
  const config = acceptedConfig({ registry: REGISTRY, nodes: NODES, hdfs: HDFS, storage: { local: { path: "/data/volumes" } } });
  const plan = planStorage(config);

  it("makes one volume per claim on the node its pod runs on: registry and mirror on the registry's node, DataNode i on node i", () => {
    expect(plan.className).toBe(LOCAL_CLASS);
    expect(plan.local?.claims.map((c) => [`${c.namespace}/${c.name}`, c.node, c.size])).toEqual([
      ["registry/registry-data", "gpu-node-1", "50Gi"],
      ["registry/registry-mirror-data", "gpu-node-1", "20Gi"],
      ["hdfs/data-hdfs-namenode-0", "gpu-node-1", "20Gi"],
      ["hdfs/data-hdfs-secondary-namenode-0", "gpu-node-2", "20Gi"],
      ["hdfs/data-hdfs-datanode-0", "gpu-node-1", "500Gi"],
      ["hdfs/data-hdfs-datanode-1", "gpu-node-2", "500Gi"],
      ["hdfs/data-hdfs-datanode-2", "gpu-node-3", "500Gi"],
    ]);
  });

  it("has each node's script create its volumes' directories for the pods' users", () => {
    expect(volumeDirectories(plan)).toEqual({
      "gpu-node-1": [
        { path: "/data/volumes/registry-data", uid: 1000, gid: 1000 },
        { path: "/data/volumes/registry-mirror-data", uid: 1000, gid: 1000 },
        { path: "/data/volumes/data-hdfs-namenode-0", uid: 1000, gid: 100 },
        { path: "/data/volumes/data-hdfs-datanode-0", uid: 1000, gid: 100 },
      ],
      "gpu-node-2": [
        { path: "/data/volumes/data-hdfs-secondary-namenode-0", uid: 1000, gid: 100 },
        { path: "/data/volumes/data-hdfs-datanode-1", uid: 1000, gid: 100 },
      ],
      "gpu-node-3": [{ path: "/data/volumes/data-hdfs-datanode-2", uid: 1000, gid: 100 }],
    });
  });

  it("renders a valid class without provisioner, binding at first use, and volumes that keep their data", () => {
    validateKubernetesObject({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", ...renderLocalStorageClass() });
    const volume = renderLocalVolume("/data/volumes", plan.local!.claims[4]);
    validateKubernetesObject({ apiVersion: "v1", kind: "PersistentVolume", ...volume });
    expect(volume.spec).toMatchObject({
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: LOCAL_CLASS,
      claimRef: { namespace: "hdfs", name: "data-hdfs-datanode-0" },
      local: { path: "/data/volumes/data-hdfs-datanode-0" },
    });
    expect(renderLocalStorageClass()).toMatchObject({
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "WaitForFirstConsumer",
    });
  });

  it("names volumes and their directories after the claim alone: another namespace re-binds the same data", () => {
    const moved = planStorage(
      acceptedConfig({
        registry: { ...REGISTRY, namespace: "images" },
        nodes: NODES,
        hdfs: { ...HDFS, namespace: "hadoop" },
        storage: { local: { path: "/data/volumes" } },
      }),
    );
    const volumes = (p: typeof plan) => p.local!.claims.map((claim) => renderLocalVolume("/data/volumes", claim));
    expect(volumes(moved).map((v) => [v.metadata.name, v.spec.local.path])).toEqual(
      volumes(plan).map((v) => [v.metadata.name, v.spec.local.path]),
    );
    expect(volumes(moved)[0].spec.claimRef).toEqual({ namespace: "images", name: "registry-data" });
  });

  it("asks nothing of a named class but the name", () => {
    expect(planStorage(acceptedConfig({ registry: REGISTRY, nodes: NODES, storage: { className: "ceph-rbd" } }))).toEqual({
      className: "ceph-rbd",
    });
    expect(planStorage(acceptedConfig({}))).toEqual({ className: undefined });
  });
});

describe("the prod stack's storage", async () => {
  const { resources } = await renderedStack("prod");
  const objects = (type: string) => resources.filter((r) => r.type === `kubernetes:${type}`);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const waitsFor = (r: RecordedResource) => r.dependencies.map((urn) => byUrn.get(urn)!.type.split(":").pop());

  it("declares the local class and one pre-bound volume per claim, all kept by pulumi destroy", () => {
    const volumes = objects("core/v1:PersistentVolume");
    expect(volumes.map((v) => plain(v.wire).metadata.name).sort()).toEqual(
      [
        "registry-data",
        "registry-mirror-data",
        "data-hdfs-namenode-0",
        "data-hdfs-secondary-namenode-0",
        "data-hdfs-datanode-0",
        "data-hdfs-datanode-1",
        "data-hdfs-datanode-2",
      ]
        .map((claim) => `local-${claim}`)
        .sort(),
    );
    for (const r of [...volumes, ...objects("storage.k8s.io/v1:StorageClass")]) {
      expect(r.options.retainOnDelete, r.name).toBe(true);
      expect(plain(r.wire).spec?.persistentVolumeReclaimPolicy ?? plain(r.wire).reclaimPolicy, r.name).toBe("Retain");
    }
    const path = readStackFile("prod").config.storage as { local: { path: string } };
    for (const v of volumes) expect(plain(v.wire).spec.local.path).toMatch(new RegExp(`^${path.local.path}/`));
  });

  it("has every claim name the local class and wait for the volumes", () => {
    for (const claim of objects("core/v1:PersistentVolumeClaim")) {
      expect(plain(claim.wire).spec.storageClassName, claim.name).toBe(LOCAL_CLASS);
      expect(waitsFor(claim), claim.name).toContain("PersistentVolume");
    }
    for (const set of objects("apps/v1:StatefulSet")) {
      const spec = plain(set.wire).spec;
      expect(spec.volumeClaimTemplates[0].spec.storageClassName, set.name).toBe(LOCAL_CLASS);
      expect(waitsFor(set), set.name).toContain("PersistentVolume");
    }
  });

  it("runs each HDFS daemon on the nodes holding its volumes, as the DataNodes' anti-affinity allows", () => {
    const nodesOf = (name: string) => {
      const pod = plain(objects("apps/v1:StatefulSet").find((s) => plain(s.wire).metadata.name === name)!.wire).spec.template.spec;
      return pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values;
    };
    expect(nodesOf("hdfs-namenode")).toEqual(["gpu-node-1"]);
    expect(nodesOf("hdfs-secondary-namenode")).toEqual(["gpu-node-2"]);
    expect(nodesOf("hdfs-datanode")).toEqual(["gpu-node-1", "gpu-node-2", "gpu-node-3"]);
    for (const v of objects("core/v1:PersistentVolume").map((r) => plain(r.wire))) {
      const set = v.spec.claimRef.name.replace(/^data-(.*)-\d+$/, "$1");
      if (!set.startsWith("hdfs-")) continue;
      expect(nodesOf(set)).toContain(v.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]);
    }
  });

  it("has each node's script create the directories of the volumes on it", () => {
    const script = plain(resources.find((r) => r.name === "nodes-gpu-node-3")!.wire).stdin as string;
    expect(script).toContain("1000\t100\t/data/spark-gpu-stack/data-hdfs-datanode-2");
    expect(script).not.toContain("registry-data");
  });
});
