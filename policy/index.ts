// The policy pack: `pulumi preview --policy-pack policy` runs the same whole-plan rules as the offline
// render, against the resources the engine really plans (docs/ARCHITECTURE.md, "Whole-plan rules").
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("spark-gpu-stack", { policies: POLICIES });
