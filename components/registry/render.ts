// Pure renderers for what the registry's containers read: distribution's config.yml, the htpasswd
// file and the garbage-collection procedure. No Pulumi here: plain values in, text out.
import { hash as bcryptHash } from "@node-rs/bcrypt";
import type { RegistryAddress, RegistryTls } from "../refs";
import { readScript } from "../scripts";
import { shellQuote } from "../shell";
import type { RegistryConfig } from "./schema";
import { toYaml } from "../yaml";

/** Where distribution 2.x reads its configuration, and where the component mounts it. */
export const CONFIG_DIR = "/etc/docker/registry";
export const CONFIG_FILE = "config.yml";
/** The same configuration with `storage.maintenance.readonly` on: served while GC runs. */
export const READONLY_CONFIG_FILE = "config-readonly.yml";
export const HTPASSWD_FILE = "htpasswd";
/** The read-only process's configuration and its own htpasswd, holding only the pull account. */
export const PULL_CONFIG_FILE = "config-pull.yml";
export const PULL_HTPASSWD_FILE = "htpasswd-pull";
/** Docker Hub's registry API, the upstream of the pull-through cache. */
export const DOCKER_HUB_URL = "https://registry-1.docker.io";

export interface RegistryConfigInput {
  /** Directory holding the blobs and repositories (the volume). */
  readonly rootDirectory: string;
  /** `http.addr`, e.g. ":5000" in a pod, "127.0.0.1:PORT" in a test. */
  readonly httpAddr: string;
  /** `http.secret`: signs upload state; explicit and stable, or every restart breaks resumable uploads. */
  readonly httpSecret: string;
  /** Allow `DELETE` of manifests and blobs through the API. */
  readonly deleteEnabled: boolean;
  /** Refuse every write (maintenance mode during garbage collection). */
  readonly readOnly: boolean;
  /** htpasswd file for basic auth; absent means anonymous access (the pull-through cache). */
  readonly htpasswdPath?: string;
  /** Serve HTTPS with this certificate and key. */
  readonly tls?: { readonly certificate: string; readonly key: string };
  /** Act as a pull-through cache of this upstream (such an instance refuses pushes). */
  readonly proxyRemoteUrl?: string;
}

/** distribution's `config.yml`. */
export function renderRegistryConfig(input: RegistryConfigInput): string {
  const config = {
    version: 0.1,
    log: { level: "info", fields: { service: "registry" } },
    storage: {
      filesystem: { rootdirectory: input.rootDirectory },
      delete: { enabled: input.deleteEnabled },
      // The blob descriptor cache outlives a GC in a running process (distribution #4702): the GC
      // procedure therefore always ends with a restart.
      cache: { blobdescriptor: "inmemory" },
      maintenance: { readonly: { enabled: input.readOnly } },
    },
    http: {
      addr: input.httpAddr,
      secret: input.httpSecret,
      headers: { "X-Content-Type-Options": ["nosniff"] },
      ...(input.tls ? { tls: { certificate: input.tls.certificate, key: input.tls.key } } : {}),
    },
    ...(input.htpasswdPath ? { auth: { htpasswd: { realm: "registry", path: input.htpasswdPath } } } : {}),
    // A failing storage driver turns every answer, `GET /` included, into 503: the probes see it.
    health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    ...(input.proxyRemoteUrl ? { proxy: { remoteurl: input.proxyRemoteUrl } } : {}),
  };
  return toYaml(config);
}

const BCRYPT_COST = 10;
/** Bytes of bcrypt salt (encoded as 22 characters). */
export const BCRYPT_SALT_BYTES = 16;
/** bcrypt reads no further: a longer password would be cut short silently. */
const BCRYPT_MAX_PASSWORD_BYTES = 72;

/**
 * One htpasswd line (distribution accepts bcrypt only). The salt is given, not drawn, so the same
 * password yields the same file and the registry pod does not roll on every deployment. Hashed off the
 * main thread: the program goes on declaring resources meanwhile. The hash is `$2y$` (Apache's
 * prefix, the same algorithm as `$2b$`), which distribution's golang.org/x/crypto/bcrypt reads.
 */
export async function renderHtpasswd(username: string, password: string, salt: Uint8Array): Promise<string> {
  if (salt.length < BCRYPT_SALT_BYTES) throw new Error(`bcrypt needs ${BCRYPT_SALT_BYTES} bytes of salt, got ${salt.length}`);
  if (Buffer.byteLength(password) > BCRYPT_MAX_PASSWORD_BYTES)
    throw new Error("the registry password is longer than bcrypt's 72 bytes: choose a shorter registryPassword");
  return `${username}:${await bcryptHash(password, BCRYPT_COST, salt.subarray(0, BCRYPT_SALT_BYTES))}\n`;
}

export interface GcScriptInput {
  readonly namespace: string;
  readonly deployment: string;
  /** Name of the registry container in the pod (its args select the config file). */
  readonly container: string;
  readonly deleteUntagged: boolean;
  /** How long to wait for each switch of the registry pod. */
  readonly rolloutTimeoutSeconds: number;
}

const GC_SCRIPT = readScript("registry", "gc.sh");

/** JSON strategic-merge patch giving the registry container the args that serve `configPath`. */
function serveArgsPatch(container: string, configPath: string): string {
  return JSON.stringify({ spec: { template: { spec: { containers: [{ name: container, args: ["serve", configPath] }] } } } });
}

/**
 * The garbage-collection procedure the CronJob runs with kubectl (its steps are in gc.sh):
 * 1. restart the registry serving the read-only config (Recreate: the read-write pod is gone before
 *    the read-only one starts, so no push is in flight; pulls keep working);
 * 2. `registry garbage-collect` inside that pod, on the same volume;
 * 3. restart it read-write, whatever happened in 2 (a fresh process also drops the stale blob cache).
 */
export function renderGcScript(input: GcScriptInput): string {
  const readWrite = `${CONFIG_DIR}/${CONFIG_FILE}`;
  const readOnly = `${CONFIG_DIR}/${READONLY_CONFIG_FILE}`;
  const values = {
    NAMESPACE: input.namespace,
    DEPLOYMENT: input.deployment,
    CONTAINER: input.container,
    ROLLOUT_TIMEOUT_SECONDS: String(input.rolloutTimeoutSeconds),
    DELETE_UNTAGGED: String(input.deleteUntagged),
    READ_WRITE_CONFIG: readWrite,
    READ_WRITE_PATCH: serveArgsPatch(input.container, readWrite),
    READ_ONLY_CONFIG: readOnly,
    READ_ONLY_PATCH: serveArgsPatch(input.container, readOnly),
  };
  const assignments = Object.entries(values).map(([name, value]) => `${name}=${shellQuote(value)}\n`);
  return `#!/bin/sh\n${assignments.join("")}\n${GC_SCRIPT}`;
}

/** Where the registry, its read-only process and its cache listen, known from config alone, and the CA they chain to when they serve TLS. */
export function registryAddress(config: RegistryConfig, tls?: Pick<RegistryTls, "caCertificate">): RegistryAddress {
  return {
    address: `${config.host}:${config.pullPort}`,
    pushAddress: `${config.host}:${config.port}`,
    mirrorAddress: config.mirror.enabled ? `${config.host}:${config.mirror.port}` : undefined,
    caCertificate: tls?.caCertificate,
  };
}
