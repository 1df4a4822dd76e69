// The `spark` and `gpu` sections through the stack's loader: defaults, and each bad input with the
// exact message a person reads.
import { describe, expect, it } from "vitest";
import { acceptedConfig, configProblems } from "../harness/config";

const PI = {
  name: "pi",
  mainFile: "local:///opt/spark/examples/jars/spark-examples_2.13-4.0.1.jar",
  mainClass: "org.apache.spark.examples.SparkPi",
};
const INFER = { name: "infer", mainFile: "local:///opt/spark/app/batch_inference.py" };

const parsed = (raw: Record<string, unknown>) => acceptedConfig(raw);
const problems = (raw: Record<string, unknown>) => configProblems(raw);

describe("spark and gpu sections", () => {
  it("fill their defaults in the schema", () => {
    const config = parsed({ spark: { applications: [INFER] } });
    expect(config.spark).toMatchObject({
      namespace: "spark",
      mode: "submit",
      operatorChartVersion: "2.5.1",
      jobTtlSeconds: 86400,
      pendingTimeoutSeconds: 600,
      smoke: { enabled: true, deadlineSeconds: 1800 },
    });
    expect(config.spark.applications[0]).toEqual({
      ...INFER,
      arguments: [],
      driver: { cores: 1, memory: "1Gi", gpus: 0 },
      executor: { cores: 1, memory: "2Gi", gpus: 0, instances: 2 },
      taskGpus: 1,
      sparkConf: {},
      env: {},
      deadlineSeconds: 21600,
      restartPolicy: {
        type: "Never",
        onFailureRetries: 3,
        onFailureRetryInterval: 10,
        onSubmissionFailureRetries: 5,
        onSubmissionFailureRetryInterval: 20,
      },
    });
    expect(config.gpu).toEqual({
      enabled: false,
      devicePluginChartVersion: "0.20.0",
      nodeSelector: { "nvidia.com/gpu.present": "true" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      runtimeClass: false,
      readyTimeoutSeconds: 600,
      kubectlVersion: "v1.32.4",
    });
  });

  it("reads unquoted YAML numbers and booleans in sparkConf as Spark's text", () => {
    const config = parsed({
      spark: { applications: [{ ...INFER, sparkConf: { "spark.sql.shuffle.partitions": 200, "spark.eventLog.enabled": true } }] },
    });
    expect(config.spark.applications[0].sparkConf).toEqual({ "spark.sql.shuffle.partitions": "200", "spark.eventLog.enabled": "true" });
  });

  it.each([
    [
      "executor count 0",
      { spark: { applications: [{ ...INFER, executor: { instances: 0 } }] } },
      "spark.applications[0].executor.instances: expected an integer 1–1000, got 0",
    ],
    [
      "memory without unit",
      { spark: { applications: [{ ...INFER, driver: { memory: "4" } }] } },
      'spark.applications[0].driver.memory: expected a size with a unit Ki, Mi, Gi or Ti (e.g. 50Gi), got "4"',
    ],
    [
      "a heap Spark refuses",
      { spark: { applications: [{ ...INFER, executor: { memory: "256Mi" } }] } },
      'spark.applications[0].executor.memory: expected at least 512Mi (Spark refuses a JVM heap under 450 MiB), got "256Mi"',
    ],
    [
      "a memory size past exact byte counts",
      { spark: { applications: [{ ...INFER, driver: { memory: "99999999999Gi" } }] } },
      'spark.applications[0].driver.memory: expected a size of at most 8191Ti, got "99999999999Gi"',
    ],
    [
      "a .jar without main class",
      { spark: { applications: [{ ...PI, mainClass: undefined }] } },
      "spark.applications[0].mainClass: expected a main class for the .jar main file local:///opt/spark/examples/jars/spark-examples_2.13-4.0.1.jar, got nothing",
    ],
    [
      "a main class for Python",
      { spark: { applications: [{ ...INFER, mainClass: "x.Y" }] } },
      'spark.applications[0].mainClass: expected no main class for the Python main file local:///opt/spark/app/batch_inference.py, got "x.Y"',
    ],
    [
      "a deadline no longer than the pending timeout",
      { spark: { pendingTimeoutSeconds: 900, applications: [{ ...INFER, deadlineSeconds: 900 }] } },
      "spark.applications[0].deadlineSeconds: expected more than spark.pendingTimeoutSeconds (900): the run would end at its deadline before a pending pod is reported, got 900",
    ],
    [
      "a smoke deadline no longer than the pending timeout",
      { spark: { pendingTimeoutSeconds: 1800 } },
      "spark.smoke.deadlineSeconds: expected more than spark.pendingTimeoutSeconds (1800): the run would end at its deadline before a pending pod is reported, got 1800 (the default)",
    ],
    [
      "an application named like the smoke run",
      { spark: { applications: [{ ...INFER, name: "smoke" }] } },
      'spark.applications[0].name: expected a name other than "smoke", which the smoke run takes while spark.smoke.enabled is true, got "smoke"',
    ],
    ["a GPU readiness timeout of zero", { gpu: { readyTimeoutSeconds: 0 } }, "gpu.readyTimeoutSeconds: expected an integer 30–7200, got 0"],
    [
      "a kubectl without a shell",
      { gpu: { kubectlVersion: "v1.28.9" } },
      'gpu.kubectlVersion: expected a registry.k8s.io/kubectl tag v1.x.y from v1.29.0 on (the GPU readiness check runs a shell script), within one minor version of the cluster (e.g. v1.32.4), got "v1.28.9"',
    ],
    [
      "a main file without scheme",
      { spark: { applications: [{ ...INFER, mainFile: "/opt/spark/app/batch_inference.py" }] } },
      'spark.applications[0].mainFile: expected the URI of a .py or .jar file, with a scheme (e.g. local:///opt/spark/work-dir/app.py, hdfs:///jobs/app.jar), got "/opt/spark/app/batch_inference.py"',
    ],
    [
      "a name that cannot name a Service",
      { spark: { applications: [{ ...INFER, name: "1st" }] } },
      "spark.applications[0].name: expected an application name of at most 40 characters: lower-case letters, digits and '-', starting with a letter, ending alphanumeric, got \"1st\"",
    ],
    [
      "a sparkConf key the stack sets",
      { spark: { applications: [{ ...INFER, sparkConf: { "spark.executor.instances": "4" } }] } },
      'spark.applications[0].sparkConf.spark.executor.instances: expected a spark.* key the stack does not set itself (namespace, image, service account, resources, GPUs and pod templates come from the application\'s own fields), got "spark.executor.instances"',
    ],
    [
      "an env variable the stack sets",
      { spark: { applications: [{ ...INFER, env: { HTTPS_PROXY: "http://elsewhere:3128" } }] } },
      "spark.applications[0].env.HTTPS_PROXY: expected an environment variable name (letters, digits and '_', not starting with a digit) other than those the stack sets (HTTP_PROXY, http_proxy, HTTPS_PROXY, https_proxy, NO_PROXY, no_proxy, SPARK_SUBMIT_OPTS, NVIDIA_VISIBLE_DEVICES), got \"HTTPS_PROXY\"",
    ],
    [
      "a task GPU share Spark refuses",
      { gpu: { enabled: true }, spark: { applications: [{ ...INFER, executor: { gpus: 2 }, taskGpus: 0.75 }] } },
      "spark.applications[0].taskGpus: expected a GPU share per task: a whole number, or a fraction up to 0.5 (e.g. 0.25 lets four tasks share a GPU), got 0.75",
    ],
    [
      "an unpinned operator chart",
      { spark: { operatorChartVersion: "latest" } },
      'spark.operatorChartVersion: expected a pinned spark-operator chart version 2.x.y (e.g. 2.5.1), got "latest"',
    ],
    [
      "a device plugin chart of another line",
      { gpu: { devicePluginChartVersion: "v0.20.0" } },
      'gpu.devicePluginChartVersion: expected a pinned nvidia-device-plugin chart version 0.x.y (e.g. 0.20.0), got "v0.20.0"',
    ],
    [
      "no label for GPU nodes",
      { gpu: { nodeSelector: {} } },
      'gpu.nodeSelector: expected at least one label that marks the GPU nodes (e.g. nvidia.com/gpu.present: "true"), got {}',
    ],
    [
      "a toleration with Exists and a value",
      { gpu: { tolerations: [{ key: "gpu", operator: "Exists", value: "yes" }] } },
      'gpu.tolerations[0].value: expected a value with operator Equal and none with Exists, got "yes"',
    ],
  ])("refuses %s", (_, raw, message) => {
    expect(problems(raw)).toEqual([message]);
  });

  it.each([
    [
      "GPU requested with GPU support disabled",
      { spark: { applications: [{ ...INFER, executor: { gpus: 1 } }] } },
      ["spark.applications[0].executor.gpus: expected 0 while gpu.enabled is false (set gpu.enabled: true to schedule GPU pods), got 1"],
    ],
    [
      "two apps with one name",
      { spark: { applications: [INFER, PI, { ...INFER, arguments: ["--rows", "10"] }] } },
      ['spark.applications[2].name: expected a name no other application uses, got "infer" (spark.applications[0] has it)'],
    ],
    [
      "more GPUs per task than per executor",
      { gpu: { enabled: true }, spark: { applications: [{ ...INFER, executor: { gpus: 1 }, taskGpus: 2 }] } },
      ["spark.applications[0].taskGpus: expected at most executor.gpus (1): a task cannot use more GPUs than its executor has, got 2"],
    ],
    [
      "a restart policy in submit mode",
      { spark: { applications: [{ ...INFER, restartPolicy: { type: "Always" } }] } },
      [
        'spark.applications[0].restartPolicy.type: expected "Never" in submit mode (a failed Job is not re-run; set spark.mode: operator for restarts), got "Always"',
      ],
    ],
  ])("refuses across sections: %s", (_, raw, messages) => {
    expect(problems(raw)).toEqual(messages);
  });

  it("accepts GPU applications once GPU support is on, and restarts in operator mode", () => {
    const config = parsed({
      gpu: { enabled: true },
      spark: { mode: "operator", applications: [{ ...INFER, executor: { gpus: 1 }, taskGpus: 0.25, restartPolicy: { type: "Always" } }] },
    });
    expect(config.spark.applications[0].executor.gpus).toBe(1);
  });

  it("lets a stack name its application smoke once the smoke run is off", () => {
    const config = parsed({ spark: { smoke: { enabled: false }, applications: [{ ...INFER, name: "smoke" }] } });
    expect(config.spark.applications[0].name).toBe("smoke");
  });
});
