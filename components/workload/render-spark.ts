// Spark configuration of an application, for both modes: the confs every run gets (GPU, HDFS,
// the user's own) and, in submit mode, the whole spark-submit command line.
import { IMAGE_PATHS } from "../image/render";
import { literalThroughExpansion } from "../k8s-common";
import type { SparkApplicationConfig, Toleration } from "./schema";

/** The API server as every pod reaches it; spark-submit needs the port written out. */
export const SPARK_MASTER = "k8s://https://kubernetes.default.svc:443";
export const SERVICE_ACCOUNT = "spark";
export const GPU_RESOURCE = "nvidia.com/gpu";
const GPU_VENDOR = "nvidia.com";

/** Where the submitter pod mounts the files of ./render-submit (a ConfigMap) and writes its own. */
export const SUBMIT_PATHS = {
  /** ConfigMap mount: the wrapper, the driver status lookup and both pod templates. */
  configDir: "/opt/spark-gpu-stack",
  /** emptyDir: the driver template with the submitter pod's identity filled in. */
  workDir: "/tmp/spark-gpu-stack",
} as const;

export const SUBMIT_FILES = {
  wrapper: "submit.sh",
  driverPhase: "driver-phase",
  driverTemplate: "driver-template.yaml",
  executorTemplate: "executor-template.yaml",
} as const;

/**
 * Kubernetes expands $(VAR) in args from the container's env: the driver pod's name is the submitter
 * pod's name + "-driver", from this variable (set from the pod's name).
 */
const DRIVER_POD_NAME_CONF = "spark.kubernetes.driver.pod.name";

/** Environment variable (set from the pod's name) holding the driver pod's name. */
export const DRIVER_POD_NAME_ENV = "DRIVER_POD_NAME";
/** Environment variable holding spark.pendingTimeoutSeconds for the wrapper. */
export const PENDING_TIMEOUT_ENV = "PENDING_TIMEOUT_SECONDS";

/** Where GPU pods may run; absent when GPU support is off. */
export interface GpuScheduling {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  /** RuntimeClass for nodes whose containerd does not default to the nvidia runtime. */
  readonly runtimeClassName?: string;
}

/** Plain values from the other components that every application is rendered with. */
export interface WorkloadContext {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Name of the dockerconfigjson Secret for the private registry. */
  readonly pullSecret: string;
  /** Digest-pinned `host:port/repo@sha256:…`. */
  readonly image: string;
  readonly sparkVersion: string;
  readonly jobTtlSeconds: number;
  /** Submit mode: how long the wrapper lets the run's pods stay Pending. */
  readonly pendingTimeoutSeconds: number;
  /** When the stack runs HDFS: `hdfs://…:8020` and the settings every writer applies (HdfsRef). */
  readonly hdfs?: { readonly defaultFs: string; readonly clientProperties: Readonly<Record<string, string>> };
  /**
   * When there is a proxy: the Secret holding its URLs (with credentials), the NO_PROXY list, and the
   * JVM's `-D` options for the same proxy (./render-jvm-proxy).
   */
  readonly proxy?: { readonly secretName: string; readonly noProxy: string; readonly jvmOptions: string };
  readonly gpu?: GpuScheduling;
}

/** `2Gi` → `2g`: Spark's suffixes are binary too, so the value is exact. */
export function sparkMemory(quantity: string): string {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!m) throw new Error(`sparkMemory: ${quantity} was not validated by the schema`);
  return `${m[1]}${m[2][0].toLowerCase()}`;
}

function gpuConfs(role: "driver" | "executor", amount: number): Record<string, string> {
  if (amount === 0) return {};
  return {
    [`spark.${role}.resource.gpu.amount`]: String(amount),
    [`spark.${role}.resource.gpu.vendor`]: GPU_VENDOR,
    [`spark.${role}.resource.gpu.discoveryScript`]: IMAGE_PATHS.gpuDiscoveryScript,
  };
}

/** HDFS as the default filesystem, and its client settings, which Spark's Hadoop client reads as `spark.hadoop.*`. */
function hdfsConfs(hdfs: WorkloadContext["hdfs"]): Record<string, string> {
  if (hdfs === undefined) return {};
  const client = Object.entries(hdfs.clientProperties).map(([key, value]) => [`spark.hadoop.${key}`, value]);
  return { "spark.hadoop.fs.defaultFS": hdfs.defaultFs, ...Object.fromEntries(client) };
}

/**
 * Confs Spark turns into the driver's or executors' container env, which Kubernetes expands once
 * more (`spark.executorEnv.*` and `spark.kubernetes.driverEnv.*` as variables, executor JVM options
 * and class path as SPARK_JAVA_OPT_* and SPARK_CLASSPATH).
 */
const CONF_IN_POD_ENV = /^spark\.(executorEnv\.|kubernetes\.driverEnv\.|executor\.extraJavaOptions$|executor\.extraClassPath$)/;

/** The application's own confs, each to arrive literally where Spark puts it. */
function userConfs(app: SparkApplicationConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(app.sparkConf).map(([key, value]) => [key, CONF_IN_POD_ENV.test(key) ? literalThroughExpansion(value) : value]),
  );
}

/** The main file and its arguments as the driver container's args, which Kubernetes expands. */
export function driverArgs(app: SparkApplicationConfig): { mainFile: string; arguments: string[] } {
  return { mainFile: literalThroughExpansion(app.mainFile), arguments: app.arguments.map((a) => literalThroughExpansion(a)) };
}

/** Executors fetch remote jars and files themselves: their JVMs get the proxy options, before the user's own. */
function executorJavaOptions(app: SparkApplicationConfig, context: WorkloadContext): Record<string, string> {
  const key = "spark.executor.extraJavaOptions";
  const options = [context.proxy?.jvmOptions, userConfs(app)[key]].filter((o) => o !== undefined);
  return options.length > 0 ? { [key]: options.join(" ") } : {};
}

/**
 * Confs that both modes pass as such: GPU scheduling (the operator's `gpu{}` field does not set
 * them), HDFS, then the application's own (which may set its own replication or block size).
 */
export function applicationConfs(app: SparkApplicationConfig, context: WorkloadContext): Record<string, string> {
  return {
    ...gpuConfs("driver", app.driver.gpus),
    ...gpuConfs("executor", app.executor.gpus),
    ...(app.executor.gpus > 0 ? { "spark.task.resource.gpu.amount": String(app.taskGpus) } : {}),
    ...hdfsConfs(context.hdfs),
    ...userConfs(app),
    ...executorJavaOptions(app, context),
  };
}

/** Every conf spark-submit gets in submit mode; the operator sets the first group from its own fields. */
export function submitConfs(app: SparkApplicationConfig, context: WorkloadContext): Record<string, string> {
  return {
    "spark.kubernetes.namespace": context.namespace,
    "spark.kubernetes.authenticate.driver.serviceAccountName": context.serviceAccount,
    "spark.kubernetes.container.image": context.image,
    // A digest never changes content: no reason to ask the registry again.
    "spark.kubernetes.container.image.pullPolicy": "IfNotPresent",
    "spark.kubernetes.container.image.pullSecrets": context.pullSecret,
    "spark.kubernetes.driver.podTemplateFile": `${SUBMIT_PATHS.workDir}/${SUBMIT_FILES.driverTemplate}`,
    "spark.kubernetes.executor.podTemplateFile": `${SUBMIT_PATHS.configDir}/${SUBMIT_FILES.executorTemplate}`,
    // The wrapper follows the driver itself (components/workload/scripts/submit.sh).
    "spark.kubernetes.submission.waitAppCompletion": "false",
    "spark.driver.cores": String(app.driver.cores),
    "spark.driver.memory": sparkMemory(app.driver.memory),
    "spark.executor.cores": String(app.executor.cores),
    "spark.executor.memory": sparkMemory(app.executor.memory),
    "spark.executor.instances": String(app.executor.instances),
    ...applicationConfs(app, context),
  };
}

/**
 * spark-submit's arguments: cluster mode from inside the cluster, each conf once. They are the
 * submitter container's args, expanded by Kubernetes once (which names the driver pod); the main file
 * and its arguments become the driver container's args, expanded once more.
 */
export function renderSubmitArgv(app: SparkApplicationConfig, context: WorkloadContext): string[] {
  const driver = driverArgs(app);
  const literal = [
    "--master",
    SPARK_MASTER,
    "--deploy-mode",
    "cluster",
    "--name",
    app.name,
    ...(app.mainClass !== undefined ? ["--class", app.mainClass] : []),
    ...Object.entries(submitConfs(app, context))
      .filter(([key]) => key !== DRIVER_POD_NAME_CONF)
      .flatMap(([key, value]) => ["--conf", `${key}=${value}`]),
    driver.mainFile,
    ...driver.arguments,
  ].map((arg) => literalThroughExpansion(arg));
  return [...literal.slice(0, 6), "--conf", `${DRIVER_POD_NAME_CONF}=$(${DRIVER_POD_NAME_ENV})`, ...literal.slice(6)];
}
