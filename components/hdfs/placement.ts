// Where HDFS runs when its volumes are local (components/storage): each pod on the node that holds
// its volume. DataNode i on the i-th configured node (one per node, as the anti-affinity wants),
// the NameNode on the first, the Secondary NameNode on the second, so its checkpoints are on
// another machine when there is one. Reordering nodes.hosts moves volumes: keep its order.
import { HADOOP_USER } from "./render";
import { DATA_CLAIM_TEMPLATE, type Daemon, NAMES } from "./render-statefulsets";
import type { HdfsConfig } from "./schema";

/** Per daemon, the nodes its pods run on (a DataNode per entry, by ordinal). */
export type HdfsPlacement = Readonly<Record<Daemon, readonly string[]>>;

export function hdfsPlacement(config: HdfsConfig, hosts: readonly string[]): HdfsPlacement {
  return {
    namenode: [hosts[0]],
    "secondary-namenode": config.secondaryNameNode ? [hosts[1 % hosts.length]] : [],
    datanode: hosts.slice(0, config.dataNodes),
  };
}

/** A StatefulSet's claim of one ordinal, as Kubernetes names it: `<template>-<set>-<ordinal>`. */
export const statefulSetClaim = (daemon: Daemon, ordinal: number) => `${DATA_CLAIM_TEMPLATE}-${NAMES[daemon]}-${ordinal}`;

/** Every HDFS claim with the node it must be on. */
export function hdfsClaims(config: HdfsConfig, placement: HdfsPlacement) {
  const sizes: Readonly<Record<Daemon, string>> = {
    namenode: config.nameNode.storageSize,
    "secondary-namenode": config.nameNode.storageSize,
    datanode: config.dataNode.storageSize,
  };
  return (Object.keys(placement) as Daemon[]).flatMap((daemon) =>
    placement[daemon].map((node, ordinal) => ({
      namespace: config.namespace,
      name: statefulSetClaim(daemon, ordinal),
      size: sizes[daemon],
      node,
      owner: { uid: HADOOP_USER.uid, gid: HADOOP_USER.gid },
    })),
  );
}
