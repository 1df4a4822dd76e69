// Submit mode: a Job (or a CronJob for scheduled applications) whose pod runs spark-submit from the
// application's own image, through a wrapper that makes the Job fail when the driver fails.
import type { input as Input } from "@pulumi/kubernetes/types";
import { plainChecksum } from "../checksum";
import { IMAGE_USER } from "../image/render";
import { nonRootPodSecurity, POD_TEMPLATES_ANNOTATION, unprivilegedContainer } from "../k8s-common";
import { readScript } from "../scripts";
import { APP_LABEL, NO_GPU_ENV, proxyEnv, renderPodTemplate } from "./render-pods";
import {
  DRIVER_POD_NAME_ENV,
  PENDING_TIMEOUT_ENV,
  SUBMIT_FILES,
  SUBMIT_PATHS,
  renderSubmitArgv,
  type WorkloadContext,
} from "./render-spark";
import type { SparkApplicationConfig } from "./schema";
import { toYaml } from "../yaml";

/** Placeholders in the driver template that the wrapper replaces with the submitter pod's identity. */
export const OWNER_PLACEHOLDERS = { name: "@SUBMITTER_POD_NAME@", uid: "@SUBMITTER_POD_UID@" } as const;

/**
 * The submitter's entry point (POSIX sh) and its status lookup (Python 3, which the image has for
 * PySpark). spark-submit in cluster mode has exited 0 for a failed driver (SPARK-26365), so the exit
 * code comes from the driver pod's phase instead. The wrapper spells out SUBMIT_PATHS, the template's
 * name, OWNER_PLACEHOLDERS, DRIVER_POD_NAME_ENV and PENDING_TIMEOUT_ENV; test/workload/submit-wrapper.system.test.ts runs it
 * moved and fed by these constants, so neither side can change alone.
 */
export const SUBMIT_SCRIPT = readScript("workload", "submit.sh");
export const DRIVER_PHASE_SCRIPT = readScript("workload", "driver-phase.py");

/** The files of the submitter's ConfigMap, by name. */
export function renderSubmitFiles(app: SparkApplicationConfig, context: WorkloadContext): Record<string, string> {
  const driver = renderPodTemplate(app, "driver", context);
  const ownedDriver = {
    ...driver,
    metadata: {
      ...driver.metadata,
      // Not blockOwnerDeletion: that needs update rights on pods/finalizers of the owner.
      ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: OWNER_PLACEHOLDERS.name, uid: OWNER_PLACEHOLDERS.uid }],
    },
  };
  return {
    [SUBMIT_FILES.wrapper]: SUBMIT_SCRIPT,
    [SUBMIT_FILES.driverPhase]: DRIVER_PHASE_SCRIPT,
    [SUBMIT_FILES.driverTemplate]: toYaml(ownedDriver),
    [SUBMIT_FILES.executorTemplate]: toYaml(renderPodTemplate(app, "executor", context)),
  };
}

/** A short digest of an object, for names that change with their content. */
const contentHash = (value: unknown) => plainChecksum([JSON.stringify(value)]).slice(0, 8);

function submitterPodSpec(app: SparkApplicationConfig, context: WorkloadContext, configMapName: string) {
  const fieldRef = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    serviceAccountName: context.serviceAccount,
    restartPolicy: "Never",
    imagePullSecrets: [{ name: context.pullSecret }],
    securityContext: nonRootPodSecurity(IMAGE_USER),
    containers: [
      {
        name: "spark-submit",
        image: context.image,
        securityContext: unprivilegedContainer(),
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/sh", `${SUBMIT_PATHS.configDir}/${SUBMIT_FILES.wrapper}`],
        args: renderSubmitArgv(app, context),
        env: [
          fieldRef("POD_NAME", "metadata.name"),
          fieldRef("POD_UID", "metadata.uid"),
          // Unique per run (the Job's pod name), so CronJob runs never collide.
          { name: DRIVER_POD_NAME_ENV, value: "$(POD_NAME)-driver" },
          { name: PENDING_TIMEOUT_ENV, value: String(context.pendingTimeoutSeconds) },
          ...proxyEnv(context),
          NO_GPU_ENV,
        ],
        // spark-submit in cluster mode only talks to the API server; the JVM sizes its heap from the limit.
        resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "1Gi" } },
        volumeMounts: [
          { name: "submit", mountPath: SUBMIT_PATHS.configDir, readOnly: true },
          { name: "work", mountPath: SUBMIT_PATHS.workDir },
        ],
      },
    ],
    volumes: [
      // 0555: the wrapper and driver-phase are run; the templates are only read.
      { name: "submit", configMap: { name: configMapName, defaultMode: 0o555 } },
      { name: "work", emptyDir: {} },
    ],
  } satisfies Input.core.v1.PodSpec;
}

export interface SubmitConfigMap {
  readonly apiVersion: "v1";
  readonly kind: "ConfigMap";
  readonly metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  readonly data: Record<string, string>;
}

/** The submitter's ConfigMap and the object that runs it. */
export interface SubmitObjects<Run> {
  readonly configMap: SubmitConfigMap;
  readonly run: Run;
}

/** The submitter's files and its Job spec, shared by the Job and the CronJob. */
function submission(app: SparkApplicationConfig, context: WorkloadContext) {
  const labels = { [APP_LABEL]: app.name };
  const data = renderSubmitFiles(app, context);
  const configMapName = `${app.name}-submit-${contentHash(data)}`;
  const jobSpec = {
    // A failed Spark application is not re-run blindly; Spark already retries failed tasks.
    backoffLimit: 0,
    // Kubernetes stops a run that outlives it; the driver, owned by the submitter pod, goes with it.
    activeDeadlineSeconds: app.deadlineSeconds,
    ttlSecondsAfterFinished: context.jobTtlSeconds,
    template: { metadata: { labels }, spec: submitterPodSpec(app, context, configMapName) },
  } satisfies Input.batch.v1.JobSpec;
  const configMap: SubmitConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: configMapName,
      namespace: context.namespace,
      labels,
      // The pods Spark creates from these templates are the stack's: the whole-plan rules check them too.
      annotations: { [POD_TEMPLATES_ANNOTATION]: [SUBMIT_FILES.driverTemplate, SUBMIT_FILES.executorTemplate].join(",") },
    },
    data,
  };
  return { labels, configMap, jobSpec };
}

/**
 * The ConfigMap and the Job of an unscheduled application. Names carry a hash of their content:
 * a new image or any other change makes a new Job (Job pods are immutable), that is a new run.
 */
export function renderSubmitJob(app: SparkApplicationConfig, context: WorkloadContext) {
  const { labels, configMap, jobSpec } = submission(app, context);
  return {
    configMap,
    run: {
      apiVersion: "batch/v1" as const,
      kind: "Job" as const,
      metadata: {
        name: `${app.name}-${contentHash(jobSpec)}`,
        namespace: context.namespace,
        labels,
        // Pulumi would otherwise wait for the whole Spark run; follow it with kubectl instead.
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: jobSpec,
    },
  } satisfies SubmitObjects<Input.batch.v1.Job>;
}

/** The ConfigMap (named by its content, as for a Job) and the CronJob of an application run on `schedule`. */
export function renderSubmitCronJob(app: SparkApplicationConfig, schedule: string, context: WorkloadContext) {
  const { labels, configMap, jobSpec } = submission(app, context);
  return {
    configMap,
    run: {
      apiVersion: "batch/v1" as const,
      kind: "CronJob" as const,
      metadata: { name: app.name, namespace: context.namespace, labels },
      spec: { schedule, concurrencyPolicy: "Forbid", jobTemplate: { metadata: { labels }, spec: jobSpec } },
    },
  } satisfies SubmitObjects<Input.batch.v1.CronJob>;
}
