// NO_PROXY, computed once for node runtimes and pods alike (docs/ARCHITECTURE.md, "Node runtime configuration").
// The list must be stable: a config that did not change renders a byte-identical list, and with a
// node subnet configured, adding a node changes nothing (kubespray #4017: node names in NO_PROXY
// restarted every runtime whenever a node was added).
import type { ClusterConfig } from "../cluster";

/** The part of the `nodes` section that NO_PROXY depends on. */
export interface NoProxyNodes {
  /** When set, the whole node network stays out of the proxy instead of each node. */
  readonly subnet?: string;
  readonly hosts: readonly { readonly name: string; readonly address: string }[];
}

export interface NoProxyInputs {
  readonly cluster: ClusterConfig;
  readonly nodes: NoProxyNodes;
  /** Registry endpoints (`host` or `host:port`): the private registry and its mirror. */
  readonly registryHosts: readonly string[];
  /** `proxy.noProxy`: extra entries, kept after the computed ones. */
  readonly extra: readonly string[];
}

/** `host:port` → `host`: proxies match NO_PROXY entries by host; a port would narrow the match. */
function withoutPort(endpoint: string): string {
  return endpoint.replace(/:\d+$/, "");
}

const byNaturalOrder = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

/**
 * The deduplicated NO_PROXY entries in a fixed order: loopback, the nodes (sorted, so reordering
 * the config changes nothing), the cluster networks and service names, the API server, the
 * registries, then the extras. Join with "," for the environment variable.
 */
export function computeNoProxy(inputs: NoProxyInputs): string[] {
  const { cluster, nodes } = inputs;
  const nodeEntries =
    nodes.subnet !== undefined
      ? [nodes.subnet]
      : [...nodes.hosts.map((n) => n.address).sort(byNaturalOrder), ...nodes.hosts.map((n) => n.name).sort(byNaturalOrder)];
  const entries = [
    "localhost",
    "127.0.0.1",
    ...nodeEntries,
    cluster.podCidr,
    cluster.serviceCidr,
    ".svc",
    `.svc.${cluster.domain}`,
    "kubernetes.default.svc",
    ...(cluster.apiServer !== undefined ? [withoutPort(cluster.apiServer)] : []),
    ...inputs.registryHosts.map(withoutPort),
    ...inputs.extra,
  ];
  return [...new Set(entries)];
}
