// The policy pack's validators, called as the engine calls them: with the stack's resources and a
// reportViolation callback.
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import type { PlanResource } from "../../policy/plan";
import { POLICIES } from "../../policy/policies";
import { PLAN_RULES } from "../../policy/rules";

/** What the engine hands a stack policy; the rules read only type, name and props. */
function stackArgs(plan: readonly PlanResource[]): StackValidationArgs {
  const resources = plan.map((r) => ({ ...r, urn: `urn:pulumi:test::spark-gpu-stack::${r.type}::${r.name}` }) as unknown as PolicyResource);
  return { resources, getConfig: () => ({}) } as unknown as StackValidationArgs;
}

async function reported(plan: readonly PlanResource[]): Promise<Record<string, string[]>> {
  const byPolicy: Record<string, string[]> = {};
  for (const policy of POLICIES) {
    const messages: string[] = [];
    await policy.validateStack(stackArgs(plan), (message) => messages.push(message));
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
});
