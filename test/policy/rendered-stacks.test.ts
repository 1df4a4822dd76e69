// The Pod Security rule over what the stack really declares: the dev and prod renders, and the
// operator mode's SparkApplications, pass their namespaces' levels; a broken copy of them does not.
import { describe, expect, it } from "vitest";
import type { PlanResource } from "../../policy/plan";
import { podsOf } from "../../policy/plan";
import { podSecurityRule } from "../../policy/pod-security";
import { renderNamespace } from "../../components/k8s-common";
import { renderSparkApplication } from "../../components/workload/render-operator";
import { plain } from "../../tools/mock-runtime";
import { renderedStack } from "../harness/rendered";
import { app, context, cpuApp, gpuApp } from "../workload/fixtures";

/** The plan as the policy pack sees it: each custom resource's type, name and inputs. */
async function renderedPlan(stack: string): Promise<PlanResource[]> {
  const { resources } = await renderedStack(stack);
  return resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: plain(r.wire) as Record<string, unknown> }));
}

/** `<resource> <pod path>` of every pod the plan declares in a namespace it creates. */
function podsIn(plan: readonly PlanResource[], namespace: string): string[] {
  return plan
    .flatMap(podsOf)
    .filter((p) => p.namespace === namespace)
    .map((p) => `${p.resource.replace(/-[0-9a-f]{8}$/, "-<hash>")} ${p.path}`)
    .sort();
}

describe.each([
  [
    "dev",
    {
      spark: [
        'ConfigMap/spark/pi-submit-<hash> data["driver-template.yaml"].spec',
        'ConfigMap/spark/pi-submit-<hash> data["executor-template.yaml"].spec',
        "Job/spark/pi-<hash> spec.template.spec",
      ],
      hdfs: [],
    },
  ],
  [
    "prod",
    {
      spark: [
        'ConfigMap/spark/batch-inference-submit-<hash> data["driver-template.yaml"].spec',
        'ConfigMap/spark/batch-inference-submit-<hash> data["executor-template.yaml"].spec',
        'ConfigMap/spark/smoke-submit-<hash> data["driver-template.yaml"].spec',
        'ConfigMap/spark/smoke-submit-<hash> data["executor-template.yaml"].spec',
        "Job/spark/batch-inference-<hash> spec.template.spec",
        "Job/spark/smoke-<hash> spec.template.spec",
      ],
      hdfs: [
        "Job/hdfs/hdfs-create-directories spec.template.spec",
        "StatefulSet/hdfs/hdfs-datanode spec.template.spec",
        "StatefulSet/hdfs/hdfs-namenode spec.template.spec",
        "StatefulSet/hdfs/hdfs-secondary-namenode spec.template.spec",
      ],
    },
  ],
])("the %s render", (stack, expectedPods) => {
  it("labels every namespace it creates and passes each one's Pod Security level, Spark's pod templates included", async () => {
    const plan = await renderedPlan(stack);
    expect(podsIn(plan, "spark")).toEqual(expectedPods.spark);
    expect(podsIn(plan, "hdfs")).toEqual(expectedPods.hdfs);
    expect(podSecurityRule.check(plan)).toEqual([]);

    // Known-bad copies: the executor template's container may escalate; the spark namespace has no label.
    const edited = (edit: (r: PlanResource, props: Record<string, any>) => void) =>
      plan.map((r) => {
        const props = structuredClone(r.props) as Record<string, any>;
        edit(r, props);
        return { ...r, props };
      });
    const escalating = edited((_, props) => {
      const template = props.data?.["executor-template.yaml"];
      if (typeof template === "string") {
        props.data["executor-template.yaml"] = template.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true");
      }
    });
    // One violation per application's executor template, and nothing else.
    const templates = expectedPods.spark.filter((p) => p.includes("executor-template"));
    expect(templates.length).toBeGreaterThan(0);
    expect(
      podSecurityRule
        .check(escalating)
        .map((v) => `${v.resource.replace(/-[0-9a-f]{8}$/, "-<hash>")} ${v.field}`)
        .sort(),
    ).toEqual(templates.map((t) => `${t}.containers[0].securityContext.allowPrivilegeEscalation`));
    const unlabelled = edited((r, props) => {
      if (r.type === "kubernetes:core/v1:Namespace" && props.metadata.name === "spark") delete props.metadata.labels;
    });
    expect(podSecurityRule.check(unlabelled).map((v) => `${v.resource} ${v.field}`)).toEqual([
      'Namespace/spark metadata.labels["pod-security.kubernetes.io/enforce"]',
    ]);
  }, 120_000);
});

describe("operator mode", () => {
  it("declares SparkApplications and ScheduledSparkApplications whose driver and executor pass `restricted`", () => {
    const applications = [gpuApp(), cpuApp(), app({ ...cpuApp(), name: "nightly", schedule: "0 3 * * *" })];
    const plan: PlanResource[] = [
      { type: "kubernetes:core/v1:Namespace", name: "spark", props: renderNamespace("spark", "restricted") },
      ...applications.map((a) => {
        const object = renderSparkApplication(a, context());
        return { type: `kubernetes:sparkoperator.k8s.io/v1beta2:${object.kind}`, name: a.name, props: object as Record<string, unknown> };
      }),
    ];
    expect(plan.flatMap(podsOf)).toHaveLength(6);
    expect(podSecurityRule.check(plan)).toEqual([]);
    const executors = plan.flatMap(podsOf).filter((p) => p.path.includes("executor"));
    expect(executors.map((p) => p.spec.automountServiceAccountToken)).toEqual([false, false, false]);
  });
});
