// What the stack sets itself in every application: its pods' environment variables (render-pods)
// and Spark confs (render-spark), which the schema refuses in an application's own `env` and
// `sparkConf`; and the application name the smoke run takes.

/** Environment variables the stack sets; an application's `env` may not. */
export const MANAGED_ENV_NAMES: readonly string[] = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "NO_PROXY",
  "no_proxy",
  "SPARK_SUBMIT_OPTS",
  "NVIDIA_VISIBLE_DEVICES",
];

/**
 * Keys an application's `sparkConf` may not set: the stack sets them from the application's own
 * fields (or spark-submit's flags), and a second value would silently win or lose.
 */
export const MANAGED_SPARK_CONF_KEYS: readonly string[] = [
  "spark.master",
  "spark.submit.deployMode",
  "spark.app.name",
  "spark.kubernetes.namespace",
  "spark.kubernetes.authenticate.driver.serviceAccountName",
  "spark.kubernetes.container.image",
  "spark.kubernetes.driver.container.image",
  "spark.kubernetes.executor.container.image",
  "spark.kubernetes.container.image.pullPolicy",
  "spark.kubernetes.container.image.pullSecrets",
  "spark.kubernetes.driver.pod.name",
  "spark.kubernetes.driver.podTemplateFile",
  "spark.kubernetes.executor.podTemplateFile",
  "spark.kubernetes.submission.waitAppCompletion",
  "spark.driver.cores",
  "spark.driver.memory",
  "spark.executor.cores",
  "spark.executor.memory",
  "spark.executor.instances",
  ...(["driver", "executor"] as const).flatMap((role) =>
    ["amount", "vendor", "discoveryScript"].map((field) => `spark.${role}.resource.gpu.${field}`),
  ),
  "spark.task.resource.gpu.amount",
];

/** The smoke run's application name; the schema keeps it from the configured applications. */
export const SMOKE_APPLICATION = "smoke";
