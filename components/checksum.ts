// Digests of what a pod reads at start, as plain pod-template annotations: a change rolls the pod,
// and `pulumi preview --diff` stays readable.
import { createHmac } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * Keyed with a random secret: the contents may hold credentials, and an unkeyed digest of a file
 * whose rest is known lets anyone who reads the annotation guess a weak password offline.
 */
export function keyedChecksum(key: pulumi.Output<string>, contents: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(
    pulumi.all([key, ...contents]).apply(([k, ...parts]) => createHmac("sha256", k).update(parts.join("\0")).digest("hex")),
  );
}
