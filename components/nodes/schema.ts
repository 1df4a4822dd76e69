// The `nodes` section: which nodes get their container runtime configured, and how the
// configuration reaches them. Defaults live here only.
import { z } from "zod";
import { bool, cidr, dnsSubdomain, enumOf, host, integer, NO_PROXY_SHORTEST_PREFIX, nonEmptyString, port } from "../validators";

/** An image reference pinned by tag or digest, never `latest` or untagged. */
const pinnedImage = () => {
  const e = { error: "expected an image reference with a pinned tag or digest (e.g. busybox:1.37.0), not 'latest' or untagged" };
  return z.string(e).refine((v) => {
    const digest = /@sha256:[0-9a-f]{64}$/.test(v);
    const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(v.slice(v.lastIndexOf("/") + 1))?.[1];
    return !/\s/.test(v) && (digest || (tag !== undefined && tag !== "latest"));
  }, e);
};

const nodeSchema = z.strictObject({
  /** The Kubernetes node name (the DaemonSet delivery selects the node by it). */
  name: dnsSubdomain(),
  /** Address the nodes and SSH reach it at: an IPv4 address or a DNS name. */
  address: host(),
  /** SSH user; anyone but root runs the script through `sudo -n`. @default "root" */
  sshUser: nonEmptyString().default("root"),
  /** @default 22 */
  sshPort: port().default(22),
  /** The node's container runtime. */
  runtime: enumOf(["docker", "containerd"]),
  /** GPU node: the NVIDIA runtime becomes the runtime's default. @default false */
  gpu: bool().default(false),
});

export const nodesSchema = z.strictObject({
  /**
   * How the apply script reaches the nodes: `ssh` (works before the cluster can pull anything) or
   * `daemonset` (a privileged DaemonSet per node, for clusters where SSH is closed). @default "ssh"
   */
  delivery: enumOf(["ssh", "daemonset"]).default("ssh"),
  /** How many nodes are configured (and may restart their runtime) at the same time. @default 1 */
  maxUnavailable: integer(1, 100).default(1),
  /**
   * The network every node is in. When set, NO_PROXY lists this CIDR instead of each node's
   * address and name, so adding a node does not change (and restart) every other node. @default absent
   */
  subnet: cidr({ shortest: NO_PROXY_SHORTEST_PREFIX, longest: 32, why: "NO_PROXY lists it instead of the nodes" }).optional(),
  /** The nodes to configure. @default [] */
  hosts: z.array(nodeSchema).default([]),
  /** Image of the `daemonset` delivery: needs `sh`, `nsenter` and `sleep`. @default "busybox:1.37.0" */
  daemonsetImage: pinnedImage().default("busybox:1.37.0"),
});

export type NodesConfig = z.output<typeof nodesSchema>;
export type NodeConfig = NodesConfig["hosts"][number];
