// The NetworkPolicies the prod and dev stacks declare, evaluated (test/harness/network-policy.ts)
// for the connections the platform needs and for those it must refuse. The pods are the rendered
// ones, with their rendered labels; addresses come from the stack's pod network.
import { beforeAll, describe, expect, it } from "vitest";
import { renderHdfsNetworkPolicy } from "../../components/hdfs/render-network-policy";
import { renderRegistryNetworkPolicies } from "../../components/registry/render-network-policy";
import { podsOf, type PlanResource } from "../../policy/plan";
import { plain } from "../../tools/mock-runtime";
import { renderedStack } from "../harness/rendered";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { ingressAllowed, matchesSelector, type Host, type NetworkPolicyObject, type Pod } from "../harness/network-policy";

interface RenderedStack {
  readonly policies: NetworkPolicyObject[];
  /** Each declared pod by `<Kind>/<namespace>/<name>`, with an address in the pod network. */
  readonly pods: Record<string, Pod>;
}

async function renderStack(stack: string): Promise<RenderedStack> {
  const { resources } = await renderedStack(stack);
  const plan: PlanResource[] = resources
    .filter((r) => r.custom)
    .map((r) => ({ type: r.type, name: r.name, props: plain(r.wire) as Record<string, unknown> }));
  const policies = plan
    .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    .map((r) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", ...r.props }) as unknown as NetworkPolicyObject);
  const pods: Record<string, Pod> = {};
  plan
    .flatMap(podsOf)
    .filter((site) => site.path.startsWith("spec."))
    .forEach((site, i) => {
      pods[site.resource.replace(/-[0-9a-f]{8}$/, "")] = {
        namespace: site.namespace,
        labels: (site.metadata.labels ?? {}) as Record<string, string>,
        ip: `10.244.${1 + (i % 3)}.${10 + i}`,
      };
    });
  return { policies, pods };
}

/** A pod of a namespace the stack does not manage. */
const OTHER_POD: Pod = { namespace: "default", labels: { app: "debug" }, ip: "10.244.2.99" };
const NODE: Host = { ip: "192.0.2.22" };
const OUTSIDE: Host = { ip: "198.51.100.7" };

describe("the prod stack's network policies", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await renderStack("prod");
  }, 120_000);

  const pod = (key: string) => {
    const found = stack.pods[key];
    if (!found) throw new Error(`no pod ${key} in ${Object.keys(stack.pods).join(", ")}`);
    return found;
  };
  const allowed = (source: Pod | Host, target: string, port: number) => ingressAllowed(stack.policies, source, pod(target), port);

  it("declares schema-valid policies for HDFS and the registry's servers and UI", () => {
    for (const policy of stack.policies) validateKubernetesObject(policy as never);
    expect(stack.policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      "hdfs/hdfs",
      "registry/registry",
      "registry/registry-deny-ingress",
      "registry/registry-mirror",
      "registry/registry-ui",
    ]);
  });

  it.each([
    ["the Spark submitter", "Job/spark/batch-inference", "StatefulSet/hdfs/hdfs-namenode", 8020],
    ["the Spark submitter", "Job/spark/batch-inference", "StatefulSet/hdfs/hdfs-namenode", 9870],
    ["the Spark submitter", "Job/spark/batch-inference", "StatefulSet/hdfs/hdfs-datanode", 9866],
    ["the Spark submitter", "Job/spark/batch-inference", "StatefulSet/hdfs/hdfs-datanode", 9867],
    ["the Spark submitter", "Job/spark/batch-inference", "StatefulSet/hdfs/hdfs-datanode", 9864],
    ["a DataNode", "StatefulSet/hdfs/hdfs-datanode", "StatefulSet/hdfs/hdfs-namenode", 8020],
    ["the Secondary NameNode", "StatefulSet/hdfs/hdfs-secondary-namenode", "StatefulSet/hdfs/hdfs-namenode", 9870],
    ["the NameNode", "StatefulSet/hdfs/hdfs-namenode", "StatefulSet/hdfs/hdfs-secondary-namenode", 9868],
    ["the directories Job", "Job/hdfs/hdfs-create-directories", "StatefulSet/hdfs/hdfs-namenode", 8020],
    ["the directories Job", "Job/hdfs/hdfs-create-directories", "StatefulSet/hdfs/hdfs-datanode", 9866],
    ["the UI", "Deployment/registry/registry-ui", "Deployment/registry/registry", 5000],
  ])("allows %s (%s) to reach %s on %i", (_, source, target, port) => {
    expect(allowed(pod(source), target, port)).toBe(true);
  });

  it.each([
    ["a pod of another namespace", OTHER_POD, "StatefulSet/hdfs/hdfs-namenode", 8020],
    ["a pod of another namespace", OTHER_POD, "StatefulSet/hdfs/hdfs-datanode", 9866],
    ["an outside address", OUTSIDE, "StatefulSet/hdfs/hdfs-namenode", 9870],
    ["a node address", NODE, "StatefulSet/hdfs/hdfs-datanode", 9864],
    ["a pod of another namespace", OTHER_POD, "Deployment/registry/registry", 5000],
    ["a pod of another namespace", OTHER_POD, "Deployment/registry/registry-mirror", 5000],
    ["an outside address", OUTSIDE, "CronJob/registry/registry-gc", 8080],
    ["an outside address", OUTSIDE, "Deployment/registry/registry", 22],
  ])("refuses %s (%j) to %s on %i", (_, source, target, port) => {
    expect(allowed(source, target, port)).toBe(false);
  });

  it("refuses the stack's other pods what they do not use: Spark to the registry, the registry to HDFS, HDFS off its ports", () => {
    expect(allowed(pod("Job/spark/batch-inference"), "Deployment/registry/registry", 5000)).toBe(false);
    expect(allowed(pod("Deployment/registry/registry-ui"), "Deployment/registry/registry-mirror", 5000)).toBe(false);
    expect(allowed(pod("Deployment/registry/registry-ui"), "StatefulSet/hdfs/hdfs-namenode", 8020)).toBe(false);
    expect(allowed(pod("Job/spark/batch-inference"), "StatefulSet/hdfs/hdfs-namenode", 22)).toBe(false);
    expect(allowed(pod("StatefulSet/hdfs/hdfs-datanode"), "StatefulSet/hdfs/hdfs-namenode", 8080)).toBe(false);
  });

  it("lets node and outside addresses reach the read-write port (the image push), only nodes the pull process and the mirror, and anyone the UI", () => {
    expect(allowed(NODE, "Deployment/registry/registry", 5000)).toBe(true);
    expect(allowed(OUTSIDE, "Deployment/registry/registry", 5000)).toBe(true);
    expect(allowed(NODE, "Deployment/registry/registry-mirror", 5000)).toBe(true);
    // nodes.subnet is known in prod: the mirror (which spends the proxy login) is no relay for others.
    expect(allowed(OUTSIDE, "Deployment/registry/registry-mirror", 5000)).toBe(false);
    expect(allowed(OUTSIDE, "Deployment/registry/registry", 5001)).toBe(false);
    expect(allowed(OUTSIDE, "Deployment/registry/registry-ui", 8080)).toBe(true);
    expect(allowed(OTHER_POD, "Deployment/registry/registry-ui", 8080)).toBe(true);
    expect(allowed(OUTSIDE, "Deployment/registry/registry-ui", 5000)).toBe(false);
    // The read-only pull process, where nodes pull: nodes yes, the stack's pods no.
    expect(allowed(NODE, "Deployment/registry/registry", 5001)).toBe(true);
    expect(allowed(pod("Job/spark/batch-inference"), "Deployment/registry/registry", 5001)).toBe(false);
  });
});

describe("the dev stack's network policies", () => {
  it("isolate the registry namespace's pod-network pods; the servers and UI run on the node's network, bound to loopback", async () => {
    const { policies, pods } = await renderStack("dev");
    // No policy selects a host-network pod: the dev registry's guard is its loopback address (README, "Security").
    expect(policies.map((p) => p.metadata.name)).toEqual(["registry-deny-ingress"]);
    expect(ingressAllowed(policies, OUTSIDE, pods["CronJob/registry/registry-gc"], 8080)).toBe(false);
    expect(ingressAllowed(policies, pods["Job/spark/pi"], pods["CronJob/registry/registry-gc"], 8080)).toBe(false);
  }, 120_000);
});

describe("the renderers", () => {
  it("leave the UI out of the registry's sources when there is no UI, and admit no client namespace to HDFS unless told", () => {
    const registry = { namespace: "registry", labels: { "app.kubernetes.io/name": "registry" }, ip: "10.244.0.5" };
    const ui = { namespace: "registry", labels: { "app.kubernetes.io/name": "registry-ui" }, ip: "10.244.0.6" };
    const without = renderRegistryNetworkPolicies({
      namespace: "registry",
      podCidr: "10.244.0.0/16",
      ui: false,
      mirror: false,
      hostNetwork: false,
    });
    expect(Object.keys(without)).toEqual(["deny-ingress", "server"]);
    expect(ingressAllowed(Object.values(without) as never, ui, registry, 5000)).toBe(false);
    const hdfs = renderHdfsNetworkPolicy({ namespace: "hdfs", clientNamespaces: [] });
    const spark = { namespace: "spark", labels: {}, ip: "10.244.0.7" };
    const nameNode = { namespace: "hdfs", labels: { "app.kubernetes.io/name": "hdfs" }, ip: "10.244.0.8" };
    expect(ingressAllowed([hdfs as never], spark, nameNode, 8020)).toBe(false);
    expect(
      ingressAllowed([renderHdfsNetworkPolicy({ namespace: "hdfs", clientNamespaces: ["spark"] }) as never], spark, nameNode, 8020),
    ).toBe(true);
  });
});

describe("the evaluator", () => {
  const target: Pod = { namespace: "db", labels: { role: "db" }, ip: "10.0.0.2", namedPorts: { pg: 5432 } };
  const frontend: Pod = { namespace: "web", labels: { role: "frontend" }, ip: "10.0.1.3" };
  const policy = (ingress: unknown, extra: Record<string, unknown> = {}): NetworkPolicyObject =>
    ({ metadata: { name: "p", namespace: "db" }, spec: { podSelector: { matchLabels: { role: "db" } }, ingress, ...extra } }) as never;

  it("leaves unselected pods open, and isolates selected ones with no rule", () => {
    expect(ingressAllowed([], frontend, target, 5432)).toBe(true);
    expect(ingressAllowed([policy([])], frontend, target, 5432)).toBe(false);
    expect(ingressAllowed([policy(undefined, { policyTypes: ["Egress"] })], frontend, target, 5432)).toBe(true);
  });

  it("reads namespaceSelector and podSelector in one peer as AND, in two peers as OR (the documented pitfall)", () => {
    const and = policy([
      { from: [{ namespaceSelector: { matchLabels: { team: "web" } }, podSelector: { matchLabels: { role: "frontend" } } }] },
    ]);
    const or = policy([
      { from: [{ namespaceSelector: { matchLabels: { team: "web" } } }, { podSelector: { matchLabels: { role: "frontend" } } }] },
    ]);
    const labels = { web: { team: "web" } };
    expect(ingressAllowed([and], frontend, target, 5432, "TCP", labels)).toBe(true);
    expect(ingressAllowed([and], { ...frontend, labels: { role: "batch" } }, target, 5432, "TCP", labels)).toBe(false);
    expect(ingressAllowed([or], { ...frontend, labels: { role: "batch" } }, target, 5432, "TCP", labels)).toBe(true);
    // podSelector alone means the policy's own namespace.
    const sameNamespace = policy([{ from: [{ podSelector: { matchLabels: { role: "frontend" } } }] }]);
    expect(ingressAllowed([sameNamespace], frontend, target, 5432)).toBe(false);
    expect(ingressAllowed([sameNamespace], { ...frontend, namespace: "db" }, target, 5432)).toBe(true);
  });

  it("matches ports by number, name, range and protocol, and ipBlocks with their exceptions", () => {
    const ports = policy([{ ports: [{ port: "pg" }, { protocol: "UDP", port: 53 }, { port: 8000, endPort: 8010 }] }]);
    expect(ingressAllowed([ports], frontend, target, 5432)).toBe(true);
    expect(ingressAllowed([ports], frontend, target, 53)).toBe(false);
    expect(ingressAllowed([ports], frontend, target, 53, "UDP")).toBe(true);
    expect(ingressAllowed([ports], frontend, target, 8005)).toBe(true);
    expect(ingressAllowed([ports], frontend, target, 8011)).toBe(false);
    const block = policy([{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.1.0/24"] } }] }]);
    expect(ingressAllowed([block], { ip: "10.9.9.9" }, target, 5432)).toBe(true);
    expect(ingressAllowed([block], frontend, target, 5432)).toBe(false);
  });

  it("reads matchExpressions", () => {
    expect(matchesSelector({ matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }, { tier: "b" })).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["a"] }] }, { tier: "a" })).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, {})).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, {})).toBe(false);
  });
});
