// The policy pack's validators, called as the engine calls them: with the stack's resources and a
// reportViolation callback.
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { type ClusterFacts, FACTS_SCHEMA } from "../../policy/facts";
import type { PlanResource } from "../../policy/plan";
import { POLICIES } from "../../policy/policies";
import { PLAN_RULES, policyConfig } from "../../policy/rules";

/**
 * What the engine hands a stack policy: the rules read only type, name and props, and getConfig
 * answers with the policy's entry of the policy pack config (`--policy-pack-config`), or {}.
 */
function stackArgs(plan: readonly PlanResource[], policy: string, config: Record<string, object>): StackValidationArgs {
  const resources = plan.map((r) => ({ ...r, urn: `urn:pulumi:test::spark-gpu-stack::${r.type}::${r.name}` }) as unknown as PolicyResource);
  return { resources, getConfig: () => config[policy] ?? {} } as unknown as StackValidationArgs;
}

async function reported(plan: readonly PlanResource[], config: Record<string, object> = {}): Promise<Record<string, string[]>> {
  const byPolicy: Record<string, string[]> = {};
  for (const policy of POLICIES) {
    const messages: string[] = [];
    await policy.validateStack(stackArgs(plan, policy.name, config), (message) => messages.push(message));
    byPolicy[policy.name] = messages;
  }
  return byPolicy;
}

describe("the policy pack", () => {
  it("serves one mandatory stack policy per whole-plan rule", () => {
    expect(POLICIES.map((p) => [p.name, p.enforcementLevel])).toEqual(PLAN_RULES.map((r) => [r.name, "mandatory"]));
  });

  it("reports a privileged pod in a restricted namespace, naming the resource and the field", async () => {
    const plan: PlanResource[] = [
      {
        type: "kubernetes:core/v1:Namespace",
        name: "spark",
        props: { metadata: { name: "spark", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
      },
      {
        type: "kubernetes:batch/v1:Job",
        name: "submit",
        props: {
          metadata: { name: "submit", namespace: "spark" },
          spec: { template: { spec: { containers: [{ name: "c", securityContext: { privileged: true } }] } } },
        },
      },
    ];
    const messages = (await reported(plan))["pod-security-standards"];
    expect(messages.some((m) => m.startsWith("Job/spark/submit spec.template.spec.containers[0].securityContext.privileged "))).toBe(true);
    expect(messages.every((m) => m.startsWith("Job/spark/submit "))).toBe(true);
  });

  it("declares the facts schema on every policy that reads the facts, and the render's config names exactly those", () => {
    const reading = PLAN_RULES.filter((r) => r.readsFacts).map((r) => r.name);
    expect(reading).toEqual(["node-placement", "gpu-placement", "claims-bind", "node-capacity"]);
    expect(POLICIES.filter((p) => p.configSchema === FACTS_SCHEMA).map((p) => p.name)).toEqual(reading);
    expect(Object.keys(policyConfig({}))).toEqual(reading);
  });

  it("judges with the facts of its config: a class, a node label and a capacity the config declares", async () => {
    const plan: PlanResource[] = [
      { type: "kubernetes:core/v1:NodePatch", name: "nodes-node-a", props: { metadata: { name: "node-a", labels: {} }, spec: {} } },
      {
        type: "kubernetes:apps/v1:StatefulSet",
        name: "db",
        props: {
          metadata: { name: "db", namespace: "apps" },
          spec: {
            replicas: 2,
            template: {
              spec: {
                nodeSelector: { "example.com/rack": "r1" },
                containers: [{ name: "db", resources: { requests: { cpu: "1" } } }],
              },
            },
            volumeClaimTemplates: [
              { metadata: { name: "data" }, spec: { storageClassName: "fast", resources: { requests: { storage: "1Gi" } } } },
            ],
          },
        },
      },
    ];
    const facts = (cpu: string): ClusterFacts => ({
      nodes: [{ name: "node-a", index: 0, labels: { "example.com/rack": "r1" }, capacity: { cpu } }],
      storageClasses: ["fast"],
    });
    const without = await reported(plan);
    expect(without["node-placement"]).toEqual([
      expect.stringMatching(/^StatefulSet\/apps\/db spec\.template\.spec\.nodeSelector\["example.com\/rack"\] /),
    ]);
    expect(without["claims-bind"]).toHaveLength(2);
    expect(without["node-capacity"]).toEqual([]);

    const fitting = await reported(plan, policyConfig(facts("2")));
    expect(Object.values(fitting).flat()).toEqual([]);

    const crowded = await reported(plan, policyConfig(facts("1500m")));
    expect(crowded["node-capacity"]).toEqual([expect.stringMatching(/^Node\/node-a capacity\["cpu"\] .*request 2 of cpu/)]);
  });
});
