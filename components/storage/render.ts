// Local persistent volumes (docs/ARCHITECTURE.md, "Storage"): a StorageClass without a provisioner
// and one PersistentVolume per claim, on the node where the claim's pod must run, pre-bound to that
// claim, from a directory the node's apply script creates for the pod's user. Pure specs.
import type { input as Input } from "@pulumi/kubernetes/types";
import { hdfsClaims, hdfsPlacement, type HdfsPlacement } from "../hdfs/placement";
import type { HdfsConfig } from "../hdfs/schema";
import { PART_OF, type PodUser } from "../k8s-common";
import type { VolumeDirectory } from "../nodes/render";
import type { NodesConfig } from "../nodes/schema";
import { registryClaims } from "../registry/claims";
import type { RegistryConfig } from "../registry/schema";
import type { StorageConfig } from "./schema";

/** The class of the local volumes. */
export const LOCAL_CLASS = "spark-gpu-stack-local";

/** One claim the stack makes, where its pod must run and who writes to it. */
export interface LocalClaim {
  readonly namespace: string;
  readonly name: string;
  readonly size: string;
  readonly node: string;
  readonly owner: PodUser;
}

export interface StoragePlan {
  /** storageClassName of the claims that name none of their own; absent: the cluster's default class. */
  readonly className?: string;
  /** Local mode: the host directory below which each volume lives, the claims, and where HDFS runs. */
  readonly local?: { readonly path: string; readonly claims: readonly LocalClaim[]; readonly hdfs?: HdfsPlacement };
}

/** The sections the plan reads (validated, with the cross-section checks passed). */
export interface StorageSections {
  readonly storage: StorageConfig;
  readonly nodes: NodesConfig;
  readonly registry: RegistryConfig;
  readonly hdfs: HdfsConfig;
}

/**
 * The stack's claims and their volumes. The registry's go to `registry.node` (or the only node of a
 * single-node cluster), HDFS's as hdfs/placement.ts places them.
 */
export function planStorage({ storage, nodes, registry, hdfs }: StorageSections): StoragePlan {
  if (storage.local === undefined) return { className: storage.className };
  const hosts = nodes.hosts.map((node) => node.name);
  const registryNode = registry.node ?? hosts[0];
  const placement = hdfs.enabled ? hdfsPlacement(hdfs, hosts) : undefined;
  const claims = [
    ...registryClaims(registry).map((claim) => ({ ...claim, node: registryNode })),
    ...(placement ? hdfsClaims(hdfs, placement) : []),
  ];
  return { className: LOCAL_CLASS, local: { path: storage.local.path, claims, hdfs: placement } };
}

/** The directory of a claim's volume: named after the claim alone, so a new namespace finds the same data. */
export const volumePath = (root: string, claim: Pick<LocalClaim, "name">) => `${root}/${claim.name}`;

/** The PersistentVolume's name: the claim's, so a new namespace re-binds the same volume. */
export const volumeName = (claim: Pick<LocalClaim, "name">) => `local-${claim.name}`;

/** Per node, the directories its apply script creates. */
export function volumeDirectories(plan: StoragePlan): Record<string, VolumeDirectory[]> {
  const byNode: Record<string, VolumeDirectory[]> = {};
  if (plan.local === undefined) return byNode;
  for (const claim of plan.local.claims) {
    byNode[claim.node] ??= [];
    byNode[claim.node].push({ path: volumePath(plan.local.path, claim), uid: claim.owner.uid, gid: claim.owner.gid });
  }
  return byNode;
}

/** No provisioner: volumes are the stack's own; a claim binds when its pod is scheduled. */
export function renderLocalStorageClass() {
  return {
    metadata: { name: LOCAL_CLASS, labels: PART_OF },
    provisioner: "kubernetes.io/no-provisioner",
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Retain",
  } satisfies Input.storage.v1.StorageClass;
}

/** The claim's volume on its node, pre-bound to it (claimRef), kept when the claim goes (Retain). */
export function renderLocalVolume(root: string, claim: LocalClaim) {
  return {
    metadata: { name: volumeName(claim), labels: PART_OF },
    spec: {
      capacity: { storage: claim.size },
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: LOCAL_CLASS,
      claimRef: { namespace: claim.namespace, name: claim.name },
      local: { path: volumePath(root, claim) },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [claim.node] }] }],
        },
      },
    },
  } satisfies Input.core.v1.PersistentVolume;
}
