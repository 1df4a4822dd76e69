// Every whole-plan rule, in the order their verdicts are listed. The offline render and the policy pack
// both run exactly this list.
import type { PlanResource, PlanRule, Violation } from "./plan";
import { podSecurityRule } from "./pod-security";

export const PLAN_RULES: readonly PlanRule[] = [podSecurityRule];

/** Every violation of every rule, each line `<rule>: <resource> <field> <message>`. */
export function planViolations(plan: readonly PlanResource[]): string[] {
  return PLAN_RULES.flatMap((rule) => rule.check(plan).map((v: Violation) => `${rule.name}: ${v.resource} ${v.field} ${v.message}`));
}
