// What every component's Kubernetes objects share: labels, namespaces, security contexts and the
// checksum annotation. Pure values; components spread them into their specs.
// Child resource (Pulumi) names: `<component>-<part>`; the object a component is named for takes `<component>` alone.

/** On every object the stack owns. */
export const PART_OF = { "app.kubernetes.io/part-of": "spark-gpu-stack" };

/** Kubernetes' recommended labels: what the object is, which part of it, and which instance. */
export function labelsOf(name: string, more: { readonly component?: string; readonly instance?: string } = {}): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    ...(more.component !== undefined ? { "app.kubernetes.io/component": more.component } : {}),
    ...(more.instance !== undefined ? { "app.kubernetes.io/instance": more.instance } : {}),
    ...PART_OF,
  };
}

/** Pod Security Standards levels, least to most strict. */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * A namespace the stack owns, whose pods admission holds to `enforce`. `review` (default: the same)
 * is the level `warn` and `audit` report against: a namespace that must enforce less than it
 * wants still shows every exception it makes.
 */
export function renderNamespace(name: string, enforce: PodSecurityLevel, review: PodSecurityLevel = enforce) {
  return {
    metadata: {
      name,
      labels: {
        ...PART_OF,
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": review,
        "pod-security.kubernetes.io/audit": review,
      },
    },
  };
}

/** The user and group a pod's containers run as. */
export interface PodUser {
  readonly uid: number;
  readonly gid: number;
}

/** registry.k8s.io/kubectl at a validated tag, and the nonroot user of registry.k8s.io images. */
export const kubectlImage = (version: string) => `registry.k8s.io/kubectl:${version}`;
export const KUBECTL_USER: PodUser = { uid: 65532, gid: 65532 };

/**
 * Runs as `user`, never as root, under the runtime's default seccomp profile. A pod that writes to
 * its volumes makes them its group's (`ownsVolumes`), checking only the volume's root on each start.
 */
export function nonRootPodSecurity(user: PodUser, options: { readonly ownsVolumes?: boolean } = {}) {
  return {
    runAsNonRoot: true,
    runAsUser: user.uid,
    runAsGroup: user.gid,
    ...(options.ownsVolumes ? { fsGroup: user.gid, fsGroupChangePolicy: "OnRootMismatch" } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** A container that cannot gain privileges and holds no capabilities. */
export function unprivilegedContainer() {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/** The same with a read-only root filesystem: the container writes only to its volumes. */
export function readOnlyContainer() {
  return { ...unprivilegedContainer(), readOnlyRootFilesystem: true };
}

/**
 * The pod-template annotation `spark-gpu-stack/<what>-checksum`, holding a digest (checksum.ts) of
 * what the pod reads at start: a change rolls the pod.
 */
export function checksumAnnotation(what: "config" | "apply-script", checksum: string): Record<string, string> {
  return { [`spark-gpu-stack/${what}-checksum`]: checksum };
}
