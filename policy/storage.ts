// Every claim the stack declares binds: it names a StorageClass that the plan declares or the config
// says exists (a claim without a class binds only where the cluster has a default class), and a claim
// of a class without a provisioner has a PersistentVolume in the plan that fits it, on a node its pod
// can run on (docs/ARCHITECTURE.md, "Whole-plan rules").
import type { ClusterFacts } from "./facts";
import {
  describe,
  type Fields,
  fieldsAt,
  kindOf,
  listAt,
  type PlanResource,
  type PlanRule,
  type PodSite,
  podsOf,
  stringAt,
  type Violation,
} from "./plan";
import { parseQuantity, showQuantity } from "./quantity";
import { type Cluster, clusterOf, type KnownNode, matchesTerm, placementOf } from "./scheduling";

export const NO_PROVISIONER = "kubernetes.io/no-provisioner";
const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
/** The engine's marker for a value not known before the update (a preview's computed input). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STORAGE_FIX = "set storage.className to a class the cluster has, or storage.local for local volumes";

/** One claim as the API server will see it, with the field that names its class and the pods that mount it. */
interface Claim {
  readonly resource: string;
  readonly field: string;
  readonly namespace: string;
  readonly name: string;
  readonly spec: Fields;
  readonly pods: readonly PodSite[];
}

function claimsOf(plan: readonly PlanResource[]): Claim[] {
  const pods = plan.flatMap(podsOf);
  return plan.flatMap((resource): Claim[] => {
    const namespace = stringAt(resource.props, ["metadata", "namespace"]) ?? "default";
    const name = stringAt(resource.props, ["metadata", "name"]) ?? resource.name;
    if (kindOf(resource) === "PersistentVolumeClaim") {
      const mounting = pods.filter(
        (pod) =>
          pod.namespace === namespace &&
          listAt(pod.spec, ["volumes"]).some((v) => fieldsAt(v, ["persistentVolumeClaim"])?.claimName === name),
      );
      return [
        {
          resource: describe(resource),
          field: "spec",
          namespace,
          name,
          spec: fieldsAt(resource.props, ["spec"]) ?? {},
          pods: mounting,
        },
      ];
    }
    if (kindOf(resource) !== "StatefulSet") return [];
    const replicas = fieldsAt(resource.props, ["spec"])?.replicas;
    const ordinals = [...Array(typeof replicas === "number" ? replicas : 1).keys()];
    return listAt(resource.props, ["spec", "volumeClaimTemplates"]).flatMap((template, i) =>
      ordinals.map((ordinal) => ({
        resource: describe(resource),
        field: `spec.volumeClaimTemplates[${i}].spec`,
        namespace,
        name: `${stringAt(template, ["metadata", "name"])}-${name}-${ordinal}`,
        spec: fieldsAt(template, ["spec"]) ?? {},
        pods: podsOf(resource),
      })),
    );
  });
}

interface Volume {
  readonly resource: PlanResource;
  readonly name: string;
  readonly spec: Fields;
}

/** Why the volume cannot hold the claim, or undefined when it can. */
function misfit(volume: Volume, claim: Claim, className: string): string | undefined {
  const ref = fieldsAt(volume.spec, ["claimRef"]);
  if (ref && (ref.namespace !== claim.namespace || ref.name !== claim.name)) return `is reserved for ${ref.namespace}/${ref.name}`;
  if ((stringAt(volume.spec, ["storageClassName"]) ?? "") !== className)
    return `has class "${stringAt(volume.spec, ["storageClassName"]) ?? ""}", not "${className}"`;
  const wanted = parseQuantity(fieldsAt(claim.spec, ["resources", "requests"])?.storage) ?? 0;
  const size = parseQuantity(fieldsAt(volume.spec, ["capacity"])?.storage) ?? 0;
  if (size < wanted) return `holds ${showQuantity("storage", size)}, less than the ${showQuantity("storage", wanted)} claimed`;
  const modes = listAt(volume.spec, ["accessModes"]);
  const missing = listAt(claim.spec, ["accessModes"]).filter((mode) => !modes.includes(mode));
  return missing.length > 0 ? `lacks access mode ${missing.join(", ")}` : undefined;
}

/** The nodes a local volume lives on (its required node affinity), or undefined when it has none. */
function volumeNodes(volume: Volume, cluster: Cluster): KnownNode[] | undefined {
  const terms = fieldsAt(volume.spec, ["nodeAffinity", "required"]);
  return terms && cluster.nodes.filter((node) => listAt(terms, ["nodeSelectorTerms"]).some((term) => matchesTerm(node, term)));
}

function bindingViolations(plan: readonly PlanResource[], facts: ClusterFacts = {}): Violation[] {
  const cluster = clusterOf(plan, facts);
  const classes = new Map(
    plan.filter((r) => kindOf(r) === "StorageClass").map((r) => [stringAt(r.props, ["metadata", "name"]) ?? r.name, r.props] as const),
  );
  const hasDefault =
    facts.defaultStorageClass === true ||
    [...classes.values()].some((props) => fieldsAt(props, ["metadata", "annotations"])?.[DEFAULT_CLASS_ANNOTATION] === "true");
  const volumes: Volume[] = plan
    .filter((r) => kindOf(r) === "PersistentVolume")
    .map((r) => ({ resource: r, name: stringAt(r.props, ["metadata", "name"]) ?? r.name, spec: fieldsAt(r.props, ["spec"]) ?? {} }));
  const taken = new Set<Volume>();
  const violations: Violation[] = [];
  const claims = claimsOf(plan);
  // Volumes reserved for a claim by claimRef go to that claim first, as the binder does.
  const reservedFirst = (claim: Claim) => (v: Volume) =>
    fieldsAt(v.spec, ["claimRef"])?.name === claim.name && fieldsAt(v.spec, ["claimRef"])?.namespace === claim.namespace ? 0 : 1;
  for (const claim of claims) {
    const className = claim.spec.storageClassName;
    const field = `${claim.field}.storageClassName`;
    const label = `claim ${claim.namespace}/${claim.name}`;
    if (className === UNKNOWN) continue;
    if (className === undefined || className === null) {
      if (!hasDefault)
        violations.push({
          resource: claim.resource,
          field,
          message: `${label} names no storage class, and no default class is assumed; ${STORAGE_FIX}`,
        });
      continue;
    }
    if (typeof className !== "string") continue;
    const declared = classes.get(className);
    const known = declared !== undefined || className === "" || (facts.storageClasses ?? []).includes(className);
    if (!known) {
      violations.push({
        resource: claim.resource,
        field,
        message: `${label} names StorageClass "${className}", which the plan does not declare and the config does not say exists; ${STORAGE_FIX}`,
      });
      continue;
    }
    if (className !== "" && stringAt(declared, ["provisioner"]) !== NO_PROVISIONER) continue;
    // No provisioner: the claim binds only to a volume that already exists, here one in the plan.
    const byName = stringAt(claim.spec, ["volumeName"]);
    const candidates = volumes
      .filter((v) => !taken.has(v) && (byName === undefined || v.name === byName))
      .sort((a, b) => reservedFirst(claim)(a) - reservedFirst(claim)(b));
    const volume = candidates.find((v) => misfit(v, claim, className) === undefined);
    if (!volume) {
      const reasons = candidates
        .filter((v) => reservedFirst(claim)(v) === 0)
        .map((v) => `PersistentVolume ${v.name} ${misfit(v, claim, className)}`);
      violations.push({
        resource: claim.resource,
        field,
        message: `${label} has class "${className}" without a provisioner, and no PersistentVolume in the plan fits it${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}; set storage.local so the stack declares one per claim, or storage.className to a provisioned class`,
      });
      continue;
    }
    taken.add(volume);
    const onNodes = volumeNodes(volume, cluster);
    if (onNodes === undefined || !cluster.known) continue;
    for (const pod of claim.pods) {
      const runsOn = placementOf(pod.spec, cluster).schedulable;
      if (runsOn.length === 0 || runsOn.some((node) => onNodes.includes(node))) continue;
      violations.push({
        resource: `PersistentVolume/${volume.name}`,
        field: "spec.nodeAffinity.required.nodeSelectorTerms",
        message: `binds ${label} on ${onNodes.map((n) => n.name).join(", ") || "no known node"}, but its pod (${pod.resource}) may run only on ${runsOn.map((n) => n.name).join(", ")}; put the volume where the pod runs (storage.local)`,
      });
    }
  }
  return violations;
}

export const claimsBindRule: PlanRule = {
  name: "claims-bind",
  description:
    "Every PersistentVolumeClaim and StatefulSet claim names a StorageClass the plan declares or the cluster has; a class without a provisioner has a fitting PersistentVolume on a node its pod can run on.",
  readsFacts: true,
  check: bindingViolations,
};
