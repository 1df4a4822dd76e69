// The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards, the
// `latest` version of each control) as a table: each control, the level that introduces it, the fields
// it reads and its check. The whole-plan rule evaluates every declared pod against the `enforce` level
// of its namespace, so a pod that admission would refuse never reaches `pulumi up`.
import {
  asFields,
  describe,
  type Fields,
  fieldsAt,
  kindOf,
  listAt,
  type PlanResource,
  type PlanRule,
  podsOf,
  type PodSite,
  type Violation,
} from "./plan";

export const LEVELS = ["privileged", "baseline", "restricted"] as const;
export type Level = (typeof LEVELS)[number];

export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

interface Control {
  readonly name: string;
  /** The lowest level that enforces the control; every stricter level does too. */
  readonly level: Exclude<Level, "privileged">;
  /** The fields the control reads, as the standard lists them. */
  readonly fields: readonly string[];
  /** One message per offending field: `<field path>: <value> (<what is allowed>)`. */
  readonly check: (pod: PodSite) => string[];
}

interface ContainerSite {
  readonly path: string;
  readonly container: Fields;
  readonly securityContext: Fields;
}

function containersOf(pod: PodSite): ContainerSite[] {
  return (["containers", "initContainers", "ephemeralContainers"] as const).flatMap((list) => {
    return listAt(pod.spec, [list]).map((container, index) => ({
      path: `${pod.path}.${list}[${index}]`,
      container: asFields(container) ?? {},
      securityContext: fieldsAt(container, ["securityContext"]) ?? {},
    }));
  });
}

function podSecurityContext(pod: PodSite): Fields {
  return fieldsAt(pod.spec, ["securityContext"]) ?? {};
}

const show = (value: unknown) => JSON.stringify(value);

/** `allowed` for a field that may be absent: messages for each present value outside it. */
function onlyValues(path: string, value: unknown, allowed: readonly unknown[], expected: string): string[] {
  return value === undefined || allowed.includes(value) ? [] : [`${path}: ${show(value)} (allowed: ${expected})`];
}

/** The securityContext field of the pod and of each container. */
function everyContext(pod: PodSite): { path: string; context: Fields }[] {
  return [
    { path: `${pod.path}.securityContext`, context: podSecurityContext(pod) },
    ...containersOf(pod).map((c) => ({ path: `${c.path}.securityContext`, context: c.securityContext })),
  ];
}

/**
 * A setting each container must have, in its own securityContext or inherited from the pod's: one
 * message per container whose effective value is not one of `required`.
 */
function requiredPerContainer(
  pod: PodSite,
  field: string,
  read: (context: Fields) => unknown,
  required: readonly unknown[],
  expected: string,
): string[] {
  const podLevel = read(podSecurityContext(pod));
  return containersOf(pod).flatMap((c) => {
    const value = read(c.securityContext) ?? podLevel;
    return required.includes(value)
      ? []
      : [`${c.path}.securityContext.${field}: ${show(value)} (required: ${expected}, here or in the pod's securityContext)`];
  });
}

const BASELINE_CAPABILITIES = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];

const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];

const RESTRICTED_VOLUME_TYPES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
];

export const CONTROLS: readonly Control[] = [
  {
    name: "HostProcess",
    level: "baseline",
    fields: ["spec.securityContext.windowsOptions.hostProcess", "spec.containers[*].securityContext.windowsOptions.hostProcess"],
    check: (pod) =>
      everyContext(pod).flatMap(({ path, context }) =>
        onlyValues(`${path}.windowsOptions.hostProcess`, fieldsAt(context, ["windowsOptions"])?.hostProcess, [false], "false or unset"),
      ),
  },
  {
    name: "Host Namespaces",
    level: "baseline",
    fields: ["spec.hostNetwork", "spec.hostPID", "spec.hostIPC"],
    check: (pod) =>
      (["hostNetwork", "hostPID", "hostIPC"] as const).flatMap((field) =>
        onlyValues(`${pod.path}.${field}`, pod.spec[field], [false], "false or unset"),
      ),
  },
  {
    name: "Privileged Containers",
    level: "baseline",
    fields: ["spec.containers[*].securityContext.privileged"],
    check: (pod) =>
      containersOf(pod).flatMap((c) =>
        onlyValues(`${c.path}.securityContext.privileged`, c.securityContext.privileged, [false], "false or unset"),
      ),
  },
  {
    name: "Capabilities",
    level: "baseline",
    fields: ["spec.containers[*].securityContext.capabilities.add"],
    check: (pod) =>
      containersOf(pod).flatMap((c) =>
        listAt(c.securityContext, ["capabilities", "add"]).flatMap((cap, i) =>
          onlyValues(`${c.path}.securityContext.capabilities.add[${i}]`, cap, BASELINE_CAPABILITIES, "the container runtime's default set"),
        ),
      ),
  },
  {
    name: "HostPath Volumes",
    level: "baseline",
    fields: ["spec.volumes[*].hostPath"],
    check: (pod) =>
      listAt(pod.spec, ["volumes"]).flatMap((volume, i) =>
        fieldsAt(volume, ["hostPath"]) ? [`${pod.path}.volumes[${i}].hostPath: set (allowed: unset)`] : [],
      ),
  },
  {
    name: "Host Ports",
    level: "baseline",
    fields: ["spec.containers[*].ports[*].hostPort"],
    check: (pod) =>
      containersOf(pod).flatMap((c) =>
        listAt(c.container, ["ports"]).flatMap((port, i) =>
          onlyValues(`${c.path}.ports[${i}].hostPort`, asFields(port)?.hostPort, [0], "0 or unset"),
        ),
      ),
  },
  {
    name: "AppArmor",
    level: "baseline",
    fields: ["spec.securityContext.appArmorProfile.type", "spec.containers[*].securityContext.appArmorProfile.type"],
    check: (pod) =>
      everyContext(pod).flatMap(({ path, context }) =>
        onlyValues(
          `${path}.appArmorProfile.type`,
          fieldsAt(context, ["appArmorProfile"])?.type,
          ["RuntimeDefault", "Localhost"],
          "RuntimeDefault, Localhost or unset",
        ),
      ),
  },
  {
    name: "SELinux",
    level: "baseline",
    fields: ["spec.securityContext.seLinuxOptions.{type,user,role}", "spec.containers[*].securityContext.seLinuxOptions.{type,user,role}"],
    check: (pod) =>
      everyContext(pod).flatMap(({ path, context }) => {
        const options = fieldsAt(context, ["seLinuxOptions"]) ?? {};
        return [
          ...onlyValues(
            `${path}.seLinuxOptions.type`,
            options.type,
            ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"],
            "container_t, container_init_t, container_kvm_t, container_engine_t or unset",
          ),
          ...onlyValues(`${path}.seLinuxOptions.user`, options.user, [""], "unset"),
          ...onlyValues(`${path}.seLinuxOptions.role`, options.role, [""], "unset"),
        ];
      }),
  },
  {
    name: "/proc Mount Type",
    level: "baseline",
    fields: ["spec.containers[*].securityContext.procMount"],
    check: (pod) =>
      containersOf(pod).flatMap((c) =>
        onlyValues(`${c.path}.securityContext.procMount`, c.securityContext.procMount, ["Default"], "Default or unset"),
      ),
  },
  {
    name: "Seccomp",
    level: "baseline",
    fields: ["spec.securityContext.seccompProfile.type", "spec.containers[*].securityContext.seccompProfile.type"],
    check: (pod) =>
      everyContext(pod).flatMap(({ path, context }) =>
        onlyValues(
          `${path}.seccompProfile.type`,
          fieldsAt(context, ["seccompProfile"])?.type,
          ["RuntimeDefault", "Localhost"],
          "RuntimeDefault, Localhost or unset",
        ),
      ),
  },
  {
    name: "Sysctls",
    level: "baseline",
    fields: ["spec.securityContext.sysctls[*].name"],
    check: (pod) =>
      listAt(podSecurityContext(pod), ["sysctls"]).flatMap((sysctl, i) =>
        onlyValues(`${pod.path}.securityContext.sysctls[${i}].name`, asFields(sysctl)?.name, SAFE_SYSCTLS, "the safe set"),
      ),
  },
  {
    name: "Volume Types",
    level: "restricted",
    fields: ["spec.volumes[*]"],
    check: (pod) =>
      listAt(pod.spec, ["volumes"]).flatMap((volume, i) =>
        Object.keys(asFields(volume) ?? {})
          .filter((key) => key !== "name" && !RESTRICTED_VOLUME_TYPES.includes(key))
          .map((key) => `${pod.path}.volumes[${i}].${key}: set (allowed: ${RESTRICTED_VOLUME_TYPES.join(", ")})`),
      ),
  },
  {
    name: "Privilege Escalation",
    level: "restricted",
    fields: ["spec.containers[*].securityContext.allowPrivilegeEscalation"],
    check: (pod) =>
      containersOf(pod).flatMap((c) =>
        c.securityContext.allowPrivilegeEscalation === false
          ? []
          : [`${c.path}.securityContext.allowPrivilegeEscalation: ${show(c.securityContext.allowPrivilegeEscalation)} (required: false)`],
      ),
  },
  {
    name: "Running as Non-root",
    level: "restricted",
    fields: ["spec.securityContext.runAsNonRoot", "spec.containers[*].securityContext.runAsNonRoot"],
    check: (pod) => requiredPerContainer(pod, "runAsNonRoot", (context) => context.runAsNonRoot, [true], "true"),
  },
  {
    name: "Running as Non-root user",
    level: "restricted",
    fields: ["spec.securityContext.runAsUser", "spec.containers[*].securityContext.runAsUser"],
    check: (pod) =>
      everyContext(pod).flatMap(({ path, context }) =>
        context.runAsUser === 0 ? [`${path}.runAsUser: 0 (allowed: non-zero or unset)`] : [],
      ),
  },
  {
    name: "Seccomp (restricted)",
    level: "restricted",
    fields: ["spec.securityContext.seccompProfile.type", "spec.containers[*].securityContext.seccompProfile.type"],
    check: (pod) =>
      requiredPerContainer(
        pod,
        "seccompProfile.type",
        (context) => fieldsAt(context, ["seccompProfile"])?.type,
        ["RuntimeDefault", "Localhost"],
        "RuntimeDefault or Localhost",
      ),
  },
  {
    name: "Capabilities (restricted)",
    level: "restricted",
    fields: ["spec.containers[*].securityContext.capabilities.drop", "spec.containers[*].securityContext.capabilities.add"],
    check: (pod) =>
      containersOf(pod).flatMap((c) => [
        ...(listAt(c.securityContext, ["capabilities", "drop"]).includes("ALL")
          ? []
          : [
              `${c.path}.securityContext.capabilities.drop: ${show(listAt(c.securityContext, ["capabilities", "drop"]))} (required: includes ALL)`,
            ]),
        ...listAt(c.securityContext, ["capabilities", "add"]).flatMap((cap, i) =>
          onlyValues(`${c.path}.securityContext.capabilities.add[${i}]`, cap, ["NET_BIND_SERVICE"], "NET_BIND_SERVICE only"),
        ),
      ]),
  },
];

/** The controls a level enforces. */
export function controlsOf(level: Level): readonly Control[] {
  return level === "privileged" ? [] : CONTROLS.filter((control) => level === "restricted" || control.level === "baseline");
}

/** Every way the pod breaks the level: `<control>: <message>`. */
export function podSecurityProblems(pod: PodSite, level: Level): string[] {
  return controlsOf(level).flatMap((control) => control.check(pod).map((message) => `${control.name}: ${message}`));
}

function isLevel(value: unknown): value is Level {
  return LEVELS.some((level) => level === value);
}

/**
 * Every namespace the stack creates carries a valid `enforce` level, and every pod the stack declares
 * in one of them passes that level. Pods in namespaces the stack does not create are the cluster's.
 */
export const podSecurityRule: PlanRule = {
  name: "pod-security-standards",
  description: "Every namespace the stack creates enforces a Pod Security level, and every declared pod passes its namespace's level.",
  readsFacts: false,
  check(plan: readonly PlanResource[]): Violation[] {
    const levels = new Map<string, Level>();
    const violations: Violation[] = [];
    for (const resource of plan.filter((r) => kindOf(r) === "Namespace")) {
      const name = fieldsAt(resource.props, ["metadata"])?.name;
      const level = fieldsAt(resource.props, ["metadata", "labels"])?.[ENFORCE_LABEL];
      if (typeof name !== "string") continue;
      if (isLevel(level)) levels.set(name, level);
      else
        violations.push({
          resource: describe(resource),
          field: `metadata.labels["${ENFORCE_LABEL}"]`,
          message: `is ${show(level)}; every namespace the stack creates enforces one of ${LEVELS.join(", ")}`,
        });
    }
    for (const pod of plan.flatMap(podsOf)) {
      const level = levels.get(pod.namespace);
      if (!level) continue;
      for (const problem of podSecurityProblems(pod, level)) {
        const [field] = problem.replace(/^[^:]+: /, "").split(": ");
        violations.push({ resource: pod.resource, field, message: `breaks the namespace's Pod Security level "${level}": ${problem}` });
      }
    }
    return violations;
  },
};
