// The `storage` section: where the stack's claims (registry, mirror, HDFS) get their volumes. A
// cluster built with kubeadm has no default StorageClass, so with configured nodes one of the two
// modes is required (components/cross-checks.ts). Defaults live here only.
import { z } from "zod";
import { dnsSubdomain } from "../validators";

/** An absolute host directory: no `.` or `..` segment, no spaces or shell characters. */
const hostDirectory = () => {
  const e = {
    error: "expected an absolute directory on the nodes such as /data/spark-gpu-stack (segments of letters, digits, '.', '_', '-')",
  };
  return z
    .string(e)
    .refine((v) => /^(\/[A-Za-z0-9._-]+)+$/.test(v) && !v.split("/").some((segment) => segment === "." || segment === ".."), e);
};

export const storageSchema = z
  .strictObject({
    /** StorageClass of every claim (a claim's own `storageClass` wins). @default the cluster's default class */
    className: dnsSubdomain().optional(),
    /**
     * Local PersistentVolumes: each claim gets one on the node its pod must run on, in a directory
     * below `path` that the node's apply script creates. @default off
     */
    local: z.strictObject({ path: hostDirectory() }).optional(),
  })
  .superRefine((storage, ctx) => {
    if (storage.className !== undefined && storage.local !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["className"],
        input: storage.className,
        message: "expected either storage.className or storage.local, not both: local volumes have a class of their own",
      });
    }
  });

export type StorageConfig = z.output<typeof storageSchema>;
