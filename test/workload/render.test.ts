// The pure renderers of the workload: spark-submit's argv read back into confs, pod templates,
// the submit Job and CronJob, RBAC and the pull secret, each object validated by its schema.
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { IMAGE_PATHS } from "../../components/image/render";
import {
  DRIVER_RULES,
  renderDockerConfigJson,
  renderRole,
  renderRoleBinding,
  renderUiService,
} from "../../components/workload/render-access";
import { MANAGED_SPARK_CONF_KEYS } from "../../components/workload/managed";
import {
  GPU_READY_SCRIPT_FILE,
  renderDevicePluginValues,
  renderGpuReadyClusterRole,
  renderGpuReadyClusterRoleBinding,
  renderGpuReadyConfigMap,
  renderGpuReadyJob,
  renderGpuReadyServiceAccount,
  renderRuntimeClass,
} from "../../components/workload/render-gpu";
import { imageDigest, renderSmokeJob, smokeApplication } from "../../components/workload/render-smoke";
import { jvmNonProxyHosts } from "../../components/workload/render-jvm-proxy";
import { APP_LABEL, renderPodTemplate } from "../../components/workload/render-pods";
import { SPARK_MASTER, renderSubmitArgv, sparkMemory, submitConfs } from "../../components/workload/render-spark";
import {
  OWNER_PLACEHOLDERS,
  renderSubmitCronJob,
  renderSubmitFiles,
  renderSubmitJob,
  type SubmitObjects,
} from "../../components/workload/render-submit";
import { expandLikeKubelet } from "../harness/k8s-expansion";
import { validateKubernetesObject, type KubernetesObject } from "../harness/kubernetes-schema";
import { DIGEST_IMAGE, app, context, cpuApp, gpuApp, parseSubmitArgv } from "./fixtures";

const GPU_CONF_KEYS = [
  "spark.executor.resource.gpu.amount",
  "spark.executor.resource.gpu.vendor",
  "spark.executor.resource.gpu.discoveryScript",
  "spark.task.resource.gpu.amount",
];

const submitPod = (objects: SubmitObjects<{ kind: string; spec: any }>) =>
  objects.run.kind === "Job" ? objects.run.spec.template.spec : objects.run.spec.jobTemplate.spec.template.spec;

describe("spark-submit argv", () => {
  it("reads back as cluster mode against the in-cluster API, each conf once, digest-pinned", () => {
    const ctx = context();
    const argv = renderSubmitArgv(gpuApp(), ctx);
    const { options, confs, mainFile, appArguments } = parseSubmitArgv(argv);
    expect(Object.fromEntries(options)).toEqual({ "--master": SPARK_MASTER, "--deploy-mode": "cluster", "--name": "infer" });
    for (const [key, values] of confs) expect(values, `${key} given ${values.length} times`).toHaveLength(1);
    const conf = (key: string) => confs.get(key)?.[0];
    expect(conf("spark.kubernetes.container.image")).toBe(DIGEST_IMAGE);
    expect(conf("spark.kubernetes.container.image")).toMatch(/@sha256:[0-9a-f]{64}$/);
    // The wrapper follows the driver; spark-submit only submits.
    expect(conf("spark.kubernetes.submission.waitAppCompletion")).toBe("false");
    expect(conf("spark.executor.instances")).toBe("3");
    expect(conf("spark.executor.memory")).toBe("8g");
    expect(conf("spark.driver.memory")).toBe("1g");
    expect(conf("spark.hadoop.fs.defaultFS")).toBe("hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020");
    // Client-side settings: without them Spark's files get the Hadoop client's defaults (3 copies, 128m).
    expect(conf("spark.hadoop.dfs.replication")).toBe("2");
    expect(conf("spark.hadoop.dfs.blocksize")).toBe("268435456");
    expect(conf("spark.sql.shuffle.partitions")).toBe("24");
    expect(mainFile).toBe("local:///opt/spark/app/batch_inference.py");
    expect(appArguments).toEqual(["--rows", "100000", "--output", "hdfs:///runs/infer"]);
  });

  it("sets the GPU confs if and only if executors have GPUs", () => {
    const gpu = parseSubmitArgv(renderSubmitArgv(gpuApp(), context())).confs;
    expect(Object.fromEntries(GPU_CONF_KEYS.map((k) => [k, gpu.get(k)?.[0]]))).toEqual({
      "spark.executor.resource.gpu.amount": "1",
      "spark.executor.resource.gpu.vendor": "nvidia.com",
      "spark.executor.resource.gpu.discoveryScript": IMAGE_PATHS.gpuDiscoveryScript,
      "spark.task.resource.gpu.amount": "0.25",
    });
    const cpu = parseSubmitArgv(renderSubmitArgv(cpuApp(), context({ gpu: undefined }))).confs;
    expect([...cpu.keys()].filter((k) => k.includes(".resource.gpu."))).toEqual([]);
    const driverGpu = parseSubmitArgv(renderSubmitArgv(app({ ...cpuApp(), driver: { gpus: 1 } }), context())).confs;
    expect(driverGpu.get("spark.driver.resource.gpu.amount")).toEqual(["1"]);
    expect(driverGpu.has("spark.executor.resource.gpu.amount")).toBe(false);
  });

  it("names one namespace, service account and pull secret, the same ones the submitter pod uses", () => {
    const ctx = context({ namespace: "jobs" });
    const objects = renderSubmitJob(cpuApp(), ctx);
    const pod = submitPod(objects);
    const { confs } = parseSubmitArgv(pod.containers[0].args);
    expect(confs.get("spark.kubernetes.namespace")).toEqual([objects.run.metadata.namespace]);
    expect(confs.get("spark.kubernetes.authenticate.driver.serviceAccountName")).toEqual([pod.serviceAccountName]);
    expect(confs.get("spark.kubernetes.container.image.pullSecrets")).toEqual([pod.imagePullSecrets[0].name]);
    expect(confs.get("spark.kubernetes.container.image")).toEqual([pod.containers[0].image]);
    expect(objects.configMap.metadata.namespace).toBe("jobs");
  });

  it("runs the main class of a JVM application", () => {
    const { options } = parseSubmitArgv(renderSubmitArgv(cpuApp(), context()));
    expect(options.get("--class")).toBe("org.apache.spark.examples.SparkPi");
  });

  it("sets only keys an application's sparkConf may not (so no conf can come twice)", () => {
    const everything = app({ ...gpuApp(), driver: { gpus: 1 }, sparkConf: {} });
    const keys = Object.keys(submitConfs(everything, context()));
    expect(keys.filter((k) => !MANAGED_SPARK_CONF_KEYS.includes(k))).toEqual([
      "spark.hadoop.fs.defaultFS",
      "spark.hadoop.dfs.replication",
      "spark.hadoop.dfs.blocksize",
      "spark.executor.extraJavaOptions",
    ]);
  });

  it("translates NO_PROXY for the JVM: suffixes and names cover subdomains, CIDRs become wildcards", () => {
    expect(jvmNonProxyHosts(["localhost", "127.0.0.1", ".svc", "gpu-1", "10.96.0.0/12", "*.corp.example.com"])).toEqual([
      "localhost",
      "127.0.0.1",
      "svc",
      "*.svc",
      "gpu-1",
      "*.gpu-1",
      ...Array.from({ length: 16 }, (_, i) => `10.${96 + i}.*`),
      "corp.example.com",
      "*.corp.example.com",
    ]);
  });

  it("hands user values to the program literally through every round of Kubernetes' $(VAR) expansion", () => {
    const secretEnv = { HTTP_PROXY: "http://alice:s3cret@proxy.example.com:8080", DRIVER_POD_NAME: "infer-abc-driver" };
    const tricky = ["$(HTTP_PROXY)", "$$(HTTP_PROXY)", "cost: $5", "trailing $"];
    const user = app({
      ...cpuApp(),
      mainFile: "local:///opt/$(HTTP_PROXY)/app.jar",
      arguments: tricky,
      env: { NOTE: "$(HTTP_PROXY)" },
      sparkConf: { "spark.executorEnv.NOTE": "$(HTTP_PROXY)", "spark.eventLog.dir": "/logs/$(HTTP_PROXY)" },
    });
    // Round one: the submitter container's args, which also names the driver pod.
    const submitter = parseSubmitArgv(renderSubmitArgv(user, context()).map((a) => expandLikeKubelet(a, secretEnv)));
    expect(submitter.confs.get("spark.kubernetes.driver.pod.name")).toEqual(["infer-abc-driver"]);
    expect(submitter.confs.get("spark.eventLog.dir")).toEqual(["/logs/$(HTTP_PROXY)"]);
    // Round two: the driver container's args (the main file and its arguments) and the executors' env.
    const driverSees = [submitter.mainFile, ...submitter.appArguments].map((a) => expandLikeKubelet(a, secretEnv));
    expect(driverSees).toEqual(["local:///opt/$(HTTP_PROXY)/app.jar", ...tricky]);
    expect(submitter.confs.get("spark.executorEnv.NOTE")?.map((v) => expandLikeKubelet(v, secretEnv))).toEqual(["$(HTTP_PROXY)"]);
    const env = (renderPodTemplate(user, "driver", context()).spec.containers[0] as any).env as { name: string; value?: string }[];
    expect(expandLikeKubelet(env.find((e) => e.name === "NOTE")?.value ?? "", secretEnv)).toBe("$(HTTP_PROXY)");
  });

  it("gives executors the proxy's JVM options, then the application's own", () => {
    const own = app({ ...cpuApp(), sparkConf: { "spark.executor.extraJavaOptions": "-XX:+UseG1GC" } });
    const [options] = parseSubmitArgv(renderSubmitArgv(own, context())).confs.get("spark.executor.extraJavaOptions") ?? [];
    expect(options.split(" ")).toEqual([...(context().proxy?.jvmOptions.split(" ") ?? []), "-XX:+UseG1GC"]);
    expect(options).toContain("-Dhttp.proxyHost=proxy.example.com");
  });

  it("lets an application choose its own replication over the stack's", () => {
    const scratch = app({ ...cpuApp(), sparkConf: { "spark.hadoop.dfs.replication": 1 } });
    expect(parseSubmitArgv(renderSubmitArgv(scratch, context())).confs.get("spark.hadoop.dfs.replication")).toEqual(["1"]);
  });

  it("converts Kubernetes memory units to Spark's exactly", () => {
    expect(["512Mi", "2Gi", "1Ti", "4096Ki"].map(sparkMemory)).toEqual(["512m", "2g", "1t", "4096k"]);
  });
});

describe("pod templates", () => {
  it("give GPU executors the GPU, the GPU nodes and the nvidia runtime", () => {
    const executor = renderPodTemplate(gpuApp(), "executor", context());
    validateKubernetesObject(executor as KubernetesObject);
    expect(executor.spec).toMatchObject({
      nodeSelector: { "nvidia.com/gpu.present": "true" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      runtimeClassName: "nvidia",
    });
    expect((executor.spec.containers[0] as any).resources).toEqual({ limits: { "nvidia.com/gpu": "1" } });
    expect((executor.spec.containers[0] as any).env.map((e: { name: string }) => e.name)).not.toContain("NVIDIA_VISIBLE_DEVICES");
  });

  it("hide the node's GPUs from a driver that asked for none, and place it anywhere", () => {
    const driver = renderPodTemplate(gpuApp(), "driver", context());
    validateKubernetesObject(driver as KubernetesObject);
    expect((driver.spec.containers[0] as any).env).toContainEqual({ name: "NVIDIA_VISIBLE_DEVICES", value: "void" });
    expect(driver.spec).not.toHaveProperty("nodeSelector");
    expect(driver.spec).not.toHaveProperty("runtimeClassName");
    expect(driver.spec.containers[0]).not.toHaveProperty("resources");
  });

  it("carry the proxy from a Secret (credentials never inline), NO_PROXY and the app's env", () => {
    const driver = renderPodTemplate(gpuApp(), "driver", context());
    const env = (driver.spec.containers[0] as any).env as { name: string; value?: string; valueFrom?: any }[];
    for (const name of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) {
      const entry = env.find((e) => e.name === name);
      expect(entry?.value, name).toBeUndefined();
      expect(entry?.valueFrom.secretKeyRef.name, name).toBe("spark-proxy");
    }
    expect(env.find((e) => e.name === "NO_PROXY")?.value).toContain("kubernetes.default.svc");
    expect(env).toContainEqual({ name: "TORCH_HOME", value: "/opt/spark/work-dir/torch" });
    expect(driver.metadata.labels).toEqual({ [APP_LABEL]: "infer" });
  });

  it("say nothing about the proxy on a stack without one", () => {
    const driver = renderPodTemplate(cpuApp(), "driver", context({ proxy: undefined, gpu: undefined }));
    expect((driver.spec.containers[0] as any).env).toEqual([{ name: "NVIDIA_VISIBLE_DEVICES", value: "void" }]);
  });

  it("refuse a GPU pod on a stack without GPU support", () => {
    expect(() => renderPodTemplate(gpuApp(), "executor", context({ gpu: undefined }))).toThrow(
      "infer: executor asks for GPUs but GPU support is off",
    );
  });
});

describe("submit Job", () => {
  it("is a valid Job and ConfigMap whose files are the wrapper, the lookup and both templates", () => {
    const objects = renderSubmitJob(gpuApp(), context());
    validateKubernetesObject(objects.configMap);
    validateKubernetesObject(objects.run as KubernetesObject);
    expect(Object.keys(objects.configMap.data).sort()).toEqual([
      "driver-phase",
      "driver-template.yaml",
      "executor-template.yaml",
      "submit.sh",
    ]);
    for (const file of ["driver-template.yaml", "executor-template.yaml"])
      validateKubernetesObject(parseYaml(objects.configMap.data[file]));
    const pod = submitPod(objects);
    expect(pod.volumes[0].configMap.name).toBe(objects.configMap.metadata.name);
    expect(pod.restartPolicy).toBe("Never");
    expect(objects.run.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 86400, activeDeadlineSeconds: 21600 });
    expect(objects.run.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it("ends a run at the application's deadline, and tells the wrapper how long pods may stay Pending", () => {
    const objects = renderSubmitJob(app({ ...cpuApp(), deadlineSeconds: 3600 }), context({ pendingTimeoutSeconds: 300 }));
    expect(objects.run.spec.activeDeadlineSeconds).toBe(3600);
    expect(submitPod(objects).containers[0].env).toContainEqual({ name: "PENDING_TIMEOUT_SECONDS", value: "300" });
    const scheduled = renderSubmitCronJob(app({ ...cpuApp(), deadlineSeconds: 7200 }), "0 3 * * *", context());
    expect(scheduled.run.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
  });

  it("makes the driver pod owned by the submitter pod, so nothing outlives the Job", () => {
    const driver = parseYaml(renderSubmitFiles(gpuApp(), context())["driver-template.yaml"]);
    expect(driver.metadata.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Pod", name: OWNER_PLACEHOLDERS.name, uid: OWNER_PLACEHOLDERS.uid },
    ]);
    const pod = submitPod(renderSubmitJob(gpuApp(), context()));
    const env = pod.containers[0].env;
    expect(env).toContainEqual({ name: "POD_UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } });
    expect(env).toContainEqual({ name: "DRIVER_POD_NAME", value: "$(POD_NAME)-driver" });
    expect(parseSubmitArgv(pod.containers[0].args).confs.get("spark.kubernetes.driver.pod.name")).toEqual(["$(DRIVER_POD_NAME)"]);
  });

  it("is a new Job (a new run) for a new image, and the same Job for the same inputs", () => {
    const first = renderSubmitJob(gpuApp(), context());
    const again = renderSubmitJob(gpuApp(), context());
    const rebuilt = renderSubmitJob(gpuApp(), context({ image: DIGEST_IMAGE.replace(/ab/g, "cd") }));
    expect(again.run.metadata.name).toBe(first.run.metadata.name);
    expect(first.run.metadata.name).toMatch(/^infer-[0-9a-f]{8}$/);
    expect(rebuilt.run.metadata.name).not.toBe(first.run.metadata.name);
    const newTemplate = renderSubmitJob(gpuApp(), context({ proxy: undefined }));
    expect(newTemplate.configMap.metadata.name).not.toBe(first.configMap.metadata.name);
    expect(newTemplate.run.metadata.name).not.toBe(first.run.metadata.name);
  });

  it("becomes a CronJob that never overlaps for a scheduled application", () => {
    const objects = renderSubmitCronJob(cpuApp(), "0 3 * * *", context());
    validateKubernetesObject(objects.run as KubernetesObject);
    expect(objects.run.kind).toBe("CronJob");
    expect(objects.run.metadata.name).toBe("pi");
    expect(objects.run.spec).toMatchObject({
      schedule: "0 3 * * *",
      concurrencyPolicy: "Forbid",
      jobTemplate: { spec: { backoffLimit: 0, ttlSecondsAfterFinished: 86400 } },
    });
  });
});

describe("smoke run", () => {
  const smoke = { enabled: true, deadlineSeconds: 1800 };

  it("is a valid Job Pulumi waits for, a new one for each image digest", () => {
    const objects = renderSmokeJob(smokeApplication(smoke, context(), 3), context());
    validateKubernetesObject(objects.configMap);
    validateKubernetesObject(objects.run as KubernetesObject);
    expect(objects.run.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(objects.run.spec.activeDeadlineSeconds).toBe(1800);
    const rebuilt = renderSmokeJob(smokeApplication(smoke, context({ image: DIGEST_IMAGE.replace(/ab/g, "cd") }), 3), context());
    expect(rebuilt.run.metadata.name).not.toBe(objects.run.metadata.name);
  });

  it("runs as many GPU executors as GPU nodes, waits for all of them, and checks HDFS when the stack has it", () => {
    const argv = parseSubmitArgv(submitPod(renderSmokeJob(smokeApplication(smoke, context(), 3), context())).containers[0].args);
    expect(argv.mainFile).toBe("local:///opt/spark/app/smoke.py");
    expect(argv.appArguments).toEqual([
      "--expected-digest",
      imageDigest(DIGEST_IMAGE),
      "--executors",
      "3",
      "--gpus-per-executor",
      "1",
      "--hdfs-dir",
      "/tmp/spark-gpu-stack-smoke",
    ]);
    expect(argv.confs.get("spark.executor.resource.gpu.amount")).toEqual(["1"]);
    expect(argv.confs.get("spark.scheduler.minRegisteredResourcesRatio")).toEqual(["1.0"]);
    const plain = smokeApplication(smoke, context({ gpu: undefined, hdfs: undefined }), 0);
    expect(plain.executor).toMatchObject({ gpus: 0, instances: 1 });
    expect(plain.arguments).toEqual(["--expected-digest", `sha256:${"ab".repeat(32)}`, "--executors", "1", "--gpus-per-executor", "0"]);
  });

  it("refuses an image not pinned by digest", () => {
    expect(() => imageDigest("192.0.2.21:6001/spark-pytorch:latest")).toThrow("is not pinned by digest");
  });
});

describe("access", () => {
  it("grants the driver only core pods, services, configmaps and PVCs in its namespace, no wildcard", () => {
    const role = renderRole("spark", "spark");
    const binding = renderRoleBinding("spark", "spark", "spark");
    validateKubernetesObject(role);
    validateKubernetesObject(binding);
    expect(role.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["pods", "services", "configmaps", "persistentvolumeclaims"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
      },
    ]);
    const everything = JSON.stringify(DRIVER_RULES);
    for (const forbidden of ["*", "secrets", "escalate", "bind", "impersonate", "nodes"])
      expect(everything).not.toContain(`"${forbidden}"`);
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "spark" });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "spark", namespace: "spark" }]);
  });

  it("writes a dockerconfigjson that decodes to the registry and its credentials", () => {
    const json = JSON.parse(renderDockerConfigJson("192.0.2.21:6001", { username: "spark", password: "p@ss:wörd" }));
    const entry = json.auths["192.0.2.21:6001"];
    expect(Buffer.from(entry.auth, "base64").toString()).toBe("spark:p@ss:wörd");
    expect([entry.username, entry.password]).toEqual(["spark", "p@ss:wörd"]);
  });

  it("puts a Service in front of the running driver's UI", () => {
    const service = renderUiService("infer", "spark");
    validateKubernetesObject(service);
    expect(service.metadata.name).toBe("infer-ui");
    expect(service.spec.selector).toEqual({ [APP_LABEL]: "infer", "spark-role": "driver" });
    expect(service.spec.ports).toEqual([{ name: "spark-ui", port: 4040, targetPort: 4040 }]);
  });
});

describe("GPU support", () => {
  it("keeps the device plugin on the GPU nodes, tolerating their taint, with the nvidia runtime", () => {
    const scheduling = context().gpu!;
    expect(renderDevicePluginValues(scheduling)).toEqual({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] }],
          },
        },
      },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      runtimeClassName: "nvidia",
    });
    const runtimeClass = renderRuntimeClass(scheduling);
    validateKubernetesObject(runtimeClass);
    expect(runtimeClass).toMatchObject({
      metadata: { name: "nvidia" },
      handler: "nvidia",
      scheduling: { nodeSelector: { "nvidia.com/gpu.present": "true" } },
    });
  });
});

describe("GPU readiness check", () => {
  const input = {
    namespace: "nvidia-device-plugin",
    nodes: ["gpu-node-1", "gpu-node-2"],
    scheduling: context().gpu!,
    timeoutSeconds: 600,
    kubectlVersion: "v1.32.4",
    devicePluginChartVersion: "0.20.0",
  };

  it("is a valid Job, ServiceAccount, binding and script, running kubectl as non-root on a read-only root", () => {
    const job = renderGpuReadyJob(input);
    for (const object of [
      job,
      renderGpuReadyServiceAccount(input.namespace),
      renderGpuReadyClusterRole(input.nodes),
      renderGpuReadyClusterRoleBinding(input.namespace),
      renderGpuReadyConfigMap(input.namespace),
    ])
      validateKubernetesObject(object as KubernetesObject);
    expect(renderGpuReadyConfigMap(input.namespace).data[GPU_READY_SCRIPT_FILE]).toContain("allocatable.nvidia");
    const pod = job.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.containers[0]).toMatchObject({
      image: "registry.k8s.io/kubectl:v1.32.4",
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    // The script names the nodes before Kubernetes ends the Job.
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(600);
  });

  it("may read the GPU nodes by name, or list nodes when it knows them only by label, and nothing else", () => {
    expect(renderGpuReadyClusterRole(input.nodes).rules).toEqual([
      { apiGroups: [""], resources: ["nodes"], resourceNames: ["gpu-node-1", "gpu-node-2"], verbs: ["get"] },
    ]);
    expect(renderGpuReadyClusterRole([]).rules).toEqual([{ apiGroups: [""], resources: ["nodes"], verbs: ["list"] }]);
  });

  it("runs again for new nodes, a new timeout or a new device plugin, and not otherwise", () => {
    const name = (changes: Partial<typeof input>) => renderGpuReadyJob({ ...input, ...changes }).metadata.name;
    expect(name({})).toMatch(/^gpu-ready-[0-9a-f]{8}$/);
    expect(name({})).toBe(name({}));
    for (const change of [{ nodes: ["gpu-node-1"] }, { timeoutSeconds: 900 }, { devicePluginChartVersion: "0.20.1" }])
      expect(name(change), JSON.stringify(change)).not.toBe(name({}));
  });
});
