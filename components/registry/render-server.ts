// The distribution servers: the registry itself and the Docker Hub pull-through cache run the same
// pod. Their configuration files, Deployments, data claims and the registry's Service, as pure
// specs from plain values; index.ts declares them.
import type { input as Input } from "@pulumi/kubernetes/types";
import type * as pulumi from "@pulumi/pulumi";
import type { RegistryTls } from "../refs";
import { checksumAnnotation, labelsOf, nonRootPodSecurity, PART_OF, readOnlyContainer, type Toleration } from "../k8s-common";
import {
  CONFIG_DIR,
  CONFIG_FILE,
  DOCKER_HUB_URL,
  HTPASSWD_FILE,
  PULL_CONFIG_FILE,
  PULL_HTPASSWD_FILE,
  renderRegistryConfig,
} from "./render";
import { isIpv4 } from "../ipv4";
import { isLoopback, type RegistryConfig } from "./schema";

/** The two distribution servers: the registry, and the Docker Hub pull-through cache. */
export type Server = "registry" | "mirror";

/** Kubernetes object names of each server: its Deployment (and the registry's Service), config Secret and data claim. */
export const SERVER_NAMES: Readonly<Record<Server, { readonly deployment: string; readonly config: string; readonly data: string }>> = {
  registry: { deployment: "registry", config: "registry-config", data: "registry-data" },
  mirror: { deployment: "registry-mirror", config: "registry-mirror-config", data: "registry-mirror-data" },
};
/** The serving certificate and key both servers mount (`kubernetes.io/tls`). */
export const TLS_SECRET = "registry-tls";
/** The cache's Secret of proxy variables. */
const MIRROR_PROXY_SECRET = "registry-mirror-proxy";

/** The registry's container: the GC procedure switches its args. */
export const SERVER_CONTAINER = "registry";
/** The port distribution listens on inside its pod network; the node-facing port is the hostPort. */
export const CONTAINER_PORT = 5000;
const DATA_DIR = "/var/lib/registry";
const TLS_DIR = "/certs";
/** The registry image's own user is root; it needs none of root's powers. */
export const REGISTRY_USER = { uid: 1000, gid: 1000 };
/** The variables of the cache's proxy Secret (credentials inside the URLs). */
const PROXY_ENV_NAMES = ["HTTP_PROXY", "HTTPS_PROXY"] as const;
export type ProxyEnv = Record<(typeof PROXY_ENV_NAMES)[number], string>;

/** What one server's configuration file is for. */
export type ServerConfigRole = "read-write" | "read-only" | "pull" | "mirror";

/** The read-only process beside the registry, on the same volume: where nodes and pods pull. */
export const PULL_CONTAINER = "registry-pull";
export const PULL_CONTAINER_PORT = 5001;

/**
 * Where the servers listen when they share their node's network: a loopback `registry.host` is
 * reached on the node's own loopback, which a hostPort may not map (docs/ARCHITECTURE.md, "Local clusters").
 */
export interface NodeListen {
  /** The loopback address the node reaches them at: `registry.host`'s, 127.0.0.1 for a `localhost` name. */
  readonly loopback: string;
  /** `loopback`, or 0.0.0.0 with `registry.listen: all` (a node in a container). */
  readonly address: string;
  readonly port: number;
  readonly pullPort: number;
  readonly mirrorPort: number;
}

/** The servers' addresses on their node, for a loopback `registry.host`; undefined otherwise (they run in the pod network). */
export function nodeListen(config: Pick<RegistryConfig, "host" | "listen" | "port" | "pullPort" | "mirror">): NodeListen | undefined {
  if (!isLoopback(config.host)) return undefined;
  const loopback = isIpv4(config.host) ? config.host : "127.0.0.1";
  const address = config.listen === "all" ? "0.0.0.0" : loopback;
  return { loopback, address, port: config.port, pullPort: config.pullPort, mirrorPort: config.mirror.port };
}

/** A server's `http.addr`: its port in the pod, or its address on the node. */
function httpAddr(role: ServerConfigRole, node: NodeListen | undefined): string {
  if (node === undefined) return `:${role === "pull" ? PULL_CONTAINER_PORT : CONTAINER_PORT}`;
  const port = role === "pull" ? node.pullPort : role === "mirror" ? node.mirrorPort : node.port;
  return `${node.address}:${port}`;
}

/**
 * distribution's config.yml, given http.secret (the only secret in it): the registry's read-write
 * and read-only files, the always read-only pull process with the pull account's htpasswd, or the
 * anonymous pull-through cache of Docker Hub.
 */
export function renderServerConfig(
  role: ServerConfigRole,
  settings: { readonly deleteEnabled: boolean; readonly tls: boolean; readonly node?: NodeListen },
  httpSecret: string,
): string {
  return renderRegistryConfig({
    rootDirectory: DATA_DIR,
    httpAddr: httpAddr(role, settings.node),
    httpSecret,
    deleteEnabled: settings.deleteEnabled,
    readOnly: role === "read-only" || role === "pull",
    htpasswdPath: role === "mirror" ? undefined : `${CONFIG_DIR}/${role === "pull" ? PULL_HTPASSWD_FILE : HTPASSWD_FILE}`,
    tls: settings.tls ? { certificate: `${TLS_DIR}/tls.crt`, key: `${TLS_DIR}/tls.key` } : undefined,
    ...(role === "mirror" ? { proxyRemoteUrl: DOCKER_HUB_URL } : {}),
  });
}

export interface ServerDeploymentInput {
  readonly namespace: string;
  readonly image: string;
  readonly hostPort: number;
  /** The registry's read-only pull process, on this hostPort. */
  readonly pullHostPort?: number;
  readonly node?: string;
  /** The taints of `node` the stack put there, tolerated. */
  readonly tolerations?: readonly Toleration[];
  /** Serve HTTPS with the certificate of TLS_SECRET. */
  readonly tls: boolean;
  /** Digest of the mounted configuration: the pod rolls when, and only when, it changes. */
  readonly configChecksum: string;
  /** The cache reaches Docker Hub through the proxy, its URLs (credentials inside) from MIRROR_PROXY_SECRET. */
  readonly proxied?: boolean;
  /** Run on the node's network, listening at the hostPorts, reached by the node at this loopback address (NodeListen). */
  readonly nodeLoopback?: string;
}

/** Creates and removes a file where the server stores: fails when the volume cannot be written. */
export const WRITABLE_PROBE = ["/bin/sh", "-c", 'touch "$1/.readiness-probe" && rm "$1/.readiness-probe"', "readiness", DATA_DIR];

/** One distribution server: the registry itself and the pull-through cache are both this. */
export function renderServerDeployment(server: Server, input: ServerDeploymentInput) {
  const names = SERVER_NAMES[server];
  const scheme = input.tls ? "HTTPS" : "HTTP";
  const timing = (periodSeconds: number, failureThreshold: number) => ({ periodSeconds, failureThreshold, timeoutSeconds: 5 });
  // `GET /` answers 200 without credentials; the storage health check turns it into 503.
  // On the node's network the kubelet, on that node too, probes the loopback address every server binds.
  const hostNetwork = input.nodeLoopback !== undefined;
  const probe = (port: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: "/", port, scheme, ...(hostNetwork ? { host: input.nodeLoopback } : {}) },
    ...timing(periodSeconds, failureThreshold),
  });
  const container = (
    name: string,
    configFile: string,
    port: { name: string; containerPort: number; hostPort: number },
    stores: boolean,
    proxied = false,
  ) => ({
    name,
    image: input.image,
    command: ["registry"],
    args: ["serve", `${CONFIG_DIR}/${configFile}`],
    // On the node's network a hostPort must equal its containerPort: the server listens at the node's port.
    ports: [{ ...port, ...(hostNetwork ? { containerPort: port.hostPort } : {}), protocol: "TCP" }],
    env: proxied
      ? PROXY_ENV_NAMES.map((variable) => ({ name: variable, valueFrom: { secretKeyRef: { name: MIRROR_PROXY_SECRET, key: variable } } }))
      : undefined,
    // A server that stores is ready only when it can write: on a volume it cannot write, `GET /`
    // still answers 200 while every push fails (distribution's storage health check only reads).
    readinessProbe: stores ? { exec: { command: WRITABLE_PROBE }, ...timing(10, 3) } : probe(port.name, 10, 3),
    livenessProbe: probe(port.name, 20, 6),
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    securityContext: readOnlyContainer(),
    volumeMounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      { name: "data", mountPath: DATA_DIR },
      ...(input.tls ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
    ],
  });
  const labels = labelsOf(names.deployment);
  return {
    metadata: { name: names.deployment, namespace: input.namespace, labels },
    spec: {
      replicas: 1,
      // One RWO volume and one port on the node: the old pod must be gone before the new one starts.
      strategy: { type: "Recreate" },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: checksumAnnotation("config", input.configChecksum) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // No dnsPolicy: the servers resolve no cluster name, and on the node's network ClusterFirst
          // resolves as the node does (Docker Hub and the proxy, for the cache).
          ...(hostNetwork ? { hostNetwork: true } : {}),
          ...(input.node ? { nodeSelector: { "kubernetes.io/hostname": input.node } } : {}),
          ...(input.tolerations?.length ? { tolerations: [...input.tolerations] } : {}),
          securityContext: nonRootPodSecurity(REGISTRY_USER, { ownsVolumes: true }),
          containers: [
            // The GC procedure switches this container's args to the read-only config and back.
            container(
              SERVER_CONTAINER,
              CONFIG_FILE,
              { name: "http", containerPort: CONTAINER_PORT, hostPort: input.hostPort },
              true,
              input.proxied,
            ),
            ...(input.pullHostPort === undefined
              ? []
              : [
                  container(
                    PULL_CONTAINER,
                    PULL_CONFIG_FILE,
                    {
                      name: "pull",
                      containerPort: PULL_CONTAINER_PORT,
                      hostPort: input.pullHostPort,
                    },
                    false,
                  ),
                ]),
          ],
          volumes: [
            { name: "config", secret: { secretName: names.config, defaultMode: 0o440 } },
            { name: "data", persistentVolumeClaim: { claimName: names.data } },
            ...(input.tls ? [{ name: "tls", secret: { secretName: TLS_SECRET, defaultMode: 0o440 } }] : []),
          ],
        },
      },
    },
  } satisfies Input.apps.v1.Deployment;
}

/** The registry's in-cluster Service: what the web UI proxies to. */
export function renderServerService(namespace: string) {
  const name = SERVER_NAMES.registry.deployment;
  const labels = labelsOf(name);
  return {
    metadata: { name, namespace, labels },
    spec: { selector: labels, ports: [{ name: "http", port: CONTAINER_PORT, targetPort: "http" }] },
  } satisfies Input.core.v1.Service;
}

/** A server's blob storage. */
export function renderDataClaim(server: Server, namespace: string, storage: { readonly size: string; readonly storageClass?: string }) {
  return {
    metadata: { name: SERVER_NAMES[server].data, namespace, labels: PART_OF },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: storage.size } },
      storageClassName: storage.storageClass,
    },
  } satisfies Input.core.v1.PersistentVolumeClaim;
}

/** A server's configuration files; their contents come from renderServerConfig, and htpasswd. */
export function renderConfigSecret<T extends pulumi.Input<string>>(server: Server, namespace: string, files: Readonly<Record<string, T>>) {
  const names = SERVER_NAMES[server];
  return { metadata: { name: names.config, namespace, labels: labelsOf(names.deployment) }, stringData: files };
}

/** The servers' certificate and key, and the CA they chain to. */
export function renderTlsSecret(namespace: string, tls: RegistryTls) {
  return {
    metadata: { name: TLS_SECRET, namespace, labels: PART_OF },
    type: "kubernetes.io/tls",
    stringData: { "tls.crt": tls.certificate, "tls.key": tls.privateKey, "ca.crt": tls.caCertificate },
  };
}

/** The cache's proxy variables. */
export function renderProxySecret<T extends pulumi.Input<ProxyEnv>>(namespace: string, variables: T) {
  return { metadata: { name: MIRROR_PROXY_SECRET, namespace, labels: labelsOf(SERVER_NAMES.mirror.deployment) }, stringData: variables };
}
