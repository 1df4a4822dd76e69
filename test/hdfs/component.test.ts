// HdfsCluster under the recording mock runtime: what the engine would receive, every Kubernetes
// object checked against its schema.
import { beforeAll, describe, expect, it } from "vitest";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { plain, resolve, startMockRuntime, type MockRuntime, type RecordedResource } from "../../tools/mock-runtime";
import { readHadoopXml } from "./hadoop-xml";

const rt: MockRuntime = startMockRuntime();

const K8S = {
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  job: "kubernetes:batch/v1:Job",
} as const;

async function build(name: string, hdfs: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  const { parseStackConfig } = await import("../../components/config.js");
  const { HdfsCluster } = await import("../../components/hdfs/index.js");
  const parsed = parseStackConfig({ hdfs: { enabled: true, ...hdfs }, cluster }, new Set());
  if ("problems" in parsed) throw new Error(parsed.problems.join("\n"));
  return new HdfsCluster(name, { config: parsed.config.hdfs, cluster: parsed.config.cluster });
}

/** The recorded objects of one HdfsCluster, by kind and Kubernetes name. */
function objectsOf(component: string) {
  const mine = rt.resources.filter((r) => r.type.startsWith("kubernetes:") && r.parent?.endsWith(`HdfsCluster::${component}`));
  const find = (type: string, k8sName: string): RecordedResource | undefined =>
    mine.find((r) => r.type === type && plain(r.wire).metadata.name === k8sName);
  const get = (type: string, k8sName: string) => {
    const found = find(type, k8sName);
    if (!found) throw new Error(`no ${type} ${k8sName} in ${component}`);
    return { ...found, object: plain(found.wire) };
  };
  return { all: mine, find, get };
}

let prod: Awaited<ReturnType<typeof build>>;
let dev: Awaited<ReturnType<typeof build>>;

const PROD = {
  dataNodes: 3,
  blockSize: "256m",
  nameNode: { storageSize: "20Gi", storageClass: "fast-ssd" },
  dataNode: { storageSize: "500Gi", storageClass: "local-hdd" },
};
const PROD_CLUSTER = { domain: "k8s.example.internal" };

beforeAll(async () => {
  prod = await build("prod", PROD, PROD_CLUSTER);
  dev = await build("dev", { dataNodes: 1, secondaryNameNode: false });
  // prod with one more directory: only the Job's files change.
  await build(
    "prod-more-directories",
    {
      ...PROD,
      directories: [
        { path: "/user/spark", owner: "spark", mode: "750" },
        { path: "/data", owner: "spark", mode: "755" },
      ],
    },
    PROD_CLUSTER,
  );
  await rt.settle();
});

describe("HdfsCluster", () => {
  it("gives every Kubernetes object an explicit name and namespace, and each one passes its schema", () => {
    for (const component of ["prod", "dev", "prod-more-directories"]) {
      const { all } = objectsOf(component);
      expect(all.length).toBeGreaterThan(0);
      for (const r of all) {
        const object = plain(r.wire);
        expect(object.metadata.name, `${r.type} ${r.name}`).toMatch(/^[a-z0-9-]+$/);
        if (r.type !== K8S.namespace) expect(object.metadata.namespace, `${r.type} ${r.name}`).toBe("hdfs");
        expect(() => validateKubernetesObject(object)).not.toThrow();
      }
    }
  });

  it("renames the namespace's resource with an alias to its old name, so `pulumi up` keeps the namespace and its volumes", () => {
    const namespace = objectsOf("prod").get(K8S.namespace, "hdfs");
    expect(namespace.name).toBe("prod-namespace");
    expect(namespace.aliasNames).toEqual(["prod"]);
  });

  it("declares the NameNode, DataNodes, Secondary NameNode and directory Job with their Services", () => {
    const names = (component: string) =>
      objectsOf(component)
        .all.map((r) => `${r.type.split(":").pop()}/${plain(r.wire).metadata.name}`)
        .sort();
    expect(names("prod")).toEqual([
      "ConfigMap/hdfs-config",
      "Job/hdfs-create-directories",
      "Namespace/hdfs",
      "NetworkPolicy/hdfs",
      "PersistentVolumeClaimPatch/data-hdfs-datanode-0",
      "PersistentVolumeClaimPatch/data-hdfs-datanode-1",
      "PersistentVolumeClaimPatch/data-hdfs-datanode-2",
      "PersistentVolumeClaimPatch/data-hdfs-namenode-0",
      "PersistentVolumeClaimPatch/data-hdfs-secondary-namenode-0",
      "Service/hdfs-datanode",
      "Service/hdfs-namenode",
      "Service/hdfs-secondary-namenode",
      "StatefulSet/hdfs-datanode",
      "StatefulSet/hdfs-namenode",
      "StatefulSet/hdfs-secondary-namenode",
    ]);
    expect(names("dev")).not.toContain("StatefulSet/hdfs-secondary-namenode");
    expect(names("dev")).not.toContain("Service/hdfs-secondary-namenode");
  });

  it("addresses HDFS through the NameNode Service and the cluster's DNS domain", async () => {
    expect((await resolve(prod.ref.defaultFs)).value).toBe("hdfs://hdfs-namenode.hdfs.svc.k8s.example.internal:8020");
    expect((await resolve(prod.webUiUrl)).value).toBe("http://hdfs-namenode.hdfs.svc.k8s.example.internal:9870");
    expect((await resolve(dev.ref.defaultFs)).value).toBe("hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020");
    const { data } = objectsOf("prod").get(K8S.configMap, "hdfs-config").object;
    expect(readHadoopXml(data["core-site.xml"])["fs.defaultFS"]).toBe((await resolve(prod.ref.defaultFs)).value);
  });

  it("renders replication and block size from the config into hdfs-site.xml", () => {
    const site = (component: string) => readHadoopXml(objectsOf(component).get(K8S.configMap, "hdfs-config").object.data["hdfs-site.xml"]);
    expect(site("prod")).toMatchObject({ "dfs.replication": "3", "dfs.blocksize": "268435456" });
    expect(site("dev")).toMatchObject({ "dfs.replication": "1", "dfs.blocksize": "134217728" });
  });

  it("hands the same replication and block size to the writers through its ref", () => {
    const site = readHadoopXml(objectsOf("prod").get(K8S.configMap, "hdfs-config").object.data["hdfs-site.xml"]);
    expect(prod.ref.clientProperties).toEqual({ "dfs.replication": site["dfs.replication"], "dfs.blocksize": site["dfs.blocksize"] });
    expect(prod.ref.clientProperties).toEqual({ "dfs.replication": "3", "dfs.blocksize": "268435456" });
  });

  it("exposes NameNode RPC 8020 and web UI 9870 on a Service; DataNodes get a headless Service", () => {
    const { get } = objectsOf("prod");
    const nameNode = get(K8S.service, "hdfs-namenode").object.spec;
    expect(nameNode.clusterIP).toBeUndefined();
    expect(nameNode.ports.map((p: { name: string; port: number }) => [p.name, p.port])).toEqual([
      ["rpc", 8020],
      ["http", 9870],
    ]);
    expect(nameNode.selector).toEqual(get(K8S.statefulSet, "hdfs-namenode").object.spec.selector.matchLabels);
    const dataNode = get(K8S.service, "hdfs-datanode").object.spec;
    expect(dataNode.clusterIP).toBe("None");
    expect(get(K8S.statefulSet, "hdfs-datanode").object.spec.serviceName).toBe("hdfs-datanode");
  });

  it("runs one NameNode through the start script, its metadata on a retained volume sized by config", () => {
    const spec = objectsOf("prod").get(K8S.statefulSet, "hdfs-namenode").object.spec;
    expect(spec.replicas).toBe(1);
    expect(spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast-ssd", resources: { requests: { storage: "20Gi" } } },
      },
    ]);
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    const container = spec.template.spec.containers[0];
    expect(container.image).toBe("apache/hadoop:3.4.1");
    expect(container.command).toEqual(["/bin/sh", "/opt/hdfs-scripts/start-namenode.sh"]);
    expect(container.volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
    expect(container.volumeMounts).toContainEqual({
      name: "config",
      mountPath: "/opt/hdfs-scripts/start-namenode.sh",
      subPath: "start-namenode.sh",
      readOnly: true,
    });
    expect(container.volumeMounts).toContainEqual({
      name: "config",
      mountPath: "/opt/hadoop/etc/hadoop/hdfs-site.xml",
      subPath: "hdfs-site.xml",
      readOnly: true,
    });
    expect(Object.keys(container)).toEqual(expect.arrayContaining(["startupProbe", "readinessProbe", "livenessProbe"]));
    const { data } = objectsOf("prod").get(K8S.configMap, "hdfs-config").object;
    expect(data["start-namenode.sh"]).toContain("name_dir='/data/name'");
  });

  it("spreads N DataNodes over distinct nodes, each with its own volume", () => {
    const spec = objectsOf("prod").get(K8S.statefulSet, "hdfs-datanode").object.spec;
    expect(spec.replicas).toBe(3);
    expect(spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: "local-hdd",
      resources: { requests: { storage: "500Gi" } },
    });
    expect(spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: spec.selector.matchLabels }, topologyKey: "kubernetes.io/hostname" },
    ]);
    expect(spec.template.spec.containers[0].command).toEqual(["hdfs", "datanode"]);
    expect(objectsOf("dev").get(K8S.statefulSet, "hdfs-datanode").object.spec.replicas).toBe(1);
  });

  it("leaves the storage class to the cluster's default when none is configured", () => {
    const claim = objectsOf("dev").get(K8S.statefulSet, "hdfs-datanode").object.spec.volumeClaimTemplates[0];
    expect(claim.spec).not.toHaveProperty("storageClassName");
  });

  it("checkpoints with a Secondary NameNode on a volume sized like the NameNode's", () => {
    const spec = objectsOf("prod").get(K8S.statefulSet, "hdfs-secondary-namenode").object.spec;
    expect(spec.template.spec.containers[0].command).toEqual(["hdfs", "secondarynamenode"]);
    expect(spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("20Gi");
  });

  it("runs every pod as the image's non-root hadoop user with bounded resources", () => {
    const pods = objectsOf("prod")
      .all.filter((r) => r.type === K8S.statefulSet || r.type === K8S.job)
      .map((r) => plain(r.wire).spec.template.spec);
    expect(pods).toHaveLength(4);
    for (const pod of pods) {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 100, fsGroup: 100 });
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(Object.keys(container.resources.requests).sort()).toEqual(["cpu", "memory"]);
        expect(container.resources.limits.memory).toBe(container.resources.requests.memory);
        expect(container.env).toContainEqual({ name: "HADOOP_CONF_DIR", value: "/opt/hadoop/etc/hadoop" });
      }
    }
  });

  it("creates the Spark directories with a one-shot Job once the NameNode and DataNodes are up", () => {
    const { get } = objectsOf("prod");
    const job = get(K8S.job, "hdfs-create-directories");
    expect(job.dependencies).toEqual(
      expect.arrayContaining([get(K8S.statefulSet, "hdfs-namenode").urn, get(K8S.statefulSet, "hdfs-datanode").urn]),
    );
    const pod = job.object.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.containers[0].command).toEqual(["/bin/sh", "/opt/hdfs-scripts/create-directories.sh"]);
    const script = get(K8S.configMap, "hdfs-config").object.data["create-directories.sh"];
    expect(script).toContain("ensure_directory '/user/spark' 'spark:spark' '755'");
    expect(script).toContain("ensure_directory '/tmp' 'hadoop:supergroup' '1777'");
  });

  it("rolls each workload's pods exactly when the files it mounts change", () => {
    const hash = (component: string, type: string, k8sName: string) =>
      objectsOf(component).get(type, k8sName).object.spec.template.metadata.annotations["spark-gpu-stack/config-checksum"];
    // prod and dev differ in hdfs-site.xml (replication, block size, domain): every workload rolls.
    for (const [type, k8sName] of [
      [K8S.statefulSet, "hdfs-namenode"],
      [K8S.statefulSet, "hdfs-datanode"],
      [K8S.job, "hdfs-create-directories"],
    ]) {
      expect(hash("prod", type, k8sName)).not.toBe(hash("dev", type, k8sName));
    }
    // Another directory list changes only the Job's script: the HDFS daemons keep running.
    for (const k8sName of ["hdfs-namenode", "hdfs-datanode", "hdfs-secondary-namenode"]) {
      expect(hash("prod-more-directories", K8S.statefulSet, k8sName)).toBe(hash("prod", K8S.statefulSet, k8sName));
    }
    expect(hash("prod-more-directories", K8S.job, "hdfs-create-directories")).not.toBe(hash("prod", K8S.job, "hdfs-create-directories"));
  });
});
