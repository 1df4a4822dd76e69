// Submit mode: a Job (or a CronJob for scheduled applications) whose pod runs spark-submit from the
// application's own image, through a wrapper that makes the Job fail when the driver fails.
import { createHash } from "node:crypto";
import type { input as Input } from "@pulumi/kubernetes/types";
import { stringify as toYaml } from "yaml";
import { APP_LABEL, NO_GPU_ENV, dnsConfig, proxyEnv, renderPodTemplate } from "./render-pods";
import { DRIVER_POD_NAME_ENV, SUBMIT_FILES, SUBMIT_PATHS, renderSubmitArgv, type WorkloadContext } from "./render-spark";
import type { SparkApplicationConfig } from "./schema";

/** Placeholders in the driver template that the wrapper replaces with the submitter pod's identity. */
export const OWNER_PLACEHOLDERS = { name: "@SUBMITTER_POD_NAME@", uid: "@SUBMITTER_POD_UID@" } as const;

/** How often the wrapper asks for the driver's phase, and how many failed asks in a row it accepts. */
const POLL_SECONDS = 10;
const MAX_LOOKUP_FAILURES = 6;

/**
 * The submitter's entry point (POSIX sh). spark-submit in cluster mode has exited 0 for a failed
 * driver (SPARK-26365), so the exit code comes from the driver pod's phase instead. `paths` are the
 * pod's mounts (tests use temporary directories).
 */
export function renderSubmitScript(paths: { readonly configDir: string; readonly workDir: string } = SUBMIT_PATHS): string {
  const { configDir, workDir } = paths;
  return `#!/bin/sh
# Runs spark-submit (arguments as given) in cluster mode, then exits with the driver's real outcome:
# 0 only when the driver pod Succeeded. spark-submit has exited 0 for a failed driver (SPARK-26365).
# Environment: POD_NAME and POD_UID (this pod, downward API), ${DRIVER_POD_NAME_ENV}.
set -eu

: "\${POD_NAME:?is not set (downward API metadata.name)}"
: "\${POD_UID:?is not set (downward API metadata.uid)}"
: "\${${DRIVER_POD_NAME_ENV}:?is not set}"

# driver-phase sits next to this script.
PATH="$(dirname "$0"):$PATH"
export PATH

# The driver pod is owned by this pod: when the Job goes (TTL, replacement, deletion), the driver
# goes too, and the executors (owned by the driver) with it.
mkdir -p "${workDir}"
sed -e "s/${OWNER_PLACEHOLDERS.name}/$POD_NAME/" -e "s/${OWNER_PLACEHOLDERS.uid}/$POD_UID/" \\
  "${configDir}/${SUBMIT_FILES.driverTemplate}" >"${workDir}/${SUBMIT_FILES.driverTemplate}"

submit_status=0
spark-submit "$@" || submit_status=$?
echo "submit: spark-submit exited $submit_status; asking the API for driver pod $${DRIVER_POD_NAME_ENV}"

# spark-submit may also stop watching before the driver ends: wait for a final phase.
failures=0
while :; do
  if phase=$(driver-phase "$${DRIVER_POD_NAME_ENV}"); then
    failures=0
    case "$phase" in
      Pending | Running | Unknown) ;;
      *) break ;;
    esac
  else
    failures=$((failures + 1))
    if [ "$failures" -ge ${MAX_LOOKUP_FAILURES} ]; then
      echo "submit: cannot read the phase of driver pod $${DRIVER_POD_NAME_ENV} (spark-submit exited $submit_status)" >&2
      exit 1
    fi
  fi
  sleep ${POLL_SECONDS}
done

case "$phase" in
  Succeeded)
    echo "submit: driver pod $${DRIVER_POD_NAME_ENV} succeeded"
    exit 0
    ;;
  Absent)
    echo "submit: no driver pod $${DRIVER_POD_NAME_ENV}: the submission failed (spark-submit exited $submit_status)" >&2
    ;;
  *)
    echo "submit: driver pod $${DRIVER_POD_NAME_ENV} ended $phase (spark-submit exited $submit_status); its log: kubectl logs $${DRIVER_POD_NAME_ENV}" >&2
    ;;
esac
exit 1
`;
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The status lookup (Python 3, which the image has for PySpark): prints the phase of a pod in the
 * submitter's namespace, `Absent` when there is none; exits 1 when the API cannot tell.
 * `serviceAccountDir` is where the token, CA and namespace are mounted (tests point it elsewhere).
 */
export function renderDriverPhaseScript(serviceAccountDir = SERVICE_ACCOUNT_DIR): string {
  return `#!/usr/bin/env python3
"""Prints the phase of a pod in this pod's namespace (Pending, Running, Succeeded, Failed, Unknown),
or Absent when there is no such pod; exits 1 when the API server cannot tell.

Reaches the API server as in-cluster clients do: KUBERNETES_SERVICE_HOST/PORT, the service
account's token, CA and namespace. Never through a proxy: the API server is in the cluster, and
Python's no_proxy matching knows no CIDRs.
"""
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

SERVICE_ACCOUNT_DIR = ${JSON.stringify(serviceAccountDir)}


def read(name):
    with open(os.path.join(SERVICE_ACCOUNT_DIR, name), encoding="utf-8") as f:
        return f.read().strip()


def main(argv):
    if len(argv) != 2:
        print("usage: driver-phase POD_NAME", file=sys.stderr)
        return 2
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    port = os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        print("driver-phase: KUBERNETES_SERVICE_HOST/PORT not set (not in a pod?)", file=sys.stderr)
        return 1
    if ":" in host:
        host = f"[{host}]"
    quote = urllib.parse.quote
    url = f"https://{host}:{port}/api/v1/namespaces/{quote(read('namespace'))}/pods/{quote(argv[1])}"
    context = ssl.create_default_context(cafile=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    # The token is read at every call: projected tokens rotate.
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {read('token')}", "Accept": "application/json"})
    try:
        with opener.open(request, timeout=30) as response:
            pod = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            print("Absent")
            return 0
        print(f"driver-phase: the API server answered {error.code} for pod {argv[1]}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"driver-phase: {error}", file=sys.stderr)
        return 1
    print(pod.get("status", {}).get("phase", "Unknown"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
`;
}

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
    [SUBMIT_FILES.wrapper]: renderSubmitScript(),
    [SUBMIT_FILES.driverPhase]: renderDriverPhaseScript(),
    [SUBMIT_FILES.driverTemplate]: toYaml(ownedDriver),
    [SUBMIT_FILES.executorTemplate]: toYaml(renderPodTemplate(app, "executor", context)),
  };
}

const contentHash = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 8);

function submitterPodSpec(app: SparkApplicationConfig, context: WorkloadContext, configMapName: string) {
  const fieldRef = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    serviceAccountName: context.serviceAccount,
    restartPolicy: "Never",
    imagePullSecrets: [{ name: context.pullSecret }],
    ...dnsConfig(context),
    containers: [
      {
        name: "spark-submit",
        image: context.image,
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/sh", `${SUBMIT_PATHS.configDir}/${SUBMIT_FILES.wrapper}`],
        args: renderSubmitArgv(app, context),
        env: [
          fieldRef("POD_NAME", "metadata.name"),
          fieldRef("POD_UID", "metadata.uid"),
          // Unique per run (the Job's pod name), so CronJob runs never collide.
          { name: DRIVER_POD_NAME_ENV, value: "$(POD_NAME)-driver" },
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

export interface SubmitObjects {
  readonly configMap: {
    apiVersion: "v1";
    kind: "ConfigMap";
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    data: Record<string, string>;
  };
  /** A Job, or a CronJob for a scheduled application. */
  readonly run: {
    apiVersion: "batch/v1";
    kind: "Job" | "CronJob";
    metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
}

/**
 * The ConfigMap and the Job (or CronJob) of one application. Names carry a hash of their content:
 * a new image or any other change makes a new Job (Job pods are immutable), that is a new run.
 */
export function renderSubmission(app: SparkApplicationConfig, context: WorkloadContext): SubmitObjects {
  const labels = { [APP_LABEL]: app.name };
  const data = renderSubmitFiles(app, context);
  const configMapName = `${app.name}-submit-${contentHash(data)}`;
  const jobSpec = {
    // A failed Spark application is not re-run blindly; Spark already retries failed tasks.
    backoffLimit: 0,
    ttlSecondsAfterFinished: context.jobTtlSeconds,
    template: { metadata: { labels }, spec: submitterPodSpec(app, context, configMapName) },
  } satisfies Input.batch.v1.JobSpec;
  const configMap = {
    apiVersion: "v1" as const,
    kind: "ConfigMap" as const,
    metadata: { name: configMapName, namespace: context.namespace, labels },
    data,
  };
  if (app.schedule !== undefined) {
    return {
      configMap,
      run: {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: app.name, namespace: context.namespace, labels },
        spec: {
          schedule: app.schedule,
          concurrencyPolicy: "Forbid",
          jobTemplate: { metadata: { labels }, spec: jobSpec },
        } satisfies Input.batch.v1.CronJobSpec,
      },
    };
  }
  return {
    configMap,
    run: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: `${app.name}-${contentHash(jobSpec)}`,
        namespace: context.namespace,
        labels,
        // Pulumi would otherwise wait for the whole Spark run; follow it with kubectl instead.
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: jobSpec,
    },
  };
}
