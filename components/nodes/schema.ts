// The `nodes` section: which nodes get their container runtime configured, and how the
// configuration reaches them. Defaults live here only.
import { z } from "zod";
import {
  bool,
  byteQuantity,
  cidr,
  dnsSubdomain,
  enumOf,
  forEachRepeat,
  host,
  integer,
  isLabelKey,
  labelValue,
  mapping,
  NO_PROXY_SHORTEST_PREFIX,
  nonEmptyString,
  port,
} from "../validators";
import { GPU_NODE_LABEL, GPU_NODE_TAINT } from "./gpu-marks";

export const DEFAULT_DAEMONSET_IMAGE = "busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0";

/** Whether an image reference names its content (`…@sha256:<digest>`), so no retag can change it. */
export const isDigestPinned = (image: string) => /@sha256:[0-9a-f]{64}$/.test(image);

/** An image reference pinned by tag or digest, never `latest` or untagged. */
const pinnedImage = () => {
  const e = { error: "expected an image reference with a pinned tag or digest (e.g. busybox:1.37.0), not 'latest' or untagged" };
  return z.string(e).refine((v) => {
    const digest = isDigestPinned(v);
    const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(v.slice(v.lastIndexOf("/") + 1))?.[1];
    return !/\s/.test(v) && (digest || (tag !== undefined && tag !== "latest"));
  }, e);
};

/** The key types OpenSSH servers offer as host keys. */
const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

/**
 * Whether a line is an OpenSSH public key as `ssh-keyscan` and the server's `/etc/ssh/ssh_host_*_key.pub`
 * print it: `<type> <base64 blob> [comment]`, the blob starting with the same type (RFC 4253 §6.6).
 */
function isHostKeyLine(line: string): boolean {
  const [type, blob] = line.trim().split(/\s+/);
  if (!HOST_KEY_TYPES.includes(type) || blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return false;
  const bytes = Buffer.from(blob, "base64");
  return bytes.length > 4 + type.length && bytes.readUInt32BE(0) === type.length && bytes.subarray(4, 4 + type.length).toString() === type;
}

const hostKey = () => {
  const e = {
    error: `expected an OpenSSH public host key line "<type> <base64>" of type ${HOST_KEY_TYPES.join(", ")} (e.g. the output of ssh-keyscan -t ed25519 <address>, without the address)`,
  };
  return z.string(e).refine(isHostKeyLine, e);
};

/**
 * Kubernetes and the kubelet own the kubernetes.io and k8s.io label namespaces (a second writer
 * conflicts with them), except the two meant for people: node roles and node restrictions.
 */
const isReservedKey = (key: string) => {
  const prefix = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
  const reserved = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  return reserved && prefix !== "node-role.kubernetes.io" && prefix !== "node-restriction.kubernetes.io";
};

const NODE_LABEL_KEY = `expected a label key (e.g. example.com/disk: ssd) outside the kubernetes.io and k8s.io namespaces, which Kubernetes sets (node-role.kubernetes.io/ is allowed), and not ${GPU_NODE_LABEL.key}, which nodes.hosts[].gpu sets`;

const taintKey = () => {
  const e = {
    error: `expected a taint key (a label key such as example.com/dedicated), not ${GPU_NODE_TAINT.key}, which nodes.taintGpuNodes sets on GPU nodes`,
  };
  return z.string(e).refine((key) => isLabelKey(key) && key !== GPU_NODE_TAINT.key && !isReservedKey(key), e);
};

const taintSchema = z.strictObject({
  key: taintKey(),
  /** @default none */
  value: labelValue().optional(),
  /** What the taint does to pods that do not tolerate it. */
  effect: enumOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

const CPU_QUANTITY = { error: "expected a CPU quantity: whole cores or millicores (e.g. 16 or 15500m)" };

const nodeSchema = z.strictObject({
  /** The Kubernetes node name (the DaemonSet delivery selects the node by it). */
  name: dnsSubdomain(),
  /** Address the nodes and SSH reach it at: an IPv4 address or a DNS name. */
  address: host(),
  /** SSH user; anyone but root runs the script through `sudo -n`. @default "root" */
  sshUser: nonEmptyString().default("root"),
  /** @default 22 */
  sshPort: port().default(22),
  /**
   * The node's SSH host key: the `ssh` delivery talks only to the host that proves it holds it.
   * Required with that delivery unless `acceptUnknownHostKeys`. @default absent
   */
  hostKey: hostKey().optional(),
  /** The node's container runtime. */
  runtime: enumOf(["docker", "containerd"]),
  /** GPU node: the NVIDIA runtime becomes the runtime's default, and the node gets the label nvidia.com/gpu.present=true. @default false */
  gpu: bool().default(false),
  /** Labels the stack puts on the Node (server-side apply, after its runtime is configured). @default none */
  labels: mapping((key) => isLabelKey(key) && key !== GPU_NODE_LABEL.key && !isReservedKey(key), NODE_LABEL_KEY, labelValue()).optional(),
  /** Taints the stack puts on the Node; pods the stack pins to it tolerate them. @default none */
  taints: z.array(taintSchema).optional(),
  /**
   * What the node can give pods (its allocatable resources): the whole-plan check then proves that
   * the pods pinned to it fit. @default not checked
   */
  capacity: z
    .strictObject({
      /** Cores, whole or in millicores (e.g. 16 or 15500m). */
      cpu: z
        .string(CPU_QUANTITY)
        .regex(/^[1-9][0-9]*m?$/, CPU_QUANTITY)
        .optional(),
      memory: byteQuantity().optional(),
      "nvidia.com/gpu": integer(0, 64).optional(),
    })
    .optional(),
});

export const nodesSchema = z
  .strictObject({
    /**
     * How the apply script reaches the nodes: `ssh` (works before the cluster can pull anything) or
     * `daemonset` (a privileged DaemonSet per node, for clusters where SSH is closed). @default "ssh"
     */
    delivery: enumOf(["ssh", "daemonset"]).default("ssh"),
    /**
     * Taint GPU nodes with nvidia.com/gpu=present:NoSchedule, so only pods that tolerate it land there:
     * GPU pods (gpu.tolerations), the device plugin and what the stack pins to them. @default false
     */
    taintGpuNodes: bool().default(false),
    /** How many nodes are configured (and may restart their runtime) at the same time. @default 1 */
    maxUnavailable: integer(1, 100).default(1),
    /**
     * The network every node is in. When set, NO_PROXY lists this CIDR instead of each node's
     * address and name, so adding a node does not change (and restart) every other node. @default absent
     */
    subnet: cidr({ shortest: NO_PROXY_SHORTEST_PREFIX, longest: 32, why: "NO_PROXY lists it instead of the nodes" }).optional(),
    /** The nodes to configure. @default [] */
    hosts: z.array(nodeSchema).default([]),
    /**
     * Image of the `daemonset` delivery, which runs privileged: needs `sh`, `nsenter` and `sleep`. Pin
     * it by digest, so no retag can change what runs as root on every node.
     * @default "busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0" (the tag's multi-arch index)
     */
    daemonsetImage: pinnedImage().default(DEFAULT_DAEMONSET_IMAGE),
    /**
     * Lets the `ssh` delivery send the script, proxy credentials inside, to whatever host answers at a
     * node's address when that node has no `hostKey`. Render and preview warn about it. @default false
     */
    acceptUnknownHostKeys: bool().default(false),
    /**
     * A jump host the `ssh` delivery reaches every node through (`connection.proxy`), with the same
     * private key, for networks where the nodes are not reachable directly. Its `hostKey` is required
     * as a node's is. @default none: straight to each node
     */
    bastion: z
      .strictObject({
        host: host(),
        /** @default 22 */
        port: port().default(22),
        /** @default "root" */
        user: nonEmptyString().default("root"),
        hostKey: hostKey().optional(),
      })
      .optional(),
  })
  .superRefine((nodes, ctx) => {
    if (nodes.bastion !== undefined && nodes.delivery !== "ssh") {
      ctx.addIssue({
        code: "custom",
        path: ["bastion"],
        input: nodes.bastion,
        message: `expected no bastion with nodes.delivery "${nodes.delivery}", which reaches the nodes through the cluster`,
      });
    }
    if (nodes.bastion !== undefined && nodes.bastion.hostKey === undefined && !nodes.acceptUnknownHostKeys) {
      ctx.addIssue({
        code: "custom",
        path: ["bastion", "hostKey"],
        input: undefined,
        message: `expected the bastion's SSH host key (ssh-keyscan -t ed25519 ${nodes.bastion.host}, checked out of band), or nodes.acceptUnknownHostKeys: true to trust whatever host answers`,
      });
    }
    // The API server keeps one taint per key and effect.
    nodes.hosts.forEach((node, i) => {
      const taints = node.taints ?? [];
      forEachRepeat(
        taints.map((t) => `${t.key}:${t.effect}`),
        (j, first) =>
          ctx.addIssue({
            code: "custom",
            path: ["hosts", i, "taints", j],
            input: taints[j],
            message: `expected one taint per key and effect, got ${taints[j].key}:${taints[j].effect} again (also nodes.hosts[${i}].taints[${first}])`,
          }),
      );
    });
    // The device plugin runs on GPU nodes only (their label): only they have GPUs to give.
    nodes.hosts.forEach((node, i) => {
      const gpus = node.capacity?.["nvidia.com/gpu"];
      if (gpus !== undefined && node.gpu !== gpus > 0) {
        ctx.addIssue({
          code: "custom",
          path: ["hosts", i, "capacity", "nvidia.com/gpu"],
          input: gpus,
          message: node.gpu
            ? `expected at least 1 on a GPU node (nodes.hosts[${i}].gpu is true)`
            : `expected 0 on a node that is no GPU node (nodes.hosts[${i}].gpu is false): the device plugin does not run there`,
        });
      }
    });
    if (nodes.delivery !== "ssh" || nodes.acceptUnknownHostKeys) return;
    nodes.hosts.forEach((node, i) => {
      if (node.hostKey !== undefined) return;
      ctx.addIssue({
        code: "custom",
        path: ["hosts", i, "hostKey"],
        input: undefined,
        message: `expected node ${node.name}'s SSH host key (ssh-keyscan -t ed25519 ${node.address}, checked out of band), or nodes.acceptUnknownHostKeys: true to trust whatever host answers`,
      });
    });
  });

export type NodesConfig = z.output<typeof nodesSchema>;
export type NodeConfig = NodesConfig["hosts"][number];
