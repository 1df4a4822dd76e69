// The checks that judge whole sections: across sections (GPU applications need the GPU section on,
// no two parts share a namespace) or across the entries of one (no name twice). Each section is
// typed by the module that owns it; each check names the fields it reads and runs when those parsed,
// whatever else failed (docs/ARCHITECTURE.md, "Config and secrets").
import type { ClusterConfig } from "./cluster";
import type { HdfsConfig } from "./hdfs/schema";
import { inNetwork, overlaps } from "./ipv4";
import { tolerates } from "./k8s-common";
import { GPU_NODE_TAINT } from "./nodes/gpu-marks";
import { deliveryNamespace } from "./nodes/apply-namespace";
import type { NodesConfig } from "./nodes/schema";
import { type PartialView, type ReadPath, whenParsed } from "./partial";
import { isLoopback, type RegistryConfig } from "./registry/schema";
import type { StorageConfig } from "./storage/schema";
import { forEachRepeat } from "./validators";
import { DEVICE_PLUGIN_CHART } from "./workload/charts";
import type { GpuConfig, SparkConfig } from "./workload/schema";

/** Adds one problem: the key path and what is wrong with its value. */
export type Report = (path: string, message: string) => void;

/** The sections these checks read. */
export interface CheckedSections {
  readonly cluster: ClusterConfig;
  readonly registry: RegistryConfig;
  readonly nodes: NodesConfig;
  readonly spark: SparkConfig;
  readonly gpu: GpuConfig;
  readonly hdfs: HdfsConfig;
  readonly storage: StorageConfig;
}

type SectionKey = keyof CheckedSections;

/** The section a read path starts with. */
type SectionOf<R extends string> = R extends `${infer S}.${string}` ? S : R;

/** A check that sees only the fields it reads, and runs once they all parsed. */
interface CrossCheck {
  readonly reads: readonly ReadPath[];
  readonly check: (sections: CheckedSections, report: Report) => void;
}

const crossCheck = <const R extends readonly `${SectionKey}${"" | `.${string}`}`[]>(
  reads: R,
  check: (sections: Pick<CheckedSections, SectionOf<R[number]>>, report: Report) => void,
): CrossCheck => ({ reads, check });

/** Namespaces every cluster has: declaring one of them fails with "already exists". */
const BUILT_IN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** A part's namespace, and the fields that decide it. */
interface NamespaceUse {
  readonly owner: string;
  readonly reads: readonly ReadPath[];
  readonly namespace: (sections: CheckedSections) => string | undefined;
}

// Configurable ones first, so a clash is reported on a key the user can change.
const NAMESPACE_USES: readonly NamespaceUse[] = [
  { owner: "registry.namespace", reads: ["registry.namespace"], namespace: ({ registry }) => registry.namespace },
  { owner: "spark.namespace", reads: ["spark.namespace"], namespace: ({ spark }) => spark.namespace },
  {
    owner: "hdfs.namespace",
    reads: ["hdfs.enabled", "hdfs.namespace"],
    namespace: ({ hdfs }) => (hdfs.enabled ? hdfs.namespace : undefined),
  },
  {
    owner: "the nodes' daemonset delivery",
    reads: ["nodes.delivery", "nodes.hosts.length"],
    namespace: ({ nodes }) => deliveryNamespace(nodes),
  },
  {
    owner: "the NVIDIA device plugin",
    reads: ["gpu.enabled"],
    namespace: ({ gpu }) => (gpu.enabled ? DEVICE_PLUGIN_CHART.namespace : undefined),
  },
];

/**
 * Every part gets a namespace of its own: each declares its Namespace, and two parts sharing one
 * would collide on it and on object names. Judged on the parts whose namespace is known.
 */
function reportSharedNamespaces(view: PartialView, report: Report): void {
  const declared: { readonly owner: string; readonly namespace: string }[] = [];
  for (const { owner, reads, namespace } of NAMESPACE_USES) {
    whenParsed<CheckedSections>(view, reads, (sections) => {
      const used = namespace(sections);
      if (used !== undefined) declared.push({ owner, namespace: used });
    });
  }
  for (const { owner, namespace } of declared) {
    if (BUILT_IN_NAMESPACES.includes(namespace))
      report(
        owner,
        `expected a namespace of its own, not one Kubernetes creates itself (${BUILT_IN_NAMESPACES.join(", ")}), got ${JSON.stringify(namespace)}`,
      );
  }
  forEachRepeat(
    declared.map((u) => u.namespace),
    (i, first) => {
      const [key, also] = declared[i].owner.endsWith(".namespace")
        ? [declared[i].owner, declared[first].owner]
        : [declared[first].owner, declared[i].owner];
      report(key, `expected a namespace no other part of the stack uses, got ${JSON.stringify(declared[i].namespace)} (also ${also})`);
    },
  );
}

/** Reports each node whose `field` an earlier node has too. */
function reportRepeatedHostField(hosts: NodesConfig["hosts"], field: "name" | "address", what: string, report: Report): void {
  forEachRepeat(
    hosts.map((node) => node[field]),
    (i, first) =>
      report(
        `nodes.hosts[${i}].${field}`,
        `expected ${what} used by one node only, got ${JSON.stringify(hosts[i][field])} again (also nodes.hosts[${first}])`,
      ),
  );
}

const nodeNamesCheck = crossCheck(["nodes.hosts[].name", "nodes.delivery"], ({ nodes }, report) => {
  const { hosts, delivery } = nodes;
  reportRepeatedHostField(hosts, "name", "a name", report);
  if (delivery === "daemonset") {
    hosts.forEach((node, i) => {
      if (node.name.length > 63) {
        report(
          `nodes.hosts[${i}].name`,
          `expected at most 63 characters with nodes.delivery "daemonset", which selects the node by its kubernetes.io/hostname label (a label value), got ${JSON.stringify(node.name)}`,
        );
      }
    });
  }
});

const nodeAddressesCheck = crossCheck(["nodes.hosts[].address", "nodes.subnet"], ({ nodes }, report) => {
  const { hosts, subnet } = nodes;
  reportRepeatedHostField(hosts, "address", "an address", report);
  if (subnet !== undefined) {
    hosts.forEach((node, i) => {
      if (!inNetwork(node.address, subnet)) {
        report(`nodes.hosts[${i}].address`, `expected an IPv4 address inside nodes.subnet ${subnet}, got ${JSON.stringify(node.address)}`);
      }
    });
  }
});

/** Every configured node pulls from the registry, so a loopback host serves one node at most. */
const registryHostCheck = crossCheck(["nodes.hosts.length", "registry.host"], ({ nodes, registry }, report) => {
  if (nodes.hosts.length > 1 && isLoopback(registry.host)) {
    report(
      "registry.host",
      `expected the address of the registry's node, which all ${nodes.hosts.length} nodes in nodes.hosts reach (a loopback address reaches only the node itself), got ${JSON.stringify(registry.host)}`,
    );
  }
});

const applicationNamesCheck = crossCheck(["spark.applications[].name"], ({ spark }, report) => {
  forEachRepeat(
    spark.applications.map((app) => app.name),
    (i, first) =>
      report(
        `spark.applications[${i}].name`,
        `expected a name no other application uses, got "${spark.applications[i].name}" (spark.applications[${first}] has it)`,
      ),
  );
});

const applicationGpusCheck = crossCheck(
  ["spark.applications[].driver.gpus", "spark.applications[].executor.gpus", "spark.applications[].taskGpus", "gpu.enabled"],
  ({ spark, gpu }, report) => {
    spark.applications.forEach((app, i) => {
      for (const role of ["driver", "executor"] as const) {
        if (app[role].gpus > 0 && !gpu.enabled) {
          report(
            `spark.applications[${i}].${role}.gpus`,
            `expected 0 while gpu.enabled is false (set gpu.enabled: true to schedule GPU pods), got ${app[role].gpus}`,
          );
        }
      }
      if (app.executor.gpus > 0 && app.taskGpus > app.executor.gpus) {
        report(
          `spark.applications[${i}].taskGpus`,
          `expected at most executor.gpus (${app.executor.gpus}): a task cannot use more GPUs than its executor has, got ${app.taskGpus}`,
        );
      }
    });
  },
);

const restartPolicyCheck = crossCheck(["spark.mode", "spark.applications[].restartPolicy.type"], ({ spark }, report) => {
  spark.applications.forEach((app, i) => {
    if (spark.mode === "submit" && app.restartPolicy.type !== "Never") {
      report(
        `spark.applications[${i}].restartPolicy.type`,
        `expected "Never" in submit mode (a failed Job is not re-run; set spark.mode: operator for restarts), got "${app.restartPolicy.type}"`,
      );
    }
  });
});

const defaultFsCheck = crossCheck(["hdfs.enabled", "spark.applications[].sparkConf"], ({ spark, hdfs }, report) => {
  spark.applications.forEach((app, i) => {
    if (hdfs.enabled && "spark.hadoop.fs.defaultFS" in app.sparkConf) {
      report(
        `spark.applications[${i}].sparkConf.spark.hadoop.fs.defaultFS`,
        "expected no value while hdfs.enabled is true: the stack points fs.defaultFS at its HDFS",
      );
    }
  });
});

const replicationCheck = crossCheck(["hdfs.replication", "hdfs.dataNodes"], ({ hdfs }, report) => {
  // Undefined when the hdfs section failed elsewhere: its transform, which fills the default, did not run.
  const { replication, dataNodes } = hdfs;
  if (replication !== undefined && replication > dataNodes) {
    report("hdfs.replication", `expected at most hdfs.dataNodes (${dataNodes}) copies of each block, got ${replication}`);
  }
});

const hdfsDirectoriesCheck = crossCheck(["hdfs.directories[].path"], ({ hdfs }, report) => {
  const { directories } = hdfs;
  forEachRepeat(
    directories.map((d) => d.path),
    (i) => report(`hdfs.directories[${i}].path`, `expected each path once, got ${JSON.stringify(directories[i].path)} again`),
  );
});

/** The registry pod is pinned to registry.node; a node the stack does not configure cannot pull it behind the proxy. */
const registryNodeCheck = crossCheck(
  ["nodes.hosts[].name", "nodes.hosts[].address", "registry.node", "registry.host"],
  ({ nodes, registry }, report) => {
    if (nodes.hosts.length === 0 || registry.node === undefined) return;
    const pinned = nodes.hosts.findIndex((node) => node.name === registry.node);
    if (pinned < 0) {
      report(
        "registry.node",
        `expected the name of a node in nodes.hosts (${nodes.hosts.map((node) => node.name).join(", ")}), got ${JSON.stringify(registry.node)}`,
      );
    } else if (!isLoopback(registry.host) && nodes.hosts[pinned].address !== registry.host) {
      report(
        "registry.host",
        `expected the address of registry.node ${registry.node} (nodes.hosts[${pinned}].address ${nodes.hosts[pinned].address}), got ${JSON.stringify(registry.host)}`,
      );
    }
  },
);

/** A hostPort on the registry's node takes that port's traffic: its SSH server must keep its own. */
const registrySshPortCheck = crossCheck(
  [
    "nodes.hosts[].name",
    "nodes.hosts[].sshPort",
    "registry.node",
    "registry.port",
    "registry.pullPort",
    "registry.mirror.enabled",
    "registry.mirror.port",
  ],
  ({ nodes, registry }, report) => {
    const pinned = nodes.hosts.findIndex((node) => node.name === registry.node);
    if (pinned < 0) return;
    const { sshPort } = nodes.hosts[pinned];
    const ports = [
      ["registry.port", registry.port],
      ["registry.pullPort", registry.pullPort],
      ["registry.mirror.port", registry.mirror.enabled ? registry.mirror.port : undefined],
    ] as const;
    for (const [key, port] of ports) {
      if (port === sshPort)
        report(
          key,
          `expected a port other than nodes.hosts[${pinned}].sshPort of registry.node ${registry.node}: the registry's hostPort would take the node's SSH traffic, got ${port}`,
        );
    }
  },
);

/** Nodes inside the pod or Service network: traffic to them would be routed to pods or Services. */
const nodeNetworkCheck = crossCheck(
  ["cluster.podCidr", "cluster.serviceCidr", "nodes.subnet", "nodes.hosts[].address"],
  ({ cluster, nodes }, report) => {
    const networks = [
      ["cluster.podCidr", cluster.podCidr],
      ["cluster.serviceCidr", cluster.serviceCidr],
    ] as const;
    for (const [key, network] of networks) {
      if (nodes.subnet !== undefined && overlaps(nodes.subnet, network)) {
        report("nodes.subnet", `expected a network apart from ${key} (${network}), got ${JSON.stringify(nodes.subnet)}`);
      }
      nodes.hosts.forEach((node, i) => {
        if (nodes.subnet === undefined && inNetwork(node.address, network)) {
          report(`nodes.hosts[${i}].address`, `expected an address outside ${key} (${network}), got ${JSON.stringify(node.address)}`);
        }
      });
    }
  },
);

/** Each DataNode needs a node of its own (required anti-affinity per hostname). */
const dataNodesCheck = crossCheck(["nodes.hosts.length", "hdfs.enabled", "hdfs.dataNodes"], ({ nodes, hdfs }, report) => {
  if (hdfs.enabled && nodes.hosts.length > 0 && hdfs.dataNodes > nodes.hosts.length) {
    report(
      "hdfs.dataNodes",
      `expected at most the ${nodes.hosts.length} nodes in nodes.hosts: each DataNode needs a node of its own, got ${hdfs.dataNodes}`,
    );
  }
});

/** Tainted GPU nodes admit only what tolerates the taint: the GPU pods and the device plugin must. */
const gpuTaintCheck = crossCheck(["nodes.taintGpuNodes", "gpu.enabled", "gpu.tolerations"], ({ nodes, gpu }, report) => {
  const { key, value, effect } = GPU_NODE_TAINT;
  if (!nodes.taintGpuNodes || !gpu.enabled || gpu.tolerations.some((t) => tolerates(t, GPU_NODE_TAINT))) return;
  report(
    "gpu.tolerations",
    `expected a toleration of the taint ${key}=${value}:${effect} that nodes.taintGpuNodes puts on GPU nodes (e.g. {key: ${key}, operator: Exists, effect: ${effect}}), got ${JSON.stringify(gpu.tolerations)}`,
  );
});

/**
 * A Docker node's kubelet reaches Docker through cri-dockerd, which ignored a RuntimeClass handler
 * until Mirantis/cri-dockerd#350 (2024), and the stack cannot tell which cri-dockerd a node runs
 * (README, "Runtime check"). Docker GPU nodes get nvidia as Docker's default runtime instead.
 */
const runtimeClassCheck = crossCheck(
  ["nodes.hosts[].name", "nodes.hosts[].runtime", "gpu.enabled", "gpu.runtimeClass"],
  ({ nodes, gpu }, report) => {
    const docker = nodes.hosts.filter((node) => node.runtime === "docker").map((node) => node.name);
    if (!gpu.enabled || !gpu.runtimeClass || docker.length === 0) return;
    report(
      "gpu.runtimeClass",
      `expected false while nodes.hosts has Docker nodes (${docker.join(", ")}): their kubelet runs pods through cri-dockerd, which ignored RuntimeClass handlers before Mirantis/cri-dockerd#350 and whose version the stack cannot see, so GPU pods could run without the nvidia runtime; Docker GPU nodes get it as Docker's default runtime instead, got true`,
    );
  },
);

/**
 * A bare kubeadm cluster has no default StorageClass: with configured nodes, claims name a class or
 * bind to the stack's local volumes, which need nodes.
 */
const storageModeCheck = crossCheck(["storage.local", "storage.className", "nodes.hosts.length"], ({ storage, nodes }, report) => {
  if (storage.local === undefined) {
    if (nodes.hosts.length > 0 && storage.className === undefined) {
      report(
        "storage.className",
        "expected the StorageClass of the registry's and HDFS's claims, or storage.local.path for local volumes on the nodes: with nodes.hosts configured the cluster is assumed to have no default class (a kubeadm cluster has none), got nothing",
      );
    }
  } else if (nodes.hosts.length === 0) {
    report("storage.local.path", "expected nodes.hosts: local volumes are made on the configured nodes, and there are none");
  }
});

/** A claim on a local volume takes no class of its own. */
const localClassesCheck = crossCheck(
  [
    "storage.local",
    "registry.storage.storageClass",
    "registry.mirror.enabled",
    "registry.mirror.storage.storageClass",
    "hdfs.enabled",
    "hdfs.nameNode.storageClass",
    "hdfs.dataNode.storageClass",
  ],
  ({ storage, registry, hdfs }, report) => {
    if (storage.local === undefined) return;
    const ownClasses = [
      ["registry.storage.storageClass", registry.storage.storageClass],
      ["registry.mirror.storage.storageClass", registry.mirror.enabled ? registry.mirror.storage.storageClass : undefined],
      ["hdfs.nameNode.storageClass", hdfs.enabled ? hdfs.nameNode.storageClass : undefined],
      ["hdfs.dataNode.storageClass", hdfs.enabled ? hdfs.dataNode.storageClass : undefined],
    ] as const;
    for (const [key, value] of ownClasses) {
      if (value !== undefined)
        report(
          key,
          `expected no class with storage.local: the claim binds to the local volume the stack makes for it, got ${JSON.stringify(value)}`,
        );
    }
  },
);

const CROSS_CHECKS: readonly CrossCheck[] = [
  storageModeCheck,
  localClassesCheck,
  gpuTaintCheck,
  runtimeClassCheck,
  nodeNamesCheck,
  nodeAddressesCheck,
  registryHostCheck,
  registryNodeCheck,
  registrySshPortCheck,
  nodeNetworkCheck,
  applicationNamesCheck,
  applicationGpusCheck,
  restartPolicyCheck,
  defaultFsCheck,
  replicationCheck,
  hdfsDirectoriesCheck,
  dataNodesCheck,
];

/** Reports what the checks find in the fields that parsed; a check reading a field that did not is left out. */
export function reportCrossSectionProblems(view: PartialView, report: Report): void {
  reportSharedNamespaces(view, report);
  for (const { reads, check } of CROSS_CHECKS) whenParsed<CheckedSections>(view, reads, (sections) => check(sections, report));
}
