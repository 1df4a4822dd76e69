// The `daemonset` delivery: per node, a privileged DaemonSet pinned to that node whose init
// container runs the node's apply script in the host's namespaces. The pod turns ready only after
// the script succeeded, so the DaemonSet's rollout is the node's "configured".
import { checksumAnnotation, labelsOf, nonRootPodSecurity, readOnlyContainer, renderNamespace } from "../k8s-common";
import { APPLY_NAMESPACE } from "./apply-namespace";

export const APPLY_SCRIPT_DIR = "/apply";

/** `nobody`: the waiting container needs no user of its own. */
const NOBODY = { uid: 65534, gid: 65534 };

/** The namespace holding the DaemonSets: privileged pods need Pod Security's privileged level. */
export function renderApplyNamespace() {
  return renderNamespace(APPLY_NAMESPACE, "privileged");
}

/**
 * Runs the script with the host's systemd (`systemd-run` after `nsenter` into PID 1's namespaces),
 * not as a child of the container: a docker restart without live-restore kills the container, and
 * the script must still finish its verification or rollback. The fixed unit name keeps two runs
 * on one node from overlapping (the second fails while the first runs, and the pod retries).
 */
export const APPLY_COMMAND = `exec nsenter --target 1 --mount --uts --ipc --net --pid -- systemd-run --quiet --collect --wait --pipe --unit spark-gpu-stack-apply sh -s < ${APPLY_SCRIPT_DIR}/apply.sh`;

export interface ApplyDaemonSetInput {
  /** The Kubernetes node name (its kubernetes.io/hostname label). */
  readonly node: string;
  readonly image: string;
  /** Digest of the script: a new one rolls the pod, which runs the new script. */
  readonly checksum: string;
  /** Where the script is: a Secret when it holds proxy credentials, else a ConfigMap. */
  readonly script: { readonly secret: string } | { readonly configMap: string };
}

export function renderApplyDaemonSet(input: ApplyDaemonSetInput) {
  const labels = labelsOf("node-runtime-config", { instance: input.node });
  const scriptVolume =
    "secret" in input.script
      ? { secret: { secretName: input.script.secret, defaultMode: 0o500 } }
      : { configMap: { name: input.script.configMap, defaultMode: 0o500 } };
  return {
    metadata: { name: `runtime-config-${input.node}`, namespace: APPLY_NAMESPACE, labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels, annotations: checksumAnnotation("apply-script", input.checksum) },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": input.node },
          // Runs on tainted nodes too (GPU nodes, control planes): their runtimes need the configuration as well.
          tolerations: [{ operator: "Exists" }],
          hostPID: true,
          // The script talks to the node's systemd, never to the API server.
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 1,
          initContainers: [
            {
              name: "apply",
              image: input.image,
              imagePullPolicy: "IfNotPresent",
              command: ["sh", "-c", APPLY_COMMAND],
              securityContext: { privileged: true },
              volumeMounts: [{ name: "script", mountPath: APPLY_SCRIPT_DIR, readOnly: true }],
            },
          ],
          containers: [
            {
              name: "configured",
              image: input.image,
              imagePullPolicy: "IfNotPresent",
              command: ["sleep", "2147483647"],
              // Only keeps the pod ready: as nobody, with nothing of the privileged init container's.
              securityContext: { ...nonRootPodSecurity(NOBODY), ...readOnlyContainer() },
              resources: { requests: { cpu: "1m", memory: "4Mi" }, limits: { memory: "16Mi" } },
            },
          ],
          volumes: [{ name: "script", ...scriptVolume }],
        },
      },
    },
  };
}
