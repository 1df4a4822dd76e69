// The `registry` config section: the private registry, its web UI, its garbage collection and the
// optional Docker Hub pull-through cache. Defaults live here and only here.
import { z } from "zod";
import { isLoopbackIpv4 } from "../ipv4";
import {
  bool,
  byteQuantity,
  cronSchedule,
  dnsLabel,
  dnsSubdomain,
  enumOf,
  host,
  hostPort,
  integer,
  isHost,
  kubectlTag,
  NODE_PORT_RANGE,
  nonEmptyString,
} from "../validators";

/** A distribution 2.8.x tag: that line reads /etc/docker/registry/config.yml, as Debian's 2.8.2 does. */
const distributionTag = () => {
  const e = {
    error:
      "expected a registry image tag of the 2.8 line (e.g. 2.8.3): the component mounts its config at /etc/docker/registry/config.yml, where 2.x reads it",
  };
  return z.string(e).regex(/^2\.8\.\d+$/, e);
};

/** A joxit/docker-registry-ui 2.x tag: proxy mode (NGINX_PROXY_PASS_URL) and non-root nginx need 2.2+. */
const registryUiTag = () => {
  const e = { error: "expected a joxit/docker-registry-ui tag 2.x.y from 2.2.0 on (e.g. 2.6.0): proxy mode on 8080 as non-root needs it" };
  return z.string(e).regex(/^2\.([2-9]|\d{2,})\.\d+$/, e);
};

const storageSchema = (size: string) =>
  z.strictObject({
    /** Size of the PersistentVolumeClaim. */
    size: byteQuantity().default(size),
    /** StorageClass of the claim. @default the cluster's default StorageClass */
    storageClass: dnsSubdomain().optional(),
  });

/** A loopback host (RFC 6761: localhost and *.localhost) only works on a single-node cluster, where the registry cannot land elsewhere. */
export const isLoopback = (address: string) => /^(.+\.)?localhost$/i.test(address) || isLoopbackIpv4(address);

export const registrySchema = z
  .strictObject({
    /** Namespace of the registry, its UI, its GC job and the mirror. @default "registry" */
    namespace: dnsLabel().default("registry"),
    /** Tag of the `registry` image (CNCF distribution), pinned on the 2.8 line. @default "2.8.3" */
    version: distributionTag().default("2.8.3"),
    /**
     * Address (IP or DNS name) of the node running the registry, as the other nodes and the image
     * builder reach it; the endpoint is `host:port`. @default "127.0.0.1" (a single-node cluster)
     */
    host: host().default("127.0.0.1"),
    /** Port the registry answers on at `host` (a hostPort of its pod). @default 6001 */
    port: hostPort().default(6001),
    /**
     * Port of the registry's read-only process (same storage, same pod), where nodes and pods pull
     * with the pull account; the read-write `port` takes only the push account (README, "Security").
     * @default 6003
     */
    pullPort: hostPort().default(6003),
    /**
     * With a loopback `host` the registry's servers (and its UI) share their node's network
     * (`hostNetwork`) and listen there on: `loopback`, `host`'s address only (127.0.0.1 for a
     * `localhost` name), where the node is this machine (k3s, minikube --driver=none); `all`, every
     * address of the node, for a node in a container
     * (kind), whose port mapping arrives on the container's own address. Render and preview warn
     * about `all` (README, "On a local cluster"). @default "loopback"
     */
    listen: enumOf(["loopback", "all"]).default("loopback"),
    /**
     * Kubernetes node name the registry pod is pinned to, the node `host` points at. Required unless
     * `host` is loopback (single-node cluster). @default unpinned
     */
    node: dnsSubdomain().optional(),
    /** The registry's volume. @default { size: "50Gi" } */
    storage: storageSchema("50Gi").prefault({}),
    /**
     * Pulumi refuses to delete or replace the registry's data claim and namespace (`protect`), so a
     * `pulumi destroy` or a renamed namespace stops instead of going on; they are kept in the cluster
     * on delete either way (`retainOnDelete`). @default true
     */
    protect: bool().default(true),
    /** htpasswd user of the read-write process (the image build pushes with it); the password is the secret `registryPassword` (generated when absent). @default "admin" */
    username: nonEmptyString("a user name without ':' or whitespace")
      .regex(/^[^:\s]+$/, { error: "expected a user name without ':' or whitespace" })
      .default("admin"),
    /** htpasswd user of the read-only process, the one nodes and pods pull with; its password is generated. @default "pull" */
    pullUsername: nonEmptyString("a user name without ':' or whitespace")
      .regex(/^[^:\s]+$/, { error: "expected a user name without ':' or whitespace" })
      .default("pull"),
    /** Allow deleting manifests through the API (and the UI); garbage collection then reclaims their blobs. @default true */
    deleteEnabled: bool().default(true),
    /**
     * Serve plain HTTP on a host that is not loopback, and tell every node to trust the registry as
     * insecure (`insecure-registries`, plain-HTTP `hosts.toml`): the registry login then crosses the
     * network in clear text. Render and preview warn about it. Otherwise the registry serves TLS with
     * a certificate of the stack's own CA, or of yours (README, "Security"). @default false
     */
    insecure: bool().default(false),
    /** Web UI (joxit/docker-registry-ui) proxying the registry, so no CORS is needed. */
    ui: z
      .strictObject({
        /** @default true */
        enabled: bool().default(true),
        /** Image tag. @default "2.6.0" */
        version: registryUiTag().default("2.6.0"),
        /** NodePort the UI is reached on at `http://<host>:<nodePort>/`. @default 30601 */
        nodePort: integer(NODE_PORT_RANGE.min, NODE_PORT_RANGE.max).default(30601),
      })
      .prefault({}),
    /** Scheduled garbage collection, run with the registry read-only (README, "Garbage collection"). */
    gc: z
      .strictObject({
        /** @default true */
        enabled: bool().default(true),
        /** When to collect. @default "0 3 * * 0" (Sundays 03:00) */
        schedule: cronSchedule().default("0 3 * * 0"),
        /**
         * Also delete manifests no tag points at. Off by default: distribution 2.8 then also deletes
         * the per-platform manifests of multi-arch images (distribution #3178). @default false
         */
        deleteUntagged: bool().default(false),
        /** Tag of registry.k8s.io/kubectl for the GC job; keep it within one minor of the cluster. @default "v1.32.4" */
        kubectlVersion: kubectlTag("the GC job").default("v1.32.4"),
      })
      .prefault({}),
    /** Docker Hub pull-through cache, reaching Docker Hub through the corporate proxy. */
    mirror: z
      .strictObject({
        /** @default false */
        enabled: bool().default(false),
        /** Port of the cache at `host` (a hostPort on the registry's node). @default 6002 */
        port: hostPort().default(6002),
        /** The cache's volume. @default { size: "20Gi" } */
        storage: storageSchema("20Gi").prefault({}),
      })
      .prefault({}),
  })
  .superRefine((registry, ctx) => {
    // zod runs this after a refinement failed (not after a wrong type): judge only a host that is one.
    if (registry.node === undefined && isHost(registry.host) && !isLoopback(registry.host)) {
      ctx.addIssue({
        code: "custom",
        path: ["node"],
        input: undefined,
        message: `expected the name of the Kubernetes node whose address is registry.host (${registry.host}), so the registry's hostPort lands there`,
      });
    }
    if (registry.listen === "all" && isHost(registry.host) && !isLoopback(registry.host)) {
      ctx.addIssue({
        code: "custom",
        path: ["listen"],
        input: registry.listen,
        message: `expected "loopback" (the default) unless registry.host is loopback: only a registry at a loopback host (got ${registry.host}) runs on its node's network`,
      });
    }
    if (registry.mirror.enabled && registry.mirror.port === registry.port) {
      ctx.addIssue({
        code: "custom",
        path: ["mirror", "port"],
        input: registry.mirror.port,
        message: `expected a port other than registry.port (${registry.port}): both listen on the same node`,
      });
    }
    const taken = [registry.port, ...(registry.mirror.enabled ? [registry.mirror.port] : [])];
    if (taken.includes(registry.pullPort)) {
      ctx.addIssue({
        code: "custom",
        path: ["pullPort"],
        input: registry.pullPort,
        message: `expected a port other than registry.port${registry.mirror.enabled ? " and registry.mirror.port" : ""} (${taken.join(", ")}): they listen on the same node`,
      });
    }
    if (registry.pullUsername === registry.username) {
      ctx.addIssue({
        code: "custom",
        path: ["pullUsername"],
        input: registry.pullUsername,
        message: "expected a user other than registry.username: the pull account must not be the one that pushes",
      });
    }
  });

export type RegistryConfig = z.output<typeof registrySchema>;
