// The whole-plan rules as CrossGuard stack policies, each reporting every violation of its rule. Kept
// apart from index.ts, which serves them, so tests can call the validators on recorded plans. A rule
// that reads the cluster facts takes them as its policy config (FACTS_SCHEMA), the file the offline
// render writes as out/<stack>/policy-config.json.
import type { StackValidationPolicy } from "@pulumi/policy";
import { type ClusterFacts, FACTS_SCHEMA } from "./facts";
import { PLAN_RULES } from "./rules";

export const POLICIES: StackValidationPolicy[] = PLAN_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  ...(rule.readsFacts ? { configSchema: FACTS_SCHEMA } : {}),
  validateStack: (args, reportViolation) => {
    const facts = rule.readsFacts ? args.getConfig<ClusterFacts>() : {};
    for (const violation of rule.check(args.resources, facts))
      reportViolation(`${violation.resource} ${violation.field} ${violation.message}`);
  },
}));
