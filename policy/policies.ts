// The whole-plan rules as CrossGuard stack policies, each reporting every violation of its rule. Kept
// apart from index.ts, which serves them, so tests can call the validators on recorded plans.
import type { StackValidationPolicy } from "@pulumi/policy";
import { PLAN_RULES } from "./rules";

export const POLICIES: StackValidationPolicy[] = PLAN_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const violation of rule.check(args.resources)) reportViolation(`${violation.resource} ${violation.field} ${violation.message}`);
  },
}));
