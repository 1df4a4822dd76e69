// The Pod Security Standards table against pods written from the published standard: a pod that
// passes `restricted`, and for every control a pod that breaks only that control.
import { describe, expect, it } from "vitest";
import type { PlanResource, PodSite } from "../../policy/plan";
import { CONTROLS, controlsOf, podSecurityProblems, podSecurityRule } from "../../policy/pod-security";

/** A pod that passes `restricted`, as the standard's own example would write it. */
function restrictedPodSpec(): Record<string, any> {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "app",
        image: "example/app@sha256:0",
        ports: [{ containerPort: 8080 }],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
  };
}

const site = (spec: Record<string, any>): PodSite => ({ resource: "Pod/ns/p", namespace: "ns", path: "spec", metadata: {}, spec });
const container = (spec: Record<string, any>) => spec.containers[0];

/** For each control, a change to the restricted pod that breaks that control alone. */
const BREAKS: Record<string, (spec: Record<string, any>) => void> = {
  HostProcess: (s) => {
    s.securityContext.windowsOptions = { hostProcess: true };
  },
  "Host Namespaces": (s) => {
    s.hostNetwork = true;
  },
  "Privileged Containers": (s) => {
    container(s).securityContext.privileged = true;
  },
  Capabilities: (s) => {
    container(s).securityContext.capabilities.add = ["SYS_ADMIN"];
  },
  "HostPath Volumes": (s) => {
    s.volumes.push({ name: "host", hostPath: { path: "/etc" } });
  },
  "Host Ports": (s) => {
    container(s).ports[0].hostPort = 6001;
  },
  AppArmor: (s) => {
    container(s).securityContext.appArmorProfile = { type: "Unconfined" };
  },
  SELinux: (s) => {
    s.securityContext.seLinuxOptions = { type: "spc_t" };
  },
  "/proc Mount Type": (s) => {
    container(s).securityContext.procMount = "Unmasked";
  },
  Seccomp: (s) => {
    container(s).securityContext.seccompProfile = { type: "Unconfined" };
  },
  Sysctls: (s) => {
    s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }];
  },
  "Volume Types": (s) => {
    s.volumes.push({ name: "nfs", nfs: { server: "nfs.example.com", path: "/" } });
  },
  "Privilege Escalation": (s) => {
    delete container(s).securityContext.allowPrivilegeEscalation;
  },
  "Running as Non-root": (s) => {
    delete s.securityContext.runAsNonRoot;
  },
  "Running as Non-root user": (s) => {
    container(s).securityContext.runAsUser = 0;
  },
  "Seccomp (restricted)": (s) => {
    delete s.securityContext.seccompProfile;
  },
  "Capabilities (restricted)": (s) => {
    container(s).securityContext.capabilities.drop = ["NET_RAW"];
  },
};

/** Where the standard has two controls read the same field, at baseline and again at restricted. */
const ALSO_BREAKS: Record<string, string[]> = {
  "HostPath Volumes": ["Volume Types"],
  Seccomp: ["Seccomp (restricted)"],
  Capabilities: ["Capabilities (restricted)"],
};

describe("the Pod Security Standards table", () => {
  it("passes the restricted example at every level", () => {
    for (const level of ["privileged", "baseline", "restricted"] as const)
      expect(podSecurityProblems(site(restrictedPodSpec()), level)).toEqual([]);
  });

  it("has a breaking pod for every control, and each breaks that control alone", () => {
    expect(Object.keys(BREAKS).sort()).toEqual(CONTROLS.map((c) => c.name).sort());
    for (const control of CONTROLS) {
      const spec = restrictedPodSpec();
      BREAKS[control.name](spec);
      const problems = podSecurityProblems(site(spec), "restricted");
      expect(problems.length, control.name).toBeGreaterThan(0);
      const broken = [...new Set(problems.map((p) => p.split(": ")[0]))].sort();
      expect(broken, problems.join("\n")).toEqual([control.name, ...(ALSO_BREAKS[control.name] ?? [])].sort());
      expect(podSecurityProblems(site(spec), "baseline").length > 0, control.name).toBe(control.level === "baseline");
      expect(podSecurityProblems(site(spec), "privileged")).toEqual([]);
    }
  });

  it("allows the baseline's defaults that restricted refuses: no securityContext at all", () => {
    const bare = site({ containers: [{ name: "app", image: "x" }] });
    expect(podSecurityProblems(bare, "baseline")).toEqual([]);
    expect(
      podSecurityProblems(bare, "restricted")
        .map((p) => p.split(":")[0])
        .sort(),
    ).toEqual(["Capabilities (restricted)", "Privilege Escalation", "Running as Non-root", "Seccomp (restricted)"]);
    expect(controlsOf("restricted").length).toBe(CONTROLS.length);
  });

  it("names the field path of init containers", () => {
    const spec = restrictedPodSpec();
    spec.initContainers = [{ name: "init", image: "x", securityContext: { privileged: true } }];
    expect(podSecurityProblems(site(spec), "baseline")).toEqual([
      "Privileged Containers: spec.initContainers[0].securityContext.privileged: true (allowed: false or unset)",
    ]);
  });
});

describe("the pod-security-standards rule over a plan", () => {
  const namespace = (name: string, level?: string): PlanResource => ({
    type: "kubernetes:core/v1:Namespace",
    name,
    props: { metadata: { name, labels: level ? { "pod-security.kubernetes.io/enforce": level } : {} } },
  });
  const deployment = (ns: string, spec: Record<string, any>): PlanResource => ({
    type: "kubernetes:apps/v1:Deployment",
    name: "web",
    props: { metadata: { name: "web", namespace: ns }, spec: { template: { spec } } },
  });

  it("refuses a namespace without an enforce label and a pod that breaks its namespace's level", () => {
    const privileged = restrictedPodSpec();
    container(privileged).securityContext.privileged = true;
    const violations = podSecurityRule.check([namespace("spark", "restricted"), namespace("bare"), deployment("spark", privileged)]);
    expect(violations.map((v) => `${v.resource} ${v.field}`)).toEqual([
      'Namespace/bare metadata.labels["pod-security.kubernetes.io/enforce"]',
      "Deployment/spark/web spec.template.spec.containers[0].securityContext.privileged",
    ]);
  });

  it("reads pod templates from a CronJob, a SparkApplication and an annotated ConfigMap", () => {
    const rootPod = "spec:\n  containers:\n    - name: spark-kubernetes-driver\n      securityContext: { runAsUser: 0 }\n";
    const plan: PlanResource[] = [
      namespace("spark", "baseline"),
      {
        type: "kubernetes:core/v1:ConfigMap",
        name: "templates",
        props: {
          metadata: { name: "templates", namespace: "spark", annotations: { "spark-gpu-stack/pod-templates": "driver.yaml" } },
          data: { "driver.yaml": `${rootPod}  hostPID: true\n`, "other.yaml": "spec:\n  hostPID: true\n" },
        },
      },
      {
        type: "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication",
        name: "app",
        props: { metadata: { name: "app", namespace: "spark" }, spec: { executor: { template: { spec: { hostIPC: true } } } } },
      },
      {
        type: "kubernetes:batch/v1:CronJob",
        name: "gc",
        props: {
          metadata: { name: "gc", namespace: "spark" },
          spec: { jobTemplate: { spec: { template: { spec: { hostNetwork: true } } } } },
        },
      },
    ];
    expect(podSecurityRule.check(plan).map((v) => `${v.resource} ${v.field}`)).toEqual([
      'ConfigMap/spark/templates data["driver.yaml"].spec.hostPID',
      "SparkApplication/spark/app spec.executor.template.spec.hostIPC",
      "CronJob/spark/gc spec.jobTemplate.spec.template.spec.hostNetwork",
    ]);
  });
});
