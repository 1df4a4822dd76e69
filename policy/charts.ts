// The placement of the pods a Helm release runs, as the chart renders it: the chart's default values
// with the stack's values merged over them the way Helm does (maps merge key by key, a list or a
// scalar replaces, null deletes). Only the scheduling fields are read: nodeSelector, affinity,
// tolerations.
import { asFields, type Fields, fieldsAt, type PlanResource, type ScheduledPod, stringAt } from "./plan";

interface ChartPod {
  /** Where the pod's placement sits in the values; "" for the top level. */
  readonly at: readonly string[];
  readonly daemon: boolean;
}

interface Chart {
  readonly pods: readonly ChartPod[];
  /** The chart's own values for the scheduling fields, from its values.yaml at the pinned version. */
  readonly defaults: Fields;
}

const CHARTS: Record<string, Chart> = {
  // NVIDIA/k8s-device-plugin 0.20.0, deployments/helm/nvidia-device-plugin/values.yaml: a DaemonSet
  // for nodes that node feature discovery (or an admin) labelled as having NVIDIA GPUs.
  "nvidia-device-plugin": {
    pods: [{ at: [], daemon: true }],
    defaults: {
      nodeSelector: {},
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "feature.node.kubernetes.io/pci-10de.present", operator: "In", values: ["true"] }] },
              { matchExpressions: [{ key: "feature.node.kubernetes.io/cpu-model.vendor_id", operator: "In", values: ["NVIDIA"] }] },
              { matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] },
            ],
          },
        },
      },
      tolerations: [
        { key: "CriticalAddonsOnly", operator: "Exists" },
        { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
      ],
    },
  },
  // kubeflow/spark-operator 2.5.1, charts/spark-operator-chart/values.yaml: each component's
  // nodeSelector, affinity and tolerations are empty.
  "spark-operator": {
    pods: [
      { at: ["controller"], daemon: false },
      { at: ["webhook"], daemon: false },
      { at: ["hook"], daemon: false },
    ],
    defaults: {},
  },
};

/** Helm's coalescing of values over a chart's defaults. */
export function mergeValues(defaults: unknown, values: unknown): unknown {
  const [base, over] = [asFields(defaults), asFields(values)];
  if (!base || !over) return values === undefined ? defaults : values;
  const merged: Fields = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete merged[key];
    else merged[key] = mergeValues(base[key], value);
  }
  return merged;
}

const SCHEDULING_FIELDS = ["nodeSelector", "affinity", "tolerations"] as const;

/** The pods of a Helm release of a chart the rules know, with the placement the chart gives them. */
export function chartPodsOf(resource: PlanResource): ScheduledPod[] {
  if (resource.type !== "kubernetes:helm.sh/v3:Release") return [];
  const chart = CHARTS[stringAt(resource.props, ["chart"]) ?? ""];
  if (!chart) return [];
  const values = mergeValues(chart.defaults, fieldsAt(resource.props, ["values"]) ?? {});
  const namespace = stringAt(resource.props, ["namespace"]) ?? "default";
  const release = `Release/${namespace}/${stringAt(resource.props, ["name"]) ?? resource.name}`;
  return chart.pods.map(({ at, daemon }) => {
    const placement = (at.length > 0 ? fieldsAt(values, [...at]) : asFields(values)) ?? {};
    const spec = Object.fromEntries(
      SCHEDULING_FIELDS.flatMap((field) => (placement[field] !== undefined ? [[field, placement[field]]] : [])),
    );
    return { site: { resource: release, namespace, path: ["values", ...at].join("."), metadata: {}, spec }, replicas: 1, daemon };
  });
}
