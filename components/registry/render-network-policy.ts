// Who may connect to the registry's pods (docs/ARCHITECTURE.md, "Network policies"). Nodes pull
// through the servers' hostPorts and the image is pushed from outside the cluster: those connections
// come from node and outside addresses, never from pods. Pure specs; index.ts declares them.
import type { input as Input } from "@pulumi/kubernetes/types";
import { labelsOf, PART_OF } from "../k8s-common";
import { CONTAINER_PORT, PULL_CONTAINER_PORT, SERVER_NAMES } from "./render-server";
import { UI_NAME, UI_PORT } from "./render-ui";

export interface RegistryNetworkInput {
  readonly namespace: string;
  /** The cluster's pod network: connections from it are pods', which never need the servers. */
  readonly podCidr: string;
  /**
   * Where the nodes connect from, when the config knows (`nodes.subnet` or their addresses): then
   * only they reach the pull process and the mirror, neither of which anyone else needs.
   */
  readonly nodeNetworks?: readonly string[];
  readonly ui: boolean;
  readonly mirror: boolean;
  /**
   * The servers and the UI run on the node's network (a loopback registry host), where no
   * NetworkPolicy applies: binding to loopback is what guards them (README, "Security").
   */
  readonly hostNetwork: boolean;
}

const tcp = (port: number) => [{ protocol: "TCP", port }];

function policy(
  namespace: string,
  name: string,
  podSelector: Input.meta.v1.LabelSelector,
  ingress: Input.networking.v1.NetworkPolicyIngressRule[],
) {
  return {
    metadata: { name, namespace, labels: PART_OF },
    spec: { podSelector, policyTypes: ["Ingress"], ingress },
  } satisfies Input.networking.v1.NetworkPolicy;
}

/**
 * Every pod in the namespace is isolated (the GC job serves nothing); the registry answers on its
 * read-write port to the UI and to any address outside the pod network (the image build pushes from
 * outside), its pull process and the mirror to the nodes (or, when their addresses are unknown, to
 * those outside addresses), and the UI to anyone: its NodePort traffic reaches it masqueraded, at times from a node's tunnel
 * address inside the pod network, so no address rule can tell browsers from pods. Keyed by the
 * part of the registry each one is for. On the node's network only the isolation of the namespace's
 * other pods is left: a policy for a host-network pod would promise what no CNI enforces.
 */
export function renderRegistryNetworkPolicies(input: RegistryNetworkInput) {
  const denyIngress = { "deny-ingress": policy(input.namespace, "registry-deny-ingress", {}, []) };
  if (input.hostNetwork) return denyIngress;
  const outsidePods = { ipBlock: { cidr: "0.0.0.0/0", except: [input.podCidr] } };
  const nodes = input.nodeNetworks?.map((cidr) => ({ ipBlock: { cidr } })) ?? [outsidePods];
  const ui = { matchLabels: labelsOf(UI_NAME) };
  const server = (name: string) => ({ matchLabels: labelsOf(name) });
  return {
    ...denyIngress,
    server: policy(input.namespace, SERVER_NAMES.registry.deployment, server(SERVER_NAMES.registry.deployment), [
      { from: [...(input.ui ? [{ podSelector: ui }] : []), outsidePods], ports: tcp(CONTAINER_PORT) },
      // The read-only pull process: only nodes pull, through its hostPort.
      { from: nodes, ports: tcp(PULL_CONTAINER_PORT) },
    ]),
    ...(input.mirror
      ? {
          mirror: policy(input.namespace, SERVER_NAMES.mirror.deployment, server(SERVER_NAMES.mirror.deployment), [
            { from: nodes, ports: tcp(CONTAINER_PORT) },
          ]),
        }
      : {}),
    ...(input.ui ? { ui: policy(input.namespace, UI_NAME, ui, [{ ports: tcp(UI_PORT) }]) } : {}),
  };
}
