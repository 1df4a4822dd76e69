// Configures every node's container runtime (proxy, NO_PROXY, DNS, registry trust, NVIDIA) by
// running its rendered apply script, in rolling batches, over SSH or from a per-node DaemonSet.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { keyedChecksum, plainChecksum } from "../checksum";
import type { ClusterConfig } from "../cluster";
import { proxyUrls, type ProxyConfig, type ProxyCredentials } from "../proxy";
import type { NodesReadyRef, RegistryAddress } from "../refs";
import { deliveryNamespace } from "./apply-namespace";
import { computeNoProxy } from "./no-proxy";
import { planNode, type VolumeDirectory } from "./render";
import { renderApplyScript } from "./render-apply";
import { renderApplyDaemonSet, renderApplyNamespace } from "./render-daemonset";
import { pinnedTolerations, renderNodePatch } from "./render-node-patch";
import { isDigestPinned, type NodeConfig, type NodesConfig } from "./schema";

export interface NodeRuntimeConfigArgs {
  /** The validated `nodes` section. */
  readonly config: NodesConfig;
  readonly cluster: ClusterConfig;
  readonly proxy?: ProxyConfig;
  /** Secret: go into the proxy URLs of the drop-ins. */
  readonly proxyCredentials?: pulumi.Input<ProxyCredentials>;
  /** DNS servers for docker's daemon.json (containerd has no such setting). */
  readonly dns: readonly string[];
  /** Not the registry's ready endpoint: its image may need these nodes configured to be pulled. */
  readonly registry: RegistryAddress;
  /** Secret: the key the `ssh` delivery logs in with. */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /** By node name: the local volumes' directories its script creates (components/storage). */
  readonly volumeDirectories?: Readonly<Record<string, readonly VolumeDirectory[]>>;
}

/** What one node got. */
export interface AppliedNode {
  /** sha256 of the node's apply script rendered without the proxy credentials. */
  readonly hash: string;
  readonly runtime: NodeConfig["runtime"];
}

/** Stands in for the credentials where the script is hashed or shown, so neither reveals them. */
const SHOWN_CREDENTIALS: ProxyCredentials = { username: "[secret]", password: "[secret]" };

/** One node's rendered script, its public view and hash (credentials shown as [secret]). */
interface RenderedNode {
  readonly node: NodeConfig;
  readonly script: pulumi.Output<string>;
  /** The files and apply script with the credentials left out: what render and reviewers see. */
  readonly shownFiles: pulumi.Output<Record<string, string>>;
  readonly hash: pulumi.Output<string>;
}

export class NodeRuntimeConfig extends pulumi.ComponentResource {
  public readonly ref: NodesReadyRef;
  /** Per node name: the applied hash and the runtime; resolves once the node is configured. */
  public readonly applied: pulumi.Output<Record<string, AppliedNode>>;
  /**
   * Every node's files and apply script, `<node>/<path on the node>` → content (daemon.json and
   * config.toml: the keys merged into the node's own), proxy credentials shown as [secret]. Never a
   * secret, so render shows it all (docs/ARCHITECTURE.md, "Config and secrets").
   */
  public readonly renderedFiles: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: NodeRuntimeConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:nodes:NodeRuntimeConfig", name, {}, opts);
    const { config } = args;
    const rendered = config.hosts.map((node) => renderNode(node, args));
    const unverified = config.delivery === "ssh" ? config.hosts.filter((node) => node.hostKey === undefined) : [];
    if (config.bastion !== undefined && config.bastion.hostKey === undefined) {
      pulumi.log.warn(
        `nodes.acceptUnknownHostKeys: every node's apply script, proxy credentials inside, passes through whatever host answers at the bastion ${config.bastion.host}: set nodes.bastion.hostKey`,
        this,
      );
    }
    if (unverified.length > 0) {
      pulumi.log.warn(
        `nodes.acceptUnknownHostKeys: the apply script, proxy credentials inside, goes to whatever host answers at ${unverified.map((n) => `${n.name} (${n.address})`).join(", ")}: set nodes.hosts[].hostKey`,
        this,
      );
    }

    if (deliveryNamespace(config) !== undefined && !isDigestPinned(config.daemonsetImage)) {
      pulumi.log.warn(
        `nodes.daemonsetImage: ${config.daemonsetImage} runs privileged on every node, pinned by tag only, so a retag changes what runs there: pin it by digest (<image>@sha256:<digest>)`,
        this,
      );
    }
    const namespace =
      deliveryNamespace(config) !== undefined
        ? new k8s.core.v1.Namespace(`${name}-namespace`, renderApplyNamespace(), { parent: this })
        : undefined;
    // Rolls a node's pod when its script changes, credentials included (the public hash leaves them out).
    const checksumKey =
      namespace && args.proxyCredentials !== undefined
        ? new random.RandomBytes(`${name}-checksum-key`, { length: 32 }, { parent: this }).hex
        : undefined;
    // Rolling: batch k+1 starts once every node of batch k has applied its script.
    const appliers: pulumi.CustomResource[] = [];
    for (let start = 0; start < rendered.length; start += config.maxUnavailable) {
      const previousBatch = appliers.slice(Math.max(0, start - config.maxUnavailable), start);
      for (const r of rendered.slice(start, start + config.maxUnavailable)) {
        appliers.push(
          namespace
            ? this.applyWithDaemonSet(name, r, namespace, config.daemonsetImage, checksumKey, previousBatch)
            : this.applyOverSsh(name, r, args.sshPrivateKey, config.bastion, previousBatch),
        );
      }
    }

    // Labels and taints once the node's runtime is configured: the GPU label draws GPU pods, which
    // need the nvidia runtime.
    const patches = rendered.map(
      (r, i) =>
        new k8s.core.v1.NodePatch(`${name}-${r.node.name}-labels`, renderNodePatch(r.node, config), {
          parent: this,
          dependsOn: [appliers[i]],
        }),
    );

    this.applied = pulumi
      .all(
        rendered.map((r, i) =>
          pulumi.all([appliers[i].id, r.hash]).apply(([, hash]) => [r.node.name, { hash, runtime: r.node.runtime }] as const),
        ),
      )
      .apply((entries) => Object.fromEntries(entries));
    this.ref = {
      ready: this.applied.apply((applied) =>
        Object.entries(applied)
          .map(([node, a]) => `${node}=${a.hash}`)
          .join(" "),
      ),
      configured: patches,
      byNode: Object.fromEntries(rendered.map((r, i) => [r.node.name, patches[i]])),
      tolerations: pinnedTolerations(config),
    };
    this.renderedFiles = pulumi
      .all(rendered.map((r) => r.shownFiles))
      .apply((perNode) =>
        Object.fromEntries(
          perNode.flatMap((files, i) =>
            Object.entries(files).map(([path, content]) => [`${rendered[i].node.name}/${path.replace(/^\//, "")}`, content]),
          ),
        ),
      );
    this.registerOutputs({ ready: this.ref.ready, applied: this.applied, files: this.renderedFiles });
  }

  /** Pipes the script into `sh -s` over SSH (through the bastion, if any); re-runs when the script changes. */
  private applyOverSsh(
    name: string,
    r: RenderedNode,
    privateKey: pulumi.Input<string> | undefined,
    bastion: NodesConfig["bastion"],
    after: pulumi.Resource[],
  ): command.remote.Command {
    const { node } = r;
    return new command.remote.Command(
      `${name}-${node.name}`,
      {
        connection: {
          host: node.address,
          port: node.sshPort,
          user: node.sshUser,
          privateKey,
          hostKey: node.hostKey,
          ...(bastion !== undefined ? { proxy: { ...bastion, privateKey } } : {}),
        },
        create: node.sshUser === "root" ? "sh -s" : "sudo -n sh -s",
        stdin: r.script,
        triggers: [r.hash],
      },
      { parent: this, dependsOn: after },
    );
  }

  /**
   * The script in a Secret (or a ConfigMap when it holds no credentials, then its public hash rolls
   * the pod), run on the node by a DaemonSet.
   */
  private applyWithDaemonSet(
    name: string,
    r: RenderedNode,
    namespace: k8s.core.v1.Namespace,
    image: string,
    checksumKey: pulumi.Output<string> | undefined,
    after: pulumi.Resource[],
  ): k8s.apps.v1.DaemonSet {
    const { node } = r;
    const scriptName = `runtime-config-${node.name}`;
    const metadata = { name: scriptName, namespace: namespace.metadata.name };
    const script = checksumKey
      ? new k8s.core.v1.Secret(`${name}-${node.name}-script`, { metadata, stringData: { "apply.sh": r.script } }, { parent: this })
      : new k8s.core.v1.ConfigMap(`${name}-${node.name}-script`, { metadata, data: { "apply.sh": r.script } }, { parent: this });
    const checksum = checksumKey ? keyedChecksum(checksumKey, [r.script]) : r.hash;
    const daemonSet = checksum.apply((digest) =>
      renderApplyDaemonSet({
        node: node.name,
        image,
        checksum: digest,
        script: checksumKey ? { secret: scriptName } : { configMap: scriptName },
      }),
    );
    return new k8s.apps.v1.DaemonSet(
      `${name}-${node.name}`,
      {
        metadata: pulumi.all([daemonSet.metadata, namespace.metadata.name]).apply(([m, ns]) => ({ ...m, namespace: ns })),
        spec: daemonSet.spec,
      },
      { parent: this, dependsOn: [script, ...after] },
    );
  }
}

function renderNode(node: NodeConfig, args: NodeRuntimeConfigArgs): RenderedNode {
  const { proxy, config, cluster } = args;
  const { address, mirrorAddress, caCertificate } = args.registry;
  const render = (credentials: ProxyCredentials | undefined, ca: string | undefined) => {
    const noProxy = computeNoProxy({
      cluster,
      nodes: config,
      registryHosts: [address, ...(mirrorAddress ? [mirrorAddress] : [])],
      extra: proxy?.noProxy ?? [],
    });
    const runtimeProxy = proxy && { ...proxyUrls(proxy, credentials), noProxy };
    const { plan, files } = planNode({
      node,
      proxy: runtimeProxy,
      dns: args.dns,
      registry: { endpoint: address, mirrorEndpoint: mirrorAddress, caCertificate: ca },
      volumeDirectories: args.volumeDirectories?.[node.name],
    });
    return { files, script: renderApplyScript(plan) };
  };
  // A CA certificate is public by nature (every node holds it): what is rendered from it needs no secrecy.
  const ca = pulumi.unsecret(pulumi.output(caCertificate));
  const shown = ca.apply((c) => render(args.proxyCredentials === undefined ? undefined : SHOWN_CREDENTIALS, c));
  return {
    node,
    script: pulumi.all([args.proxyCredentials, ca]).apply(([credentials, c]) => render(credentials, c).script),
    shownFiles: shown.apply((r): Record<string, string> => ({ ...r.files, "apply.sh": r.script })),
    hash: shown.apply((r) => plainChecksum([r.script])),
  };
}
