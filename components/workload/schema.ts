// The `spark` section (the applications and how they are run) and the `gpu` section (NVIDIA device
// plugin and GPU node scheduling). Defaults live here and only here.
import { z } from "zod";
import { bool, byteQuantity, cronSchedule, dnsLabel, enumOf, integer, kubectlTag, isLabelKey, labelValue, mapping } from "../validators";
import { MANAGED_ENV_NAMES, MANAGED_SPARK_CONF_KEYS, SMOKE_APPLICATION } from "./managed";

/** A chart version pinned exactly on one major line, e.g. `2.5.1`. */
const chartVersion = (chart: string, major: number, example: string) => {
  const e = { error: `expected a pinned ${chart} chart version ${major}.x.y (e.g. ${example})` };
  return z.string(e).regex(new RegExp(`^${major}\\.\\d+\\.\\d+$`), e);
};

/**
 * Application names become Service names (DNS-1035: a letter first) and, with a hash suffix, Job
 * names whose pods and drivers must stay within Kubernetes' 63-character label limit.
 */
const applicationName = () => {
  const e = {
    error:
      "expected an application name of at most 40 characters: lower-case letters, digits and '-', starting with a letter, ending alphanumeric",
  };
  return z.string(e).regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, e);
};

/** Where Spark fetches the main file from: inside the image (`local://`), HDFS, S3 or HTTP. */
const mainFile = () => {
  const e = {
    error: "expected the URI of a .py or .jar file, with a scheme (e.g. local:///opt/spark/work-dir/app.py, hdfs:///jobs/app.jar)",
  };
  return z.string(e).regex(/^(local|file|hdfs|s3a|https?):\/\/\S*\/[^/\s]+\.(py|jar)$/, e);
};

const javaClassName = () => {
  const e = { error: "expected a fully qualified Java class name (e.g. org.apache.spark.examples.SparkPi)" };
  return z.string(e).regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, e);
};

/**
 * Spark's own suffixes are binary too (1g = 1 GiB), so `2Gi` converts exactly to `2g`. Spark refuses
 * a heap under 450 MiB (UnifiedMemoryManager), and the JVM reports somewhat less than the heap it was
 * given, so 512Mi is the smallest that starts.
 */
const memory = () => byteQuantity({ quantity: "512Mi", why: "Spark refuses a JVM heap under 450 MiB" });

const isEnvName = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !MANAGED_ENV_NAMES.includes(name);
const ENV_NAME = `expected an environment variable name (letters, digits and '_', not starting with a digit) other than those the stack sets (${MANAGED_ENV_NAMES.join(", ")})`;

const isSparkConfKey = (key: string) => /^spark\.[A-Za-z0-9_.-]+$/.test(key) && !MANAGED_SPARK_CONF_KEYS.includes(key);
const SPARK_CONF_KEY =
  "expected a spark.* key the stack does not set itself (namespace, image, service account, resources, GPUs and pod templates come from the application's own fields)";

/** YAML writes `200` and `true` unquoted; Spark reads every value as text. */
const sparkConfValue = () =>
  z.union([z.string(), z.number(), z.boolean()], { error: "expected a string, a number or true/false" }).transform(String);

/** Spark accepts a fractional GPU share per task only up to one half (ResourceUtils). */
const taskGpuAmount = () => {
  const e = { error: "expected a GPU share per task: a whole number, or a fraction up to 0.5 (e.g. 0.25 lets four tasks share a GPU)" };
  return z
    .number(e)
    .positive(e)
    .refine((v) => Number.isInteger(v) || v <= 0.5, e);
};

const podResources = (defaults: { memory: string }) => ({
  /** CPU cores (`spark.<role>.cores`). @default 1 */
  cores: integer(1, 64).default(1),
  /** Heap memory with a unit, Ki/Mi/Gi/Ti (`spark.<role>.memory`). */
  memory: memory().default(defaults.memory),
  /** NVIDIA GPUs per pod (`spark.<role>.resource.gpu.amount`). @default 0 */
  gpus: integer(0, 16).default(0),
});

const restartPolicySchema = z.strictObject({
  /** Operator mode: when the operator re-runs the application; `Always` keeps a streaming app up. @default "Never" */
  type: enumOf(["Never", "OnFailure", "Always"]).default("Never"),
  /** Re-runs after a failed run (not `Never`). @default 3 */
  onFailureRetries: integer(0, 1000).default(3),
  /** Seconds between re-runs after a failure. @default 10 */
  onFailureRetryInterval: integer(1, 86400).default(10),
  /** Re-submissions after a failed submission (not `Never`). @default 5 */
  onSubmissionFailureRetries: integer(0, 1000).default(5),
  /** Seconds between re-submissions. @default 20 */
  onSubmissionFailureRetryInterval: integer(1, 86400).default(20),
});

const applicationSchema = z
  .strictObject({
    /** Application name: Job/SparkApplication name, driver label, UI Service `<name>-ui`. */
    name: applicationName(),
    /** `.py` or `.jar` URI; `local://` means a path inside the image. */
    mainFile: mainFile(),
    /** Main class of a `.jar` application; none for Python. */
    mainClass: javaClassName().optional(),
    /** Arguments passed to the application. @default [] */
    arguments: z.array(z.string({ error: "expected a string" })).default([]),
    driver: z.strictObject(podResources({ memory: "1Gi" })).prefault({}),
    executor: z
      .strictObject({
        ...podResources({ memory: "2Gi" }),
        /** Executor count (`spark.executor.instances`). @default 2 */
        instances: integer(1, 1000).default(2),
      })
      .prefault({}),
    /** GPU share of one task (`spark.task.resource.gpu.amount`), when executors have GPUs. @default 1 */
    taskGpus: taskGpuAmount().default(1),
    /** Extra Spark configuration; keys the stack sets itself are refused. @default {} */
    sparkConf: mapping(isSparkConfKey, SPARK_CONF_KEY, sparkConfValue()).default({}),
    /** Extra environment variables for the driver and executors. @default {} */
    env: mapping(isEnvName, ENV_NAME, z.string({ error: "expected a string" })).default({}),
    /**
     * Submit mode: seconds a run may take, start to end (the Job's activeDeadlineSeconds); Kubernetes
     * then stops it and the Job fails. @default 21600 (6 hours)
     */
    deadlineSeconds: integer(60, 30 * 86400).default(21600),
    /** Five-field cron schedule: the application then runs as a CronJob / ScheduledSparkApplication. */
    schedule: cronSchedule().optional(),
    /** Operator mode only: the operator's restart policy. */
    restartPolicy: restartPolicySchema.prefault({}),
  })
  .superRefine((app, ctx) => {
    const jar = app.mainFile.endsWith(".jar");
    if (jar && app.mainClass === undefined) {
      ctx.issues.push({
        code: "custom",
        path: ["mainClass"],
        input: undefined,
        message: `expected a main class for the .jar main file ${app.mainFile}`,
      });
    }
    if (!jar && app.mainClass !== undefined) {
      ctx.issues.push({
        code: "custom",
        path: ["mainClass"],
        input: app.mainClass,
        message: `expected no main class for the Python main file ${app.mainFile}`,
      });
    }
  });

export type SparkApplicationConfig = z.output<typeof applicationSchema>;

export const sparkSchema = z
  .strictObject({
    /** Namespace of the jobs, the `spark` service account and (operator mode) the operator. @default "spark" */
    namespace: dnsLabel().default("spark"),
    /** `submit`: a Job runs spark-submit; `operator`: the kubeflow Spark operator runs SparkApplications. @default "submit" */
    mode: enumOf(["submit", "operator"]).default("submit"),
    /** kubeflow `spark-operator` Helm chart version (operator mode). @default "2.5.1" */
    operatorChartVersion: chartVersion("spark-operator", 2, "2.5.1").default("2.5.1"),
    /** Seconds a finished run (Job, SparkApplication) and its pods are kept for `kubectl logs`. @default 86400 */
    jobTtlSeconds: integer(60, 30 * 86400).default(86400),
    /**
     * Submit mode: seconds a run's driver or executor may stay Pending (unschedulable, image not
     * pulled) before the submitter stops the run and fails, printing Kubernetes' reason. @default 600
     */
    pendingTimeoutSeconds: integer(30, 86400).default(600),
    /** The applications. @default [] */
    applications: z.array(applicationSchema).default([]),
    /**
     * The smoke run: after every deploy of a new image, a Spark application that proves the platform
     * (GPUs, HDFS, the pushed image) and that `pulumi up` waits for; its failure fails the update.
     */
    smoke: z
      .strictObject({
        /** @default true */
        enabled: bool().default(true),
        /** Seconds the smoke run may take, image pulls on every node included. @default 1800 */
        deadlineSeconds: integer(60, 86400).default(1800),
      })
      .prefault({}),
  })
  .superRefine((spark, ctx) => {
    if (spark.smoke.enabled && spark.pendingTimeoutSeconds >= spark.smoke.deadlineSeconds) {
      ctx.issues.push({
        code: "custom",
        path: ["smoke", "deadlineSeconds"],
        input: spark.smoke.deadlineSeconds,
        message: `expected more than spark.pendingTimeoutSeconds (${spark.pendingTimeoutSeconds}): the run would end at its deadline before a pending pod is reported`,
      });
    }
    spark.applications.forEach((app, i) => {
      if (spark.smoke.enabled && app.name === SMOKE_APPLICATION) {
        ctx.issues.push({
          code: "custom",
          path: ["applications", i, "name"],
          input: app.name,
          message: `expected a name other than "${SMOKE_APPLICATION}", which the smoke run takes while spark.smoke.enabled is true`,
        });
      }
      if (spark.pendingTimeoutSeconds >= app.deadlineSeconds) {
        ctx.issues.push({
          code: "custom",
          path: ["applications", i, "deadlineSeconds"],
          input: app.deadlineSeconds,
          message: `expected more than spark.pendingTimeoutSeconds (${spark.pendingTimeoutSeconds}): the run would end at its deadline before a pending pod is reported`,
        });
      }
    });
  });

export type SparkConfig = z.output<typeof sparkSchema>;

const tolerationSchema = z
  .strictObject({
    key: z.string().refine(isLabelKey, { error: "expected a taint key (a label key such as nvidia.com/gpu)" }),
    /** @default "Exists" */
    operator: enumOf(["Exists", "Equal"]).default("Exists"),
    /** The taint's value, with `Equal` only. */
    value: labelValue().optional(),
    /** @default every effect */
    effect: enumOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.operator === "Equal") !== (t.value !== undefined)) {
      ctx.issues.push({
        code: "custom",
        path: ["value"],
        input: t.value,
        message: "expected a value with operator Equal and none with Exists",
      });
    }
  });

export type Toleration = z.output<typeof tolerationSchema>;

export const gpuSchema = z.strictObject({
  /** Install the NVIDIA device plugin and allow applications to ask for GPUs. @default false */
  enabled: bool().default(false),
  /** `nvidia-device-plugin` Helm chart version. @default "0.20.0" */
  devicePluginChartVersion: chartVersion("nvidia-device-plugin", 0, "0.20.0").default("0.20.0"),
  /** Labels that mark GPU nodes: the device plugin and GPU pods go there only. @default {"nvidia.com/gpu.present": "true"} */
  nodeSelector: mapping(isLabelKey, "expected a node label key (e.g. nvidia.com/gpu.present)", labelValue())
    .refine((labels) => Object.keys(labels).length > 0, {
      error: 'expected at least one label that marks the GPU nodes (e.g. nvidia.com/gpu.present: "true")',
    })
    .default({ "nvidia.com/gpu.present": "true" }),
  /** Taints of GPU nodes that GPU pods and the device plugin tolerate. @default [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}] */
  tolerations: z.array(tolerationSchema).default([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]),
  /**
   * Create RuntimeClass `nvidia` (handler `nvidia`) and run GPU pods and the device plugin with it:
   * for nodes whose containerd has an `nvidia` runtime that is not the default. @default false
   */
  runtimeClass: bool().default(false),
  /**
   * Seconds `pulumi up` waits for every GPU node to report allocatable nvidia.com/gpu (the device
   * plugin registered its GPUs) before it fails, naming the nodes without. @default 600
   */
  readyTimeoutSeconds: integer(30, 7200).default(600),
  /** Tag of registry.k8s.io/kubectl for that check; keep it within one minor of the cluster. @default "v1.32.4" */
  kubectlVersion: kubectlTag("the GPU readiness check").default("v1.32.4"),
});

export type GpuConfig = z.output<typeof gpuSchema>;
