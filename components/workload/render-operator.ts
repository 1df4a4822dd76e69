// Operator mode: the kubeflow Spark operator's Helm values and the SparkApplication /
// ScheduledSparkApplication (sparkoperator.k8s.io/v1beta2) of an application — the same typed
// spec as submit mode, with the same pod templates and Spark confs.
import { renderPodTemplate, type SparkRole } from "./render-pods";
import { GPU_RESOURCE, applicationConfs, driverArgs, sparkMemory, type WorkloadContext } from "./render-spark";
import type { SparkApplicationConfig } from "./schema";

export const SPARK_OPERATOR_API_VERSION = "sparkoperator.k8s.io/v1beta2";

/**
 * Chart values: watch the jobs' namespace only, and leave the `spark` service account and its Role
 * to this stack (the chart's would be a second, differently named pair).
 */
export function renderOperatorValues(jobNamespace: string) {
  return {
    spark: { jobNamespaces: [jobNamespace], serviceAccount: { create: false }, rbac: { create: false } },
  };
}

function restartPolicy(policy: SparkApplicationConfig["restartPolicy"]) {
  return policy.type === "Never" ? { type: "Never" } : { ...policy };
}

function podSpec(app: SparkApplicationConfig, role: SparkRole, context: WorkloadContext) {
  const resources = app[role];
  const template = renderPodTemplate(app, role, context);
  return {
    cores: resources.cores,
    memory: sparkMemory(resources.memory),
    ...(resources.gpus > 0 ? { gpu: { name: GPU_RESOURCE, quantity: resources.gpus } } : {}),
    template: { metadata: template.metadata, spec: template.spec },
  };
}

/** The SparkApplication spec of an application. */
export function renderSparkApplicationSpec(app: SparkApplicationConfig, context: WorkloadContext) {
  const python = app.mainFile.endsWith(".py");
  return {
    type: python ? "Python" : "Scala",
    ...(python ? { pythonVersion: "3" } : {}),
    mode: "cluster",
    sparkVersion: context.sparkVersion,
    image: context.image,
    imagePullPolicy: "IfNotPresent",
    imagePullSecrets: [context.pullSecret],
    mainApplicationFile: driverArgs(app).mainFile,
    ...(app.mainClass !== undefined ? { mainClass: app.mainClass } : {}),
    arguments: driverArgs(app).arguments,
    sparkConf: applicationConfs(app, context),
    restartPolicy: restartPolicy(app.restartPolicy),
    timeToLiveSeconds: context.jobTtlSeconds,
    driver: { ...podSpec(app, "driver", context), serviceAccount: context.serviceAccount },
    executor: { ...podSpec(app, "executor", context), instances: app.executor.instances },
  };
}

/** A SparkApplication, or a ScheduledSparkApplication when the application has a schedule. */
export function renderSparkApplication(app: SparkApplicationConfig, context: WorkloadContext) {
  const spec = renderSparkApplicationSpec(app, context);
  const metadata = { name: app.name, namespace: context.namespace };
  if (app.schedule !== undefined) {
    return {
      apiVersion: SPARK_OPERATOR_API_VERSION,
      kind: "ScheduledSparkApplication" as const,
      metadata,
      spec: { schedule: app.schedule, concurrencyPolicy: "Forbid", template: spec },
    };
  }
  return { apiVersion: SPARK_OPERATOR_API_VERSION, kind: "SparkApplication" as const, metadata, spec };
}
