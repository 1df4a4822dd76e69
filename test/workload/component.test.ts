// SparkWorkload and GpuSupport under the recording mock runtime: what the engine would receive,
// with secrets still marked, for both modes on a prod-like stack (proxy with credentials, DNS,
// GPU nodes, HDFS) and a dev-like one.
import { beforeAll, describe, expect, it } from "vitest";
import { validateKubernetesObject, type KubernetesObject } from "../harness/kubernetes-schema";
import { isSecret, masked, plain, resolve, startMockRuntime, type MockRuntime, type RecordedResource } from "../../tools/mock-runtime";
import { DIGEST_IMAGE, configured, parseSubmitArgv } from "./fixtures";

const PROXY_PASSWORD = "pr0xy:p@ss";
const REGISTRY_PASSWORD = "registry-s3cret";

let rt: MockRuntime;
let modules: {
  pulumi: typeof import("@pulumi/pulumi");
  k8s: typeof import("@pulumi/kubernetes");
  workload: typeof import("../../components/workload/index.js");
  gpu: typeof import("../../components/workload/gpu.js");
};

beforeAll(async () => {
  rt = startMockRuntime();
  modules = {
    pulumi: await import("@pulumi/pulumi"),
    k8s: await import("@pulumi/kubernetes"),
    workload: await import("../../components/workload/index.js"),
    gpu: await import("../../components/workload/gpu.js"),
  };
});

const INFER = {
  name: "infer",
  mainFile: "local:///opt/spark/app/batch_inference.py",
  arguments: ["--output", "/runs/infer"],
  executor: { instances: 3, gpus: 1 },
  taskGpus: 0.25,
};
const NIGHTLY = {
  name: "nightly",
  mainFile: "local:///opt/spark/examples/jars/spark-examples_2.13-4.0.1.jar",
  mainClass: "org.apache.spark.examples.SparkPi",
  schedule: "0 3 * * *",
};

/**
 * Builds a workload the way index.ts does, prod-like (proxy with credentials, DNS, GPU support,
 * HDFS) or dev-like (none of them); a ConfigMap stands in for the nodes' readiness.
 */
function build(
  name: string,
  spark: Record<string, unknown>,
  prodLike: boolean,
  applications: Record<string, unknown>[] = [INFER, NIGHTLY],
) {
  const { pulumi, k8s, workload, gpu } = modules;
  const config = configured(applications, spark);
  const nodesMarker = new k8s.core.v1.ConfigMap(`${name}-nodes-marker`, { metadata: { name: "nodes-ready" } });
  const gpuSupport = prodLike ? new gpu.GpuSupport(`${name}-gpu`, { config: config.gpu, gpuNodes: ["gpu-1", "gpu-2"] }) : undefined;
  const component = new workload.SparkWorkload(name, {
    config: config.spark,
    gpu: gpuSupport?.ref,
    cluster: config.cluster,
    ...(prodLike
      ? {
          proxy: { http: "http://proxy.example.com:8080", noProxy: [".example.com"] },
          proxyCredentials: pulumi.secret({ username: "alice", password: PROXY_PASSWORD }),
          hdfs: {
            defaultFs: pulumi.output("hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020"),
            clientProperties: { "dfs.replication": "2", "dfs.blocksize": "268435456" },
          },
        }
      : {}),
    image: {
      imageRef: pulumi.output(DIGEST_IMAGE),
      imageName: pulumi.output("192.0.2.21:6001/spark-pytorch:dev"),
      sparkVersion: "4.0.1",
      pythonVersion: "3.11",
    },
    registry: {
      address: "192.0.2.21:6001",
      endpoint: pulumi.output("192.0.2.21:6001"),
      credentials: pulumi.secret({ username: "spark", password: REGISTRY_PASSWORD }),
      pushAddress: "192.0.2.21:6003",
      pushEndpoint: pulumi.output("192.0.2.21:6003"),
      pushCredentials: pulumi.secret({ username: "admin", password: "push-pw-never-in-the-workload" }),
    },
    nodes: { ready: nodesMarker.metadata.name.apply((n) => n ?? ""), configured: [nodesMarker], byNode: {}, tolerations: {} },
    nodeNetwork: {
      hosts: [
        { name: "gpu-1", address: "192.0.2.21" },
        { name: "gpu-2", address: "192.0.2.22" },
      ],
    },
  });
  return { component, nodesMarker, gpuSupport };
}

/** Resources that are children of the named component (directly). */
function childrenOf(name: string, type?: string): RecordedResource[] {
  const parent = rt.resources.find((r) => !r.custom && r.name === name)!;
  return rt.resources.filter((r) => r.parent === parent.urn && (type === undefined || r.type === type));
}

const one = <T>(list: T[], what: string): T => {
  expect(list, what).toHaveLength(1);
  return list[0];
};

describe("SparkWorkload, submit mode", () => {
  let built: ReturnType<typeof build>;
  beforeAll(async () => {
    built = build("spark", {}, true);
    await rt.settle();
  });

  it("declares only schema-valid objects, namespaced, with no cluster-wide grant", () => {
    const objects = childrenOf("spark")
      .filter((r) => r.custom)
      .map((r) => plain(r.wire) as KubernetesObject);
    for (const object of objects) validateKubernetesObject(object);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      "ConfigMap",
      "ConfigMap",
      "ConfigMap",
      "CronJob",
      "Job",
      "Job",
      "Namespace",
      "Role",
      "RoleBinding",
      "Secret",
      "Secret",
      "Service",
      "Service",
      "ServiceAccount",
    ]);
    expect(objects.filter((o) => o.kind !== "Namespace").every((o) => o.metadata?.namespace === "spark")).toBe(true);
    expect(childrenOf("spark").filter((r) => /ClusterRole/.test(r.type))).toEqual([]);
  });

  it("binds the spark service account to a least-privilege Role in its namespace", () => {
    const role = plain(one(childrenOf("spark", "kubernetes:rbac.authorization.k8s.io/v1:Role"), "Role").wire);
    const binding = plain(one(childrenOf("spark", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"), "RoleBinding").wire);
    expect(role.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["pods", "services", "configmaps", "persistentvolumeclaims"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
      },
    ]);
    expect(binding).toMatchObject({
      roleRef: { kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: "spark", namespace: "spark" }],
    });
  });

  it("keeps the pull secret secret; it decodes to the registry and its credentials and is attached to the account", () => {
    const secrets = childrenOf("spark", "kubernetes:core/v1:Secret").map((r) => ({ r, object: plain(r.wire) }));
    const pull = one(
      secrets.filter((s) => s.object.type === "kubernetes.io/dockerconfigjson"),
      "pull secret",
    );
    expect(isSecret((pull.r.wire as any).stringData)).toBe(true);
    const auths = JSON.parse(pull.object.stringData[".dockerconfigjson"]).auths;
    expect(Object.keys(auths)).toEqual(["192.0.2.21:6001"]);
    expect(Buffer.from(auths["192.0.2.21:6001"].auth, "base64").toString()).toBe(`spark:${REGISTRY_PASSWORD}`);
    const account = plain(one(childrenOf("spark", "kubernetes:core/v1:ServiceAccount"), "ServiceAccount").wire);
    expect(account).toMatchObject({ metadata: { name: "spark" }, imagePullSecrets: [{ name: pull.object.metadata.name }] });
  });

  it("puts the proxy credentials in a Secret only; nothing else holds them in plaintext", () => {
    const proxy = childrenOf("spark", "kubernetes:core/v1:Secret").find((r) => plain(r.wire).metadata.name === "spark-proxy")!;
    expect(isSecret((proxy.wire as any).stringData)).toBe(true);
    expect(plain(proxy.wire).stringData).toEqual({
      "http-proxy": "http://alice:pr0xy%3Ap%40ss@proxy.example.com:8080",
      "https-proxy": "http://alice:pr0xy%3Ap%40ss@proxy.example.com:8080",
    });
    const everything = JSON.stringify(rt.resources.map((r) => masked(r.wire)));
    for (const leak of ["pr0xy", REGISTRY_PASSWORD]) expect(everything).not.toContain(leak);
  });

  it("runs the application as a Job from the digest image, after the nodes and the GPU support are ready", async () => {
    const jobResource = one(
      childrenOf("spark", "kubernetes:batch/v1:Job").filter((r) => r.name === "spark-infer"),
      "Job",
    );
    const job = plain(jobResource.wire);
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toBe(DIGEST_IMAGE);
    const { confs } = parseSubmitArgv(container.args);
    expect(confs.get("spark.kubernetes.container.image")).toEqual([DIGEST_IMAGE]);
    expect(confs.get("spark.hadoop.fs.defaultFS")).toEqual(["hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020"]);
    expect(confs.get("spark.hadoop.dfs.replication")).toEqual(["2"]);
    expect(confs.get("spark.hadoop.dfs.blocksize")).toEqual(["268435456"]);
    const configMap = childrenOf("spark", "kubernetes:core/v1:ConfigMap").find(
      (r) => plain(r.wire).metadata.name === job.spec.template.spec.volumes[0].configMap.name,
    )!;
    expect(jobResource.dependencies).toContain((await resolve(built.nodesMarker.urn)).value);
    const gpuReady = one(childrenOf("spark-gpu", "kubernetes:batch/v1:Job"), "GPU readiness Job");
    expect(jobResource.dependencies).toContain(gpuReady.urn);
    expect(jobResource.dependencies).toContain(configMap.urn);
    const outputs = (await resolve(built.component.applications)).value;
    expect(outputs.infer).toEqual({ kind: "Job", name: job.metadata.name, uiService: "infer-ui" });
    expect(outputs.nightly).toEqual({ kind: "CronJob", name: "nightly", uiService: "nightly-ui" });
    expect((await resolve(built.component.serviceAccount)).value).toBe("spark");
  });

  it("gives pods NO_PROXY from the nodes' computation, and GPU placement for executors", () => {
    const configMap = childrenOf("spark", "kubernetes:core/v1:ConfigMap")
      .map((r) => plain(r.wire))
      .find((o) => o.metadata.name.startsWith("infer-submit-"))!;
    const executor = configMap.data["executor-template.yaml"] as string;
    expect(executor).toContain(
      "value: localhost,127.0.0.1,192.0.2.21,192.0.2.22,gpu-1,gpu-2,10.244.0.0/16,10.96.0.0/12,.svc,.svc.cluster.local,kubernetes.default.svc,.example.com",
    );
    expect(executor).toContain("runtimeClassName: nvidia");
    expect(executor).toContain("nvidia.com/gpu.present");
    expect(executor).not.toContain("alice");
  });

  it("publishes the submitter's files", async () => {
    const files = (await resolve(built.component.files)).value;
    expect(Object.keys(files).sort()).toEqual([
      "infer/driver-phase",
      "infer/driver-template.yaml",
      "infer/executor-template.yaml",
      "infer/submit.sh",
      "nightly/driver-phase",
      "nightly/driver-template.yaml",
      "nightly/executor-template.yaml",
      "nightly/submit.sh",
      "smoke/driver-phase",
      "smoke/driver-template.yaml",
      "smoke/executor-template.yaml",
      "smoke/submit.sh",
    ]);
  });

  it("runs the smoke application as a Job that Pulumi waits for, as many GPU executors as GPU nodes, checking HDFS and the digest", async () => {
    const smoke = one(
      childrenOf("spark", "kubernetes:batch/v1:Job").filter((r) => r.name === "spark-smoke"),
      "smoke Job",
    );
    const job = plain(smoke.wire);
    validateKubernetesObject(job);
    expect(job.metadata.name).toMatch(/^smoke-[0-9a-f]{8}$/);
    expect(job.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(job.spec.activeDeadlineSeconds).toBe(1800);
    expect(smoke.customTimeouts).toMatchObject({ create: "1860s", update: "1860s" });
    const { confs, mainFile, appArguments } = parseSubmitArgv(job.spec.template.spec.containers[0].args);
    expect(mainFile).toBe("local:///opt/spark/app/smoke.py");
    expect(appArguments).toEqual([
      "--expected-digest",
      `sha256:${"ab".repeat(32)}`,
      "--executors",
      "2",
      "--gpus-per-executor",
      "1",
      "--hdfs-dir",
      "/tmp/spark-gpu-stack-smoke",
    ]);
    expect(confs.get("spark.executor.resource.gpu.amount")).toEqual(["1"]);
    expect(confs.get("spark.executor.instances")).toEqual(["2"]);
    const gpuReady = one(childrenOf("spark-gpu", "kubernetes:batch/v1:Job"), "GPU readiness Job");
    expect(smoke.dependencies).toContain(gpuReady.urn);
    expect((await resolve(built.gpuSupport!.ref.ready)).value).toBe(plain(gpuReady.wire).metadata.name);
    expect((await resolve(built.component.smokeJob!)).value).toBe(job.metadata.name);
  });
});

describe("SparkWorkload, operator mode", () => {
  let built: ReturnType<typeof build>;
  beforeAll(async () => {
    built = build("sparkop", { mode: "operator", namespace: "spark-op" }, true);
    await rt.settle();
  });

  it("installs the pinned operator chart for the jobs' namespace and runs SparkApplications after it", async () => {
    const release = one(childrenOf("sparkop", "kubernetes:helm.sh/v3:Release"), "operator release");
    expect(plain(release.wire)).toMatchObject({
      name: "spark-operator",
      chart: "spark-operator",
      version: "2.5.1",
      repositoryOpts: { repo: "https://kubeflow.github.io/spark-operator" },
      namespace: "spark-op",
      values: { spark: { jobNamespaces: ["spark-op"], serviceAccount: { create: false }, rbac: { create: false } } },
    });
    const app = one(childrenOf("sparkop", "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication"), "SparkApplication");
    const scheduled = one(
      childrenOf("sparkop", "kubernetes:sparkoperator.k8s.io/v1beta2:ScheduledSparkApplication"),
      "ScheduledSparkApplication",
    );
    for (const r of [app, scheduled]) expect(r.dependencies).toContain(release.urn);
    expect(plain(app.wire).spec).toMatchObject({
      image: DIGEST_IMAGE,
      imagePullSecrets: ["spark-registry"],
      driver: { serviceAccount: "spark" },
    });
    // The smoke run is a submit Job in both modes.
    expect(childrenOf("sparkop", "kubernetes:batch/v1:Job").map((r) => r.name)).toEqual(["sparkop-smoke"]);
    const outputs = (await resolve(built.component.applications)).value;
    expect(outputs).toEqual({
      infer: { kind: "SparkApplication", name: "infer", uiService: "infer-ui" },
      nightly: { kind: "ScheduledSparkApplication", name: "nightly", uiService: "nightly-ui" },
    });
    expect(Object.keys((await resolve(built.component.files)).value).every((file) => file.startsWith("smoke/"))).toBe(true);
  });
});

describe("GpuSupport", () => {
  // Its own instance: the submit mode's GpuSupport may not have been built yet (--sequence.shuffle).
  beforeAll(async () => {
    new modules.gpu.GpuSupport("gpu", { config: configured([INFER]).gpu, gpuNodes: ["gpu-1", "gpu-2"] });
    await rt.settle();
  });

  it("installs the pinned device plugin on GPU nodes with the nvidia RuntimeClass it runs under", () => {
    const release = plain(one(childrenOf("gpu", "kubernetes:helm.sh/v3:Release"), "device plugin").wire);
    expect(release).toMatchObject({
      name: "nvidia-device-plugin",
      chart: "nvidia-device-plugin",
      version: "0.20.0",
      repositoryOpts: { repo: "https://nvidia.github.io/k8s-device-plugin" },
      namespace: "nvidia-device-plugin",
      values: { runtimeClassName: "nvidia", tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] },
    });
    const runtimeClass = one(childrenOf("gpu", "kubernetes:node.k8s.io/v1:RuntimeClass"), "RuntimeClass");
    validateKubernetesObject(plain(runtimeClass.wire));
    expect(plain(runtimeClass.wire)).toMatchObject({ metadata: { name: "nvidia" }, handler: "nvidia" });
    expect(one(childrenOf("gpu", "kubernetes:helm.sh/v3:Release"), "device plugin").dependencies).toContain(runtimeClass.urn);
  });

  it("installs it into its own namespace, declared with the privileged Pod Security level its host mounts need", () => {
    const release = one(childrenOf("spark-gpu", "kubernetes:helm.sh/v3:Release"), "device plugin");
    expect(plain(release.wire)).not.toHaveProperty("createNamespace");
    const namespace = one(childrenOf("spark-gpu", "kubernetes:core/v1:Namespace"), "Namespace");
    validateKubernetesObject(plain(namespace.wire));
    expect(plain(namespace.wire).metadata).toMatchObject({
      name: "nvidia-device-plugin",
      labels: { "pod-security.kubernetes.io/enforce": "privileged" },
    });
    expect(release.dependencies).toContain(namespace.urn);
  });

  it("is ready only once a Job, awaited after the device plugin, finds GPUs on every configured GPU node", () => {
    const jobResource = one(childrenOf("spark-gpu", "kubernetes:batch/v1:Job"), "GPU readiness Job");
    const job = plain(jobResource.wire);
    validateKubernetesObject(job);
    expect(job.metadata).toMatchObject({ namespace: "nvidia-device-plugin", annotations: { "pulumi.com/replaceUnready": "true" } });
    expect(job.spec.activeDeadlineSeconds).toBe(600 + 300);
    expect(jobResource.customTimeouts).toMatchObject({ create: "960s", update: "960s" });
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ GPU_NODES: "gpu-1 gpu-2", GPU_NODE_SELECTOR: "nvidia.com/gpu.present=true", TIMEOUT_SECONDS: "600" });
    const release = one(childrenOf("spark-gpu", "kubernetes:helm.sh/v3:Release"), "device plugin");
    expect(jobResource.dependencies).toContain(release.urn);
    const role = plain(one(childrenOf("spark-gpu", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"), "ClusterRole").wire);
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["nodes"], resourceNames: ["gpu-1", "gpu-2"], verbs: ["get"] }]);
  });
});

describe("SparkWorkload, dev stack", () => {
  beforeAll(async () => {
    build("sparkdev", { namespace: "spark-dev" }, false, [{ name: "pi", mainFile: NIGHTLY.mainFile, mainClass: NIGHTLY.mainClass }]);
    await rt.settle();
  });

  it("runs a CPU application with no proxy or GPU settings", () => {
    expect(childrenOf("sparkdev", "kubernetes:core/v1:Secret").map((r) => plain(r.wire).type)).toEqual(["kubernetes.io/dockerconfigjson"]);
    const job = plain(
      one(
        childrenOf("sparkdev", "kubernetes:batch/v1:Job").filter((r) => r.name === "sparkdev-pi"),
        "Job",
      ).wire,
    );
    const pod = job.spec.template.spec;
    expect(pod).not.toHaveProperty("dnsConfig");
    expect(pod.containers[0].env.map((e: { name: string }) => e.name)).toEqual([
      "POD_NAME",
      "POD_UID",
      "DRIVER_POD_NAME",
      "PENDING_TIMEOUT_SECONDS",
      "NVIDIA_VISIBLE_DEVICES",
    ]);
    const { confs } = parseSubmitArgv(pod.containers[0].args);
    expect([...confs.keys()].filter((k) => k.includes("gpu") || k.includes("hadoop"))).toEqual([]);
  });

  it("smoke-tests without GPUs or HDFS when the stack has neither: the image digest only", () => {
    const job = plain(
      one(
        childrenOf("sparkdev", "kubernetes:batch/v1:Job").filter((r) => r.name === "sparkdev-smoke"),
        "Job",
      ).wire,
    );
    const { appArguments } = parseSubmitArgv(job.spec.template.spec.containers[0].args);
    expect(appArguments).toEqual(["--expected-digest", `sha256:${"ab".repeat(32)}`, "--executors", "1", "--gpus-per-executor", "0"]);
  });
});
