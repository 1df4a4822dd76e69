// The declared plan as the whole-plan rules read it: the resources of a `pulumi preview` (the policy
// pack's stack validation, policy/index.ts) or of the offline render (tools/render.ts). Each rule is a
// pure function of the plan, so both run the same code (docs/ARCHITECTURE.md, "Whole-plan rules").
import type { ClusterFacts } from "./facts";
// js-yaml, not yaml: parsing every pod template is most of the rules' cost on a large plan, and js-yaml,
// which the Pulumi SDK loads anyway, does it several times faster (YAML 1.2 core schema, as yaml reads it).
import { POD_TEMPLATES_ANNOTATION } from "../components/k8s-common";
import { fromYaml } from "../components/yaml";

/** One declared resource: its Pulumi type, its name and its inputs (unknown values are undefined). */
export interface PlanResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

/** What a rule refuses: which resource, which field, and why, with what fixes it. */
export interface Violation {
  readonly resource: string;
  readonly field: string;
  readonly message: string;
}

/** A rule over the whole plan; `check` lists every violation at once. */
export interface PlanRule {
  readonly name: string;
  readonly description: string;
  /** Whether the rule reads the cluster facts: its policy then takes them as config. */
  readonly readsFacts: boolean;
  /** `facts` default to none: no node, class or capacity beyond what the plan declares. */
  readonly check: (plan: readonly PlanResource[], facts?: ClusterFacts) => Violation[];
}

export type Fields = Record<string, unknown>;

/** The pod spec of a declared pod, wherever it sits: a workload's template, a Spark pod template. */
export interface PodSite {
  /** `<Kind>/<namespace>/<name>`, as messages name it. */
  readonly resource: string;
  readonly namespace: string;
  /** The field path of the pod spec inside the resource, e.g. `spec.template.spec`. */
  readonly path: string;
  readonly metadata: Fields;
  readonly spec: Fields;
}

/** Declared by the components that write pod templates into ConfigMaps; the rules read them. */
export { POD_TEMPLATES_ANNOTATION };

/** The value as an object of fields, or undefined when it is not one. */
export function asFields(value: unknown): Fields | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

export function fieldsAt(value: unknown, path: readonly string[]): Fields | undefined {
  let current: Fields | undefined = asFields(value);
  for (const key of path) current = asFields(current?.[key]);
  return current;
}

/** The list at `path`, or an empty one when there is none. */
export function listAt(value: unknown, path: readonly string[]): unknown[] {
  const list = fieldsAt(value, path.slice(0, -1))?.[path[path.length - 1]];
  return Array.isArray(list) ? list : [];
}

export function stringAt(value: unknown, path: readonly string[]): string | undefined {
  const parent = fieldsAt(value, path.slice(0, -1));
  const leaf = parent?.[path[path.length - 1]];
  return typeof leaf === "string" ? leaf : undefined;
}

export function kindOf(resource: PlanResource): string {
  return resource.type.split(":").pop() ?? resource.type;
}

export function describe(resource: PlanResource): string {
  const namespace = stringAt(resource.props, ["metadata", "namespace"]);
  const name = stringAt(resource.props, ["metadata", "name"]) ?? resource.name;
  return `${kindOf(resource)}/${namespace ? `${namespace}/` : ""}${name}`;
}

/** Where each workload kind keeps its pod template. */
const POD_TEMPLATE_PATHS: Record<string, readonly (readonly string[])[]> = {
  Pod: [[]],
  Deployment: [["spec", "template"]],
  StatefulSet: [["spec", "template"]],
  DaemonSet: [["spec", "template"]],
  ReplicaSet: [["spec", "template"]],
  Job: [["spec", "template"]],
  CronJob: [["spec", "jobTemplate", "spec", "template"]],
  SparkApplication: [
    ["spec", "driver", "template"],
    ["spec", "executor", "template"],
  ],
  ScheduledSparkApplication: [
    ["spec", "template", "driver", "template"],
    ["spec", "template", "executor", "template"],
  ],
};

/** Pods read per resource: every rule reads them, and parsing the pod templates is the cost of a large plan. */
const PODS = new WeakMap<PlanResource, PodSite[]>();

/** Every pod the resource declares, with its namespace. */
export function podsOf(resource: PlanResource): PodSite[] {
  const known = PODS.get(resource);
  if (known) return known;
  const pods = readPods(resource);
  PODS.set(resource, pods);
  return pods;
}

function readPods(resource: PlanResource): PodSite[] {
  const kind = kindOf(resource);
  const namespace = stringAt(resource.props, ["metadata", "namespace"]) ?? "default";
  const site = (path: readonly string[], template: unknown, at: string): PodSite[] => {
    const spec = fieldsAt(template, [...path, "spec"]);
    return spec
      ? [{ resource: describe(resource), namespace, path: at, metadata: fieldsAt(template, [...path, "metadata"]) ?? {}, spec }]
      : [];
  };
  if (kind === "ConfigMap") {
    const keys = stringAt(resource.props, ["metadata", "annotations", POD_TEMPLATES_ANNOTATION]);
    const data = fieldsAt(resource.props, ["data"]) ?? {};
    return (keys ? keys.split(",") : []).flatMap((key) => {
      const text = data[key];
      return typeof text === "string" ? site([], fromYaml(text), `data["${key}"].spec`) : [];
    });
  }
  return (POD_TEMPLATE_PATHS[kind] ?? []).flatMap((path) => site(path, resource.props, [...path, "spec"].join(".")));
}

/** A declared pod with how it spreads: `replicas` copies, or one on every node it fits (DaemonSets). */
export interface ScheduledPod {
  readonly site: PodSite;
  readonly replicas: number;
  readonly daemon: boolean;
}
