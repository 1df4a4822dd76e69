// Every whole-plan rule, in the order their verdicts are listed. The offline render and the policy pack
// both run exactly this list, with the same cluster facts (docs/ARCHITECTURE.md, "Whole-plan rules").
import { nodeCapacityRule } from "./capacity";
import type { ClusterFacts } from "./facts";
import type { PlanResource, PlanRule } from "./plan";
import { gpuPlacementRule, nodePlacementRule } from "./placement";
import { podSecurityRule } from "./pod-security";
import { claimsBindRule } from "./storage";

export const PLAN_RULES: readonly PlanRule[] = [podSecurityRule, nodePlacementRule, gpuPlacementRule, claimsBindRule, nodeCapacityRule];

/** Every violation of every rule, each line `<rule>: <resource> <field> <message>`. */
export function planViolations(plan: readonly PlanResource[], facts: ClusterFacts): string[] {
  return PLAN_RULES.flatMap((rule) => rule.check(plan, facts).map((v) => `${rule.name}: ${v.resource} ${v.field} ${v.message}`));
}

/**
 * The policy pack's config for these facts (`pulumi preview --policy-pack-config`): the facts under
 * the name of every rule that reads them.
 */
export function policyConfig(facts: ClusterFacts): Record<string, ClusterFacts> {
  return Object.fromEntries(PLAN_RULES.filter((rule) => rule.readsFacts).map((rule) => [rule.name, facts]));
}
