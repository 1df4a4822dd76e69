// Scheduled garbage collection: a CronJob running the rendered GC script (render.ts) with kubectl,
// and a ServiceAccount that may only switch the registry Deployment's args, wait for it, and exec
// `registry garbage-collect` in its pod. Pure specs; index.ts declares them.
import type { input as Input } from "@pulumi/kubernetes/types";
import { kubectlScriptPod, labelsOf } from "../k8s-common";
import { SERVER_NAMES } from "./render-server";

/** Every object of the GC job: ServiceAccount, Role, RoleBinding, ConfigMap and CronJob. */
export const GC_NAME = "registry-gc";
/** Longest wait for each switch of the registry pod during GC. */
export const GC_ROLLOUT_TIMEOUT_SECONDS = 300;
/** The ConfigMap key of the script. */
export const GC_SCRIPT_FILE = "gc.sh";

const metadataOf = (namespace: string) => ({ name: GC_NAME, namespace, labels: labelsOf(GC_NAME) });

export function renderGcServiceAccount(namespace: string) {
  return { metadata: metadataOf(namespace) } satisfies Input.core.v1.ServiceAccount;
}

export function renderGcRole(namespace: string) {
  return {
    metadata: metadataOf(namespace),
    rules: [
      // patch: switch the config file; get/list/watch: `rollout status` and resolving `exec deployment/…`.
      {
        apiGroups: ["apps"],
        resources: ["deployments"],
        resourceNames: [SERVER_NAMES.registry.deployment],
        verbs: ["get", "list", "watch", "patch"],
      },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
      // create: exec over SPDY and, from Kubernetes 1.31, over WebSocket; get: WebSocket before 1.31.
      { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
    ],
  } satisfies Input.rbac.v1.Role;
}

export function renderGcRoleBinding(namespace: string) {
  return {
    metadata: metadataOf(namespace),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: GC_NAME },
    subjects: [{ kind: "ServiceAccount", name: GC_NAME, namespace }],
  } satisfies Input.rbac.v1.RoleBinding;
}

export function renderGcScriptConfigMap(namespace: string, script: string) {
  return { metadata: metadataOf(namespace), data: { [GC_SCRIPT_FILE]: script } } satisfies Input.core.v1.ConfigMap;
}

export interface GcCronJobInput {
  readonly namespace: string;
  readonly schedule: string;
  readonly kubectlVersion: string;
}

export function renderGcCronJob(input: GcCronJobInput) {
  const labels = labelsOf(GC_NAME);
  return {
    metadata: metadataOf(input.namespace),
    spec: {
      schedule: input.schedule,
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          // A failed collection is reported, not retried: the next schedule tries again.
          backoffLimit: 0,
          activeDeadlineSeconds: 3600,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: GC_NAME,
              restartPolicy: "Never",
              // Room for the script's exit trap to put the registry back to read-write.
              terminationGracePeriodSeconds: GC_ROLLOUT_TIMEOUT_SECONDS + 30,
              ...kubectlScriptPod({ name: "gc", kubectlVersion: input.kubectlVersion, configMap: GC_NAME, script: GC_SCRIPT_FILE }),
            },
          },
        },
      },
    },
  } satisfies Input.batch.v1.CronJob;
}
