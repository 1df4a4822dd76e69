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

/**
 * The annotation on a ConfigMap whose listed keys (comma-separated) hold pod templates, such as
 * Spark's podTemplateFile: the whole-plan rules check the pods they describe like any other.
 */
export const POD_TEMPLATES_ANNOTATION = "spark-gpu-stack/pod-templates";

/**
 * A value that reaches a program unchanged after `expansions` rounds of Kubernetes' `$(VAR)`
 * expansion of container `command`, `args` and `env` values: each round turns `$$` into `$`, so every
 * `$` is doubled once per round. A user's `$(HTTP_PROXY)` would otherwise receive the proxy URL,
 * password included.
 */
export function literalThroughExpansion(value: string, expansions = 1): string {
  const doubled = "$".repeat(2 ** expansions);
  return value.replace(/\$/g, () => doubled); // a function: in a replacement string "$$" means "$"
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

/** Selects a namespace by the name label the API server gives every namespace. */
export function namespaceSelectorOf(name: string) {
  return { matchLabels: { "kubernetes.io/metadata.name": name } };
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

/** A node taint, as `spec.taints` holds it. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** A pod's toleration, as `spec.tolerations` holds it. */
export interface Toleration {
  readonly key: string;
  readonly operator: "Equal" | "Exists";
  readonly value?: string;
  readonly effect?: Taint["effect"];
}

/** Exactly the tolerations of these taints, each once: what a pod pinned to their node needs. */
export function tolerationsOf(taints: readonly Taint[]): Toleration[] {
  const seen = new Set<string>();
  return taints.flatMap((t) => {
    const id = JSON.stringify([t.key, t.value ?? "", t.effect]);
    if (seen.has(id)) return [];
    seen.add(id);
    return [
      t.value === undefined
        ? { key: t.key, operator: "Exists", effect: t.effect }
        : { key: t.key, operator: "Equal", value: t.value, effect: t.effect },
    ];
  });
}

/** Whether a toleration lets a pod onto a node with this taint (the scheduler's rule). */
export function tolerates(toleration: { key?: string; operator?: string; value?: string; effect?: string }, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  if (toleration.key === undefined || toleration.key === "") return toleration.operator === "Exists";
  if (toleration.key !== taint.key) return false;
  return toleration.operator === "Exists" || (toleration.value ?? "") === (taint.value ?? "");
}

/** Where a kubectl pod mounts the ConfigMap holding its script. */
const KUBECTL_SCRIPTS_DIR = "/scripts";

/**
 * The pod spec parts of a job that runs one script with kubectl: the nonroot user, a read-only root,
 * the script from the ConfigMap `configMap`, and a writable /tmp, where kubectl keeps its discovery
 * cache ($HOME).
 */
export function kubectlScriptPod(input: {
  readonly name: string;
  readonly kubectlVersion: string;
  readonly configMap: string;
  readonly script: string;
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
}) {
  return {
    securityContext: nonRootPodSecurity(KUBECTL_USER),
    containers: [
      {
        name: input.name,
        image: kubectlImage(input.kubectlVersion),
        command: ["/bin/sh", `${KUBECTL_SCRIPTS_DIR}/${input.script}`],
        env: [...(input.env ?? []), { name: "HOME", value: "/tmp" }],
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        securityContext: readOnlyContainer(),
        volumeMounts: [
          { name: "scripts", mountPath: KUBECTL_SCRIPTS_DIR, readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      { name: "scripts", configMap: { name: input.configMap, defaultMode: 0o555 } },
      { name: "tmp", emptyDir: {} },
    ],
  };
}
