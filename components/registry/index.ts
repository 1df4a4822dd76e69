// The private registry (CNCF distribution) the seed ran by hand on port 6001, now declared: its own
// namespace, config and htpasswd in a Secret, a PVC, a hostPort on one node, a web UI in proxy
// mode, scheduled garbage collection that never races a push, and an optional Docker Hub cache.
// Specs come from the render-* modules; this file only declares them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { keyedChecksum } from "../checksum";
import { renderNamespace } from "../k8s-common";
import { proxyUrls, type ProxyConfig, type ProxyCredentials } from "../proxy";
import type { NodesReadyRef, RegistryRef, RegistryTls, StorageRef } from "../refs";
import {
  BCRYPT_SALT_BYTES,
  CONFIG_FILE,
  HTPASSWD_FILE,
  PULL_CONFIG_FILE,
  PULL_HTPASSWD_FILE,
  READONLY_CONFIG_FILE,
  registryAddress,
  renderGcScript,
  renderHtpasswd,
} from "./render";
import {
  GC_NAME,
  GC_ROLLOUT_TIMEOUT_SECONDS,
  GC_SCRIPT_FILE,
  renderGcCronJob,
  renderGcRole,
  renderGcRoleBinding,
  renderGcScriptConfigMap,
  renderGcServiceAccount,
} from "./render-gc-job";
import {
  SERVER_CONTAINER,
  SERVER_NAMES,
  nodeListen,
  renderConfigSecret,
  renderDataClaim,
  renderProxySecret,
  renderServerConfig,
  renderServerDeployment,
  renderServerService,
  renderTlsSecret,
  type ProxyEnv,
  type Server,
  type ServerConfigRole,
  type ServerDeploymentInput,
} from "./render-server";
import { renderRegistryNetworkPolicies } from "./render-network-policy";
import { renderUiDeployment, renderUiService } from "./render-ui";
import { isLoopback, type RegistryConfig } from "./schema";

export interface PrivateRegistryArgs {
  /** The validated `registry` section (defaults already applied by the schema). */
  readonly config: RegistryConfig;
  /** Corporate proxy, for the Docker Hub pull-through cache. */
  readonly proxy?: ProxyConfig;
  readonly proxyCredentials?: pulumi.Input<ProxyCredentials>;
  /** Registry password; generated when absent. */
  readonly password?: pulumi.Input<string>;
  /** The configured nodes: the registry, cache and UI pods start after them (their images come through the proxy). */
  readonly nodes?: NodesReadyRef;
  /** The cluster's pod network (`cluster.podCidr`): pods never need the registry's servers. */
  readonly podCidr: string;
  /** Where the nodes connect from, when known: only they reach the pull process and the mirror. */
  readonly nodeNetworks?: readonly string[];
  /** The class of claims without one of their own, and the local volumes they wait for. */
  readonly storage?: StorageRef;
  /** The certificate both servers present; absent: plain HTTP (loopback, or `registry.insecure`). */
  readonly tls?: RegistryTls;
}

/** Stands for http.secret in the copies of the files published as the `files` output. */
const SECRET_SHOWN_AS = "[secret]";

export class PrivateRegistry extends pulumi.ComponentResource {
  public readonly ref: RegistryRef;
  public readonly namespace: pulumi.Output<string>;
  /** `http://<host>:<nodePort>/` of the web UI, when enabled. */
  public readonly uiUrl?: pulumi.Output<string>;
  /** `host:port` of the Docker Hub pull-through cache, when enabled (also in `ref`). */
  public readonly mirrorEndpoint?: pulumi.Output<string>;

  constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:registry:PrivateRegistry", name, {}, opts);
    const { config } = args;
    const parent = { parent: this };
    const namespace = config.namespace;
    const { tls } = args;
    // A loopback registry runs on its node's network (docs/ARCHITECTURE.md, "Local clusters").
    const onNode = nodeListen(config);
    const settings = { deleteEnabled: config.deleteEnabled, tls: tls !== undefined, node: onNode };
    const server = {
      namespace,
      image: `registry:${config.version}`,
      node: config.node,
      tolerations: config.node === undefined ? undefined : args.nodes?.tolerations[config.node],
      tls: tls !== undefined,
      nodeLoopback: onNode?.loopback,
    };
    if (config.insecure && !isLoopback(config.host)) {
      pulumi.log.warn(
        `registry.insecure: the registry and its mirror at ${config.host} speak plain HTTP, so every pull sends the registry login in clear text, and every node is told to trust them as insecure registries`,
        this,
      );
    }
    if (config.listen === "all" && onNode !== undefined) {
      pulumi.log.warn(
        `registry.listen: all: the registry's servers${config.ui.enabled ? " and its UI" : ""} listen in plain HTTP on every address of their node, where no NetworkPolicy applies: meant for a kind node, whose address is on this machine's container network; on any other node it opens them to the node's network`,
        this,
      );
    }

    // Named "registry" before child names took the component's name. Nodes pull through the registry's
    // hostPort (or from its pod on the node's network), which only `privileged` admits (baseline's Host
    // Ports and Host Namespaces controls); warn and audit at baseline
    // keep that one exception visible.
    // Deleting a namespace deletes its claims, and with them the images: the namespace and the data
    // claim outlive the stack, and `registry.protect` makes Pulumi refuse to delete or replace them.
    const keep = { retainOnDelete: true, protect: config.protect };
    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, renderNamespace(namespace, "privileged", "baseline"), {
      ...parent,
      ...keep,
      aliases: [{ name: "registry" }],
    });
    const inNamespace = { parent: this, dependsOn: [ns] };
    // The server, cache and UI images come through the proxy: their pods start after the configured nodes;
    // the servers, pinned to the registry's node, after that node alone.
    const podOptions = (...after: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
      parent: this,
      dependsOn: [ns, ...after, ...(args.nodes?.configured ?? [])],
    });
    const pinnedNode = config.node === undefined ? undefined : args.nodes?.byNode[config.node];
    const serverOptions = (...after: pulumi.Resource[]): pulumi.CustomResourceOptions =>
      pinnedNode === undefined ? podOptions(...after) : { parent: this, dependsOn: [ns, ...after, pinnedNode] };

    // Secrets drawn once and kept in the Pulumi state: the same password, salt and http.secret on
    // every run, so the rendered files, and therefore the pod, change only when the config does.
    const password = args.password
      ? pulumi.secret(args.password)
      : new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent).result;
    const salt = new random.RandomBytes(`${name}-htpasswd-salt`, { length: BCRYPT_SALT_BYTES }, parent).base64;
    // The pull account: known only to the read-only process, so it cannot push (README, "Security").
    const pullPassword = new random.RandomPassword(`${name}-pull-password`, { length: 32, special: false }, parent).result;
    const pullSalt = new random.RandomBytes(`${name}-pull-htpasswd-salt`, { length: BCRYPT_SALT_BYTES }, parent).base64;
    const httpSecret = new random.RandomBytes(`${name}-http-secret`, { length: 32 }, parent).hex;
    const configFile = (role: ServerConfigRole) => httpSecret.apply((secret) => renderServerConfig(role, settings, secret));

    const configYml = configFile("read-write");
    const readOnlyConfigYml = configFile("read-only");
    const htpasswdOf = (username: string, secret: pulumi.Input<string>, saltOf: pulumi.Output<string>) =>
      pulumi.all([secret, saltOf]).apply(([p, s]) => renderHtpasswd(username, p, Buffer.from(s, "base64")));
    const htpasswd = htpasswdOf(config.username, password, salt);
    const pullConfigYml = configFile("pull");
    const pullHtpasswd = htpasswdOf(config.pullUsername, pullPassword, pullSalt);
    const configSecret = new k8s.core.v1.Secret(
      `${name}-config`,
      renderConfigSecret("registry", namespace, {
        [CONFIG_FILE]: configYml,
        [READONLY_CONFIG_FILE]: readOnlyConfigYml,
        [HTPASSWD_FILE]: htpasswd,
        [PULL_CONFIG_FILE]: pullConfigYml,
        [PULL_HTPASSWD_FILE]: pullHtpasswd,
      }),
      inNamespace,
    );
    const tlsSecret = tls && new k8s.core.v1.Secret(`${name}-tls`, renderTlsSecret(namespace, tls), inNamespace);
    // The certificate and key are read at start: a new certificate rolls both servers.
    const tlsFiles = tls ? [tls.certificate, tls.privateKey] : [];
    // A claim's own class, else the stack's; with local volumes, after its pre-bound volume.
    const claimStorage = (storage: RegistryConfig["storage"]) => ({
      ...storage,
      storageClass: storage.storageClass ?? args.storage?.className,
    });
    const claimOptions = { parent: this, dependsOn: [ns, ...(args.storage?.volumes ?? [])] };
    const data = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-data`,
      renderDataClaim("registry", namespace, claimStorage(config.storage)),
      { ...claimOptions, ...keep },
    );
    const registry = this.serverDeployment(
      name,
      "registry",
      { ...server, hostPort: config.port, pullHostPort: config.pullPort },
      keyedChecksum(httpSecret, [configYml, readOnlyConfigYml, htpasswd, pullConfigYml, pullHtpasswd, ...tlsFiles]),
      serverOptions(configSecret, data, ...(tlsSecret ? [tlsSecret] : [])),
    );
    // The UI's way to the registry, unless both run on the node's network.
    const service = onNode === undefined ? new k8s.core.v1.Service(name, renderServerService(namespace), inNamespace) : undefined;
    const { address, pushAddress, mirrorAddress, caCertificate } = registryAddress(config, tls);
    const policies = renderRegistryNetworkPolicies({
      namespace,
      podCidr: args.podCidr,
      nodeNetworks: args.nodeNetworks,
      ui: config.ui.enabled,
      mirror: mirrorAddress !== undefined,
      hostNetwork: onNode !== undefined,
    });
    for (const [part, policy] of Object.entries(policies)) new k8s.networking.v1.NetworkPolicy(`${name}-${part}`, policy, inNamespace);

    if (config.ui.enabled) {
      // The UI's nginx proxies to the read-write process (its Service, or its loopback address on the node's network):
      // people sign in with the push account.
      const uiDeployment = new k8s.apps.v1.Deployment(
        `${name}-ui`,
        renderUiDeployment({
          namespace,
          version: config.ui.version,
          address: pushAddress,
          ...settings,
          node: onNode && { ...onNode, nodePort: config.ui.nodePort },
        }),
        podOptions(service ?? registry),
      );
      // On the node's network the UI itself listens at the node port.
      const ui =
        onNode === undefined
          ? new k8s.core.v1.Service(`${name}-ui`, renderUiService(namespace, config.ui.nodePort), inNamespace)
          : uiDeployment;
      this.uiUrl = ui.metadata.apply(() => `http://${config.host}:${config.ui.nodePort}/`);
    }

    const gcScript = renderGcScript({
      namespace,
      deployment: SERVER_NAMES.registry.deployment,
      container: SERVER_CONTAINER,
      deleteUntagged: config.gc.deleteUntagged,
      rolloutTimeoutSeconds: GC_ROLLOUT_TIMEOUT_SECONDS,
    });
    if (config.gc.enabled) {
      const account = new k8s.core.v1.ServiceAccount(`${name}-gc`, renderGcServiceAccount(namespace), inNamespace);
      // The Role names the registry Deployment: declared once that exists.
      const role = new k8s.rbac.v1.Role(`${name}-gc`, renderGcRole(namespace), { parent: this, dependsOn: [ns, registry] });
      new k8s.rbac.v1.RoleBinding(`${name}-gc`, renderGcRoleBinding(namespace), { parent: this, dependsOn: [ns, account, role] });
      const script = new k8s.core.v1.ConfigMap(`${name}-gc`, renderGcScriptConfigMap(namespace, gcScript), inNamespace);
      new k8s.batch.v1.CronJob(
        `${name}-gc`,
        renderGcCronJob({ namespace, schedule: config.gc.schedule, kubectlVersion: config.gc.kubectlVersion }),
        { parent: this, dependsOn: [ns, account, script] },
      );
    }

    if (mirrorAddress !== undefined) {
      const mirrorYml = configFile("mirror");
      const mirrorSecret = new k8s.core.v1.Secret(
        `${name}-mirror-config`,
        renderConfigSecret("mirror", namespace, { [CONFIG_FILE]: mirrorYml }),
        inNamespace,
      );
      const mirrorData = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-mirror-data`,
        renderDataClaim("mirror", namespace, claimStorage(config.mirror.storage)),
        claimOptions,
      );
      const proxyEnv = this.mirrorProxyEnv(args);
      const proxySecret = proxyEnv && new k8s.core.v1.Secret(`${name}-mirror-proxy`, renderProxySecret(namespace, proxyEnv), inNamespace);
      const mirror = this.serverDeployment(
        `${name}-mirror`,
        "mirror",
        { ...server, hostPort: config.mirror.port, proxied: proxyEnv !== undefined },
        keyedChecksum(httpSecret, [mirrorYml, ...tlsFiles, ...(proxyEnv ? [proxyEnv.apply((env) => JSON.stringify(env))] : [])]),
        serverOptions(mirrorSecret, mirrorData, ...(proxySecret ? [proxySecret] : []), ...(tlsSecret ? [tlsSecret] : [])),
      );
      this.mirrorEndpoint = mirror.metadata.apply(() => mirrorAddress);
    }

    this.namespace = ns.metadata.name;
    this.ref = {
      address,
      mirrorAddress,
      caCertificate,
      // Resolves once the Deployment is ready, so nothing pushes or pulls before the registry answers.
      endpoint: registry.metadata.apply(() => address),
      credentials: pulumi.secret(pullPassword.apply((p) => ({ username: config.pullUsername, password: p }))),
      pushAddress,
      pushEndpoint: registry.metadata.apply(() => pushAddress),
      pushCredentials: pulumi.secret(pulumi.output(password).apply((p) => ({ username: config.username, password: p }))),
      mirrorEndpoint: this.mirrorEndpoint,
    };
    this.registerOutputs({
      endpoint: this.ref.endpoint,
      credentials: this.ref.credentials,
      pushEndpoint: this.ref.pushEndpoint,
      pushCredentials: this.ref.pushCredentials,
      namespace: this.namespace,
      uiUrl: this.uiUrl,
      mirrorEndpoint: this.mirrorEndpoint,
      // What lands in the containers, for `npm run render`; the real files exist only in Secrets.
      files: {
        [`${SERVER_NAMES.registry.deployment}/${CONFIG_FILE}`]: renderServerConfig("read-write", settings, SECRET_SHOWN_AS),
        [`${SERVER_NAMES.registry.deployment}/${READONLY_CONFIG_FILE}`]: renderServerConfig("read-only", settings, SECRET_SHOWN_AS),
        [`${SERVER_NAMES.registry.deployment}/${PULL_CONFIG_FILE}`]: renderServerConfig("pull", settings, SECRET_SHOWN_AS),
        ...(config.gc.enabled ? { [`${GC_NAME}/${GC_SCRIPT_FILE}`]: gcScript } : {}),
        ...(mirrorAddress !== undefined
          ? { [`${SERVER_NAMES.mirror.deployment}/${CONFIG_FILE}`]: renderServerConfig("mirror", settings, SECRET_SHOWN_AS) }
          : {}),
      },
    });
  }

  /** A distribution server's Deployment, rendered once the checksum of its configuration is known. */
  private serverDeployment(
    name: string,
    server: Server,
    input: Omit<ServerDeploymentInput, "configChecksum">,
    configChecksum: pulumi.Output<string>,
    opts: pulumi.CustomResourceOptions,
  ): k8s.apps.v1.Deployment {
    const rendered = configChecksum.apply((checksum) => renderServerDeployment(server, { ...input, configChecksum: checksum }));
    return new k8s.apps.v1.Deployment(name, { metadata: rendered.metadata, spec: rendered.spec }, opts);
  }

  /**
   * The cache reaches Docker Hub through the corporate proxy, whose URLs, credentials included,
   * only exist in a Secret. Undefined without a proxy.
   */
  private mirrorProxyEnv({ proxy, proxyCredentials }: PrivateRegistryArgs): pulumi.Output<ProxyEnv> | undefined {
    if (proxy === undefined) return undefined;
    return pulumi.secret(
      pulumi.output(proxyCredentials).apply((credentials): ProxyEnv => {
        const urls = proxyUrls(proxy, credentials);
        return { HTTP_PROXY: urls.http, HTTPS_PROXY: urls.https };
      }),
    );
  }
}
