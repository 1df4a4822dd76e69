// Driver and executor pod templates (spark.kubernetes.{driver,executor}.podTemplateFile, or the
// operator's `template` field): what Spark's own confs cannot say — proxy variables from a Secret,
// DNS servers, GPU node placement, the nvidia RuntimeClass and hiding GPUs from pods without one.
import type { input as Input } from "@pulumi/kubernetes/types";
import { IMAGE_USER } from "../image/render";
import { literalThroughExpansion, nonRootPodSecurity, unprivilegedContainer } from "../k8s-common";
import { GPU_RESOURCE, type WorkloadContext } from "./render-spark";
import type { SparkApplicationConfig } from "./schema";

/** Label on every pod of an application: the UI Service selects the driver by it. */
export const APP_LABEL = "spark-gpu-stack/app";
/** Spark labels its pods with their role (Constants.SPARK_ROLE_LABEL). */
export const SPARK_ROLE_LABEL = "spark-role";
/** Keys of the proxy Secret: the URLs carry credentials, so they never appear in a pod spec. */
export const PROXY_SECRET_KEYS = { http: "http-proxy", https: "https-proxy" } as const;

export type SparkRole = "driver" | "executor";

/** Spark's container names; a template's first container becomes the Spark container. */
const CONTAINER_NAME: Record<SparkRole, string> = { driver: "spark-kubernetes-driver", executor: "spark-kubernetes-executor" };

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: Record<string, unknown>;
}

/**
 * Proxy variables in both spellings (curl and pip read the lower-case ones), and the JVM's options
 * for spark-submit, which runs in the submitter and, in client mode, in the driver.
 */
export function proxyEnv(context: WorkloadContext): EnvVar[] {
  const proxy = context.proxy;
  if (proxy === undefined) return [];
  const fromSecret = (name: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: proxy.secretName, key } } });
  return [
    fromSecret("HTTP_PROXY", PROXY_SECRET_KEYS.http),
    fromSecret("http_proxy", PROXY_SECRET_KEYS.http),
    fromSecret("HTTPS_PROXY", PROXY_SECRET_KEYS.https),
    fromSecret("https_proxy", PROXY_SECRET_KEYS.https),
    { name: "NO_PROXY", value: proxy.noProxy },
    { name: "no_proxy", value: proxy.noProxy },
    { name: "SPARK_SUBMIT_OPTS", value: proxy.jvmOptions },
  ];
}

/**
 * With the nvidia runtime as the node's default, a container that asked for no GPU still sees all
 * of them (k8s-device-plugin #61); "void" hides them.
 */
export const NO_GPU_ENV: EnvVar = { name: "NVIDIA_VISIBLE_DEVICES", value: "void" };

/** Node selector, tolerations and RuntimeClass of a pod that asks for GPUs. */
function gpuPlacement(
  context: WorkloadContext,
  app: SparkApplicationConfig,
  role: SparkRole,
): Pick<Input.core.v1.PodSpec, "nodeSelector" | "tolerations" | "runtimeClassName"> {
  const gpu = context.gpu;
  if (gpu === undefined)
    throw new Error(`${app.name}: ${role} asks for GPUs but GPU support is off (the config check should have refused this)`);
  return {
    nodeSelector: { ...gpu.nodeSelector },
    tolerations: [...gpu.tolerations],
    ...(gpu.runtimeClassName !== undefined ? { runtimeClassName: gpu.runtimeClassName } : {}),
  };
}

export interface PodTemplate {
  readonly apiVersion: "v1";
  readonly kind: "Pod";
  readonly metadata: { labels: Record<string, string>; ownerReferences?: Record<string, unknown>[] };
  readonly spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
}

/** The pod template of one role of an application. */
export function renderPodTemplate(app: SparkApplicationConfig, role: SparkRole, context: WorkloadContext): PodTemplate {
  const gpus = app[role].gpus;
  const userEnv = Object.entries(app.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value: literalThroughExpansion(value) }));
  const spec = {
    ...(gpus > 0 ? gpuPlacement(context, app, role) : {}),
    // The driver creates its executors through the API server; executors never call it.
    ...(role === "executor" ? { automountServiceAccountToken: false } : {}),
    securityContext: nonRootPodSecurity(IMAGE_USER),
    containers: [
      {
        name: CONTAINER_NAME[role],
        securityContext: unprivilegedContainer(),
        env: [...proxyEnv(context), ...(gpus > 0 ? [] : [NO_GPU_ENV]), ...userEnv],
        // Spark sets the same limit from spark.<role>.resource.gpu.*; the template says it for people.
        ...(gpus > 0 ? { resources: { limits: { [GPU_RESOURCE]: String(gpus) } } } : {}),
      },
    ],
  } satisfies Input.core.v1.PodSpec;
  return { apiVersion: "v1", kind: "Pod", metadata: { labels: { [APP_LABEL]: app.name } }, spec };
}
