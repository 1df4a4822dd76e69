// Digests of what a pod reads at start, for its checksum annotation (k8s-common.ts): a change rolls
// the pod, and `pulumi preview --diff` stays readable. One rule: sha256 over the contents joined by
// NUL, keyed (HMAC) whenever the contents can hold a secret.
import { createHash, createHmac } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** For contents that hold no secret: anyone may recompute it. */
export function plainChecksum(contents: readonly string[]): string {
  return createHash("sha256").update(contents.join("\0")).digest("hex");
}

/**
 * Keyed with a random secret: the contents may hold credentials, and an unkeyed digest of a file
 * whose rest is known lets anyone who reads the annotation guess a weak password offline.
 */
export function keyedChecksum(key: pulumi.Output<string>, contents: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(
    pulumi.all([key, ...contents]).apply(([k, ...parts]) => createHmac("sha256", k).update(parts.join("\0")).digest("hex")),
  );
}
