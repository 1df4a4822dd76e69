// A small NetworkPolicy evaluator for ingress, written from the Kubernetes semantics
// (kubernetes.io/docs/concepts/services-networking/network-policies, networking.k8s.io/v1):
// - a pod selected by no policy that applies to Ingress accepts every connection;
// - a pod selected by one or more is isolated: a connection is allowed when some rule of some
//   selecting policy admits both its source and its port (policies add up, they never subtract);
// - a rule without `from` admits every source, without `ports` every port;
// - a peer with podSelector alone selects pods of the policy's own namespace; with
//   namespaceSelector alone every pod of the selected namespaces; with both, those pods of those
//   namespaces; an ipBlock selects addresses in its CIDR outside its `except` ranges;
// - policyTypes defaults to ["Ingress"] (plus "Egress" when the policy has egress rules);
// - namespaces are selected by their labels, the API server's `kubernetes.io/metadata.name` included.
import ipaddr from "ipaddr.js";

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: string[] }[];
}

export interface NetworkPolicyObject {
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes?: readonly string[];
    readonly ingress?: readonly {
      readonly from?: readonly {
        readonly podSelector?: LabelSelector;
        readonly namespaceSelector?: LabelSelector;
        readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
      }[];
      readonly ports?: readonly { readonly protocol?: string; readonly port?: number | string; readonly endPort?: number }[];
    }[];
    readonly egress?: readonly unknown[];
  };
}

/** A pod: where it is, its labels, its address and its named container ports. */
export interface Pod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip: string;
  readonly namedPorts?: Readonly<Record<string, number>>;
}

/** A source outside the pod network: a node, a user's machine. */
export interface Host {
  readonly ip: string;
}

export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case "In":
        return key in labels && values.includes(labels[key]);
      case "NotIn":
        return !(key in labels) || !values.includes(labels[key]);
      case "Exists":
        return key in labels;
      case "DoesNotExist":
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabels && byExpressions;
}

const namespaceLabels = (name: string, extra: Readonly<Record<string, Readonly<Record<string, string>>>>) => ({
  ...(extra[name] ?? {}),
  "kubernetes.io/metadata.name": name,
});

function inCidr(ip: string, cidr: string): boolean {
  const address = ipaddr.parse(ip);
  const [range, bits] = ipaddr.parseCIDR(cidr);
  return address.kind() === range.kind() && address.match(range, bits);
}

const isPod = (source: Pod | Host): source is Pod => "namespace" in source;

function appliesToIngress(policy: NetworkPolicyObject): boolean {
  return (policy.spec.policyTypes ?? ["Ingress"]).includes("Ingress");
}

/**
 * Whether `source` may open a connection to `target` on `port`/`protocol`, under `policies`.
 * `namespaces` gives extra labels of namespaces, beyond their name label.
 */
export function ingressAllowed(
  policies: readonly NetworkPolicyObject[],
  source: Pod | Host,
  target: Pod,
  port: number,
  protocol = "TCP",
  namespaces: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
): boolean {
  const selecting = policies.filter(
    (p) => p.metadata.namespace === target.namespace && appliesToIngress(p) && matchesSelector(p.spec.podSelector, target.labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    (policy.spec.ingress ?? []).some((rule) => {
      const fromOk =
        rule.from === undefined ||
        rule.from.length === 0 ||
        rule.from.some((peer) => {
          if (peer.ipBlock) {
            return inCidr(source.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(source.ip, c));
          }
          if (!isPod(source)) return false;
          const namespaceOk = peer.namespaceSelector
            ? matchesSelector(peer.namespaceSelector, namespaceLabels(source.namespace, namespaces))
            : source.namespace === policy.metadata.namespace;
          const podOk = peer.podSelector ? matchesSelector(peer.podSelector, source.labels) : true;
          return namespaceOk && podOk;
        });
      const portOk =
        rule.ports === undefined ||
        rule.ports.length === 0 ||
        rule.ports.some((p) => {
          if ((p.protocol ?? "TCP") !== protocol) return false;
          if (p.port === undefined) return true;
          const number = typeof p.port === "string" ? target.namedPorts?.[p.port] : p.port;
          if (number === undefined) return false;
          return p.endPort !== undefined ? port >= number && port <= p.endPort : port === number;
        });
      return fromOk && portOk;
    }),
  );
}
