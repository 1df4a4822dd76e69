// What lands on each node (docs/ARCHITECTURE.md, "Node runtime configuration"): the proxy drop-in, the keys
// merged into docker's daemon.json or containerd's config.toml, the containerd hosts.toml files.
// Pure functions of plain values; render-apply.ts turns a plan into the node's apply script.
import type { NodeConfig } from "./schema";

/** The proxy a runtime gets: URLs with the credentials already inside, and NO_PROXY. */
export interface RuntimeProxy {
  readonly http: string;
  readonly https: string;
  readonly noProxy: readonly string[];
}

/** The private registry as the nodes reach it. */
export interface NodeRegistry {
  /** `host:port`. */
  readonly endpoint: string;
  /** `host:port` of the Docker Hub pull-through cache, when enabled. */
  readonly mirrorEndpoint?: string;
  /**
   * PEM of the CA the registry and the cache chain to, which the runtimes trust for them alone.
   * Absent: they speak plain HTTP, and runtimes must be told, or they speak HTTPS to them.
   */
  readonly caCertificate?: string;
}

/** A directory of a local volume (components/storage), created once for the user its pod runs as. */
export interface VolumeDirectory {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
}

export interface NodeInput {
  readonly node: NodeConfig;
  readonly proxy?: RuntimeProxy;
  readonly dns: readonly string[];
  readonly registry: NodeRegistry;
  /** The local volumes' directories on this node. @default none */
  readonly volumeDirectories?: readonly VolumeDirectory[];
}

// The runtimes' systemd units are named after them: docker.service, containerd.service.
export const dropInPath = (runtime: NodeConfig["runtime"]) => `/etc/systemd/system/${runtime}.service.d/http-proxy.conf`;

/**
 * Where the proxy values live: systemd shows a unit's `Environment=` to every local user over D-Bus,
 * but reads an `EnvironmentFile=` only when it starts the service (docs/ARCHITECTURE.md, "Node runtime configuration").
 */
export const proxyEnvironmentFilePath = (runtime: NodeConfig["runtime"]) => `/etc/spark-gpu-stack/${runtime}-proxy.env`;

/** The proxy variables the runtime's process gets, in upper and lower case (tools read either). */
export function proxyEnvironment(proxy: RuntimeProxy): Readonly<Record<string, string>> {
  const noProxy = proxy.noProxy.join(",");
  const variables = { HTTP_PROXY: proxy.http, HTTPS_PROXY: proxy.https, NO_PROXY: noProxy };
  return Object.fromEntries(
    Object.entries(variables).flatMap(([name, value]) => [
      [name, value],
      [name.toLowerCase(), value],
    ]),
  );
}

/**
 * An EnvironmentFile value in double quotes: systemd unescapes `\\`, `\"`, `` \` `` and `\$` there as
 * the shell does, expands neither `%` specifiers nor variables, and keeps `#` inside a value.
 */
const environmentFileQuoted = (value: string) => `"${value.replace(/[\\"$\x60]/g, "\\$&")}"`;

/** The runtime's EnvironmentFile (mode 0600): the proxy URLs, credentials percent-encoded inside. */
export function renderProxyEnvironmentFile(runtime: NodeConfig["runtime"], proxy: RuntimeProxy): string {
  return [
    `# Managed by spark-gpu-stack: the proxy for ${runtime}, read by systemd when it starts ${runtime}.service.`,
    ...Object.entries(proxyEnvironment(proxy)).map(([name, value]) => `${name}=${environmentFileQuoted(value)}`),
    "",
  ].join("\n");
}

/** `[Service]` drop-in naming the proxy's EnvironmentFile: no value, no credential in it. */
export function renderProxyDropIn(runtime: NodeConfig["runtime"]): string {
  return [
    `# Managed by spark-gpu-stack: the proxy for ${runtime}, from a file only root can read.`,
    "[Service]",
    `EnvironmentFile=${proxyEnvironmentFilePath(runtime)}`,
    "",
  ].join("\n");
}

export type DaemonJson = Readonly<Record<string, unknown>>;

export const NVIDIA_RUNTIME_BINARY = "/usr/bin/nvidia-container-runtime";

const url = (endpoint: string, registry: NodeRegistry) => `${registry.caCertificate === undefined ? "http" : "https"}://${endpoint}`;
const endpoints = (registry: NodeRegistry) => [
  registry.endpoint,
  ...(registry.mirrorEndpoint !== undefined ? [registry.mirrorEndpoint] : []),
];

/** Where docker reads the CA it trusts for one registry `host:port` (read on each connection: no restart). */
export const dockerCaPath = (endpoint: string) => `/etc/docker/certs.d/${endpoint}/ca.crt`;

/** The keys docker's daemon.json gets; everything else in the node's file stays as it is. */
export function desiredDaemonJson(input: NodeInput): DaemonJson {
  const { registry, node } = input;
  return {
    ...(registry.caCertificate === undefined ? { "insecure-registries": endpoints(registry) } : {}),
    ...(registry.mirrorEndpoint !== undefined ? { "registry-mirrors": [url(registry.mirrorEndpoint, registry)] } : {}),
    ...(input.dns.length > 0 ? { dns: [...input.dns] } : {}),
    "live-restore": true,
    ...(node.gpu ? { "default-runtime": "nvidia", runtimes: { nvidia: { path: NVIDIA_RUNTIME_BINARY } } } : {}),
  };
}

/** The dockerd flag for each daemon.json key this stack sets: dockerd refuses to start when both are given. */
export const DOCKERD_FLAGS: Readonly<Record<string, string>> = {
  "insecure-registries": "--insecure-registry",
  "registry-mirrors": "--registry-mirror",
  dns: "--dns",
  "live-restore": "--live-restore",
  "default-runtime": "--default-runtime",
  runtimes: "--add-runtime",
};

/**
 * List-valued keys the stack adds its entries to instead of replacing them: a node that already
 * trusts a corporate registry or mirror keeps it.
 */
export const ADDED_TO_KEYS: ReadonlySet<string> = new Set(["insecure-registries", "registry-mirrors"]);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The node's entries in their order, then the desired ones it lacks (equal as JSON). */
function union(existing: readonly unknown[], desired: readonly unknown[]): unknown[] {
  const merged = [...existing];
  const seen = new Set(existing.map((entry) => JSON.stringify(entry)));
  for (const entry of desired) {
    if (!seen.has(JSON.stringify(entry))) merged.push(entry);
    seen.add(JSON.stringify(entry));
  }
  return merged;
}

/**
 * How the apply script merges on the node (its awk program is tested against this): the desired
 * keys replace the node's values, except that an object-valued key (runtimes) is merged entry by
 * entry, keeping the node's other entries, and an ADDED_TO_KEYS list gets the entries it lacks.
 * Keys the stack does not set are kept.
 */
export function mergeDaemonJson(existing: DaemonJson, desired: DaemonJson): DaemonJson {
  const merged: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(desired)) {
    const current = existing[key];
    if (isObject(value) && isObject(current)) merged[key] = { ...current, ...value };
    else if (ADDED_TO_KEYS.has(key) && Array.isArray(value) && Array.isArray(current)) merged[key] = union(current, value);
    else merged[key] = value;
  }
  return merged;
}

/** One key in one table of containerd's config.toml. */
export interface TomlSetting {
  /** Table name as written in its header, e.g. `plugins."io.containerd.grpc.v1.cri".registry`. */
  readonly table: string;
  readonly key: string;
  /** TOML text of the value; absent: take the same key's value in `inheritFrom`, if any. */
  readonly value?: string;
  readonly inheritFrom?: string;
}

export const CERTS_DIR = "/etc/containerd/certs.d";

/** config.toml layouts: `version = 2` (containerd 1.x, also read by 2.x) and `version = 3` (2.x). */
export type ContainerdLayout = 2 | 3;

const CRI_TABLES: Readonly<Record<ContainerdLayout, { registry: string; runtime: string }>> = {
  2: { registry: 'plugins."io.containerd.grpc.v1.cri".registry', runtime: 'plugins."io.containerd.grpc.v1.cri".containerd' },
  3: { registry: 'plugins."io.containerd.cri.v1.images".registry', runtime: 'plugins."io.containerd.cri.v1.runtime".containerd' },
};

export const registryTable = (layout: ContainerdLayout) => CRI_TABLES[layout].registry;

const tomlString = (value: string) => JSON.stringify(value); // TOML basic strings escape as JSON does

/**
 * The config.toml keys for one layout: registry hosts from certs.d and, on GPU nodes, a runtime
 * `nvidia` as the default (pods may also name it with RuntimeClass `nvidia`). The nvidia runtime
 * uses the same cgroup driver as runc, or the kubelet's pods fail on it.
 */
export function containerdSettings(layout: ContainerdLayout, gpu: boolean): TomlSetting[] {
  const { registry, runtime } = CRI_TABLES[layout];
  return [
    { table: registry, key: "config_path", value: tomlString(CERTS_DIR) },
    ...(gpu
      ? [
          { table: runtime, key: "default_runtime_name", value: tomlString("nvidia") },
          { table: `${runtime}.runtimes.nvidia`, key: "runtime_type", value: tomlString("io.containerd.runc.v2") },
          { table: `${runtime}.runtimes.nvidia.options`, key: "BinaryName", value: tomlString(NVIDIA_RUNTIME_BINARY) },
          { table: `${runtime}.runtimes.nvidia.options`, key: "SystemdCgroup", inheritFrom: `${runtime}.runtimes.runc.options` },
        ]
      : []),
  ];
}

/** What a node without a config.toml gets: the layout-2 keys, which containerd 1.x and 2.x read. */
export function renderContainerdConfig(settings: readonly TomlSetting[]): string {
  const tables = [...new Set(settings.map((s) => s.table))];
  const body = tables.map((table) =>
    [`[${table}]`, ...settings.filter((s) => s.table === table && s.value !== undefined).map((s) => `  ${s.key} = ${s.value}`)].join("\n"),
  );
  return `${["version = 2", ...body].join("\n\n")}\n`;
}

/** certs.d/<host>/hosts.toml: pull and resolve `server`'s images from `host`, trusting the CA at `caPath` for it. */
export function renderHostsToml(server: string, host: string, caPath?: string): string {
  return [
    "# Managed by spark-gpu-stack.",
    `server = ${tomlString(server)}`,
    "",
    `[host.${tomlString(host)}]`,
    '  capabilities = ["pull", "resolve"]',
    ...(caPath === undefined ? [] : [`  ca = ${tomlString(caPath)}`]),
    "",
  ].join("\n");
}

/** What a file change needs before the runtime uses it. */
export type Effect = "daemon-reload restart" | "reload restart" | "restart" | "none";

/** A file written as rendered. */
export interface PlacedFile {
  readonly path: string;
  readonly content: string;
  readonly mode: "0600" | "0644";
  readonly effect: Effect;
}

/** The file the runtime's own settings are merged into, on the node. */
export type RuntimeEdit =
  | { readonly runtime: "docker" /** Keys merged into /etc/docker/daemon.json. */; readonly daemonJson: DaemonJson }
  | {
      readonly runtime: "containerd" /** Keys set in /etc/containerd/config.toml, per layout. */;
      readonly settings: Readonly<Record<ContainerdLayout, readonly TomlSetting[]>>;
    };

/** Everything the apply script of one node does. */
export interface NodePlan {
  readonly node: string;
  readonly files: readonly PlacedFile[];
  readonly edit: RuntimeEdit;
  /** The proxy variables the runtime's process must have (its health check reads them in /proc). */
  readonly proxyEnvironment?: Readonly<Record<string, string>>;
  /** The nvidia runtime becomes the default: without its binary every container would fail. */
  readonly gpu: boolean;
  /** Created when missing, after the runtime is configured. */
  readonly volumeDirectories: readonly VolumeDirectory[];
}

/** The node's plan, and its files for people and the render tool (path → content). */
export function planNode(input: NodeInput): { plan: NodePlan; files: Record<string, string> } {
  const { node, proxy, registry } = input;
  const files: PlacedFile[] = [];
  if (proxy !== undefined)
    files.push(
      {
        path: proxyEnvironmentFilePath(node.runtime),
        content: renderProxyEnvironmentFile(node.runtime, proxy),
        mode: "0600",
        effect: "restart",
      },
      { path: dropInPath(node.runtime), content: renderProxyDropIn(node.runtime), mode: "0644", effect: "daemon-reload restart" },
    );
  const ca = registry.caCertificate;
  const placeCa = (path: string) => {
    if (ca !== undefined) files.push({ path, content: ca, mode: "0644", effect: "none" });
    return ca === undefined ? undefined : path;
  };
  if (node.runtime === "docker") for (const endpoint of endpoints(registry)) placeCa(dockerCaPath(endpoint));
  else {
    const registryUrl = url(registry.endpoint, registry);
    const caPath = placeCa(`${CERTS_DIR}/${registry.endpoint}/ca.crt`);
    files.push({
      path: `${CERTS_DIR}/${registry.endpoint}/hosts.toml`,
      content: renderHostsToml(registryUrl, registryUrl, caPath),
      mode: "0644",
      effect: "none",
    });
    if (registry.mirrorEndpoint !== undefined) {
      const mirrorCaPath = placeCa(`${CERTS_DIR}/docker.io/ca.crt`);
      files.push({
        path: `${CERTS_DIR}/docker.io/hosts.toml`,
        content: renderHostsToml("https://registry-1.docker.io", url(registry.mirrorEndpoint, registry), mirrorCaPath),
        mode: "0644",
        effect: "none",
      });
    }
  }
  const edit: RuntimeEdit =
    node.runtime === "docker"
      ? { runtime: "docker", daemonJson: desiredDaemonJson(input) }
      : { runtime: "containerd", settings: { 2: containerdSettings(2, node.gpu), 3: containerdSettings(3, node.gpu) } };
  const shown = Object.fromEntries(files.map((f) => [f.path, f.content]));
  const merged: [string, string] =
    edit.runtime === "docker"
      ? ["/etc/docker/daemon.json", `${JSON.stringify(edit.daemonJson, null, 2)}\n`]
      : ["/etc/containerd/config.toml", renderContainerdConfig(edit.settings[2])];
  return {
    plan: {
      node: node.name,
      files,
      edit,
      proxyEnvironment: proxy === undefined ? undefined : proxyEnvironment(proxy),
      gpu: node.gpu,
      volumeDirectories: input.volumeDirectories ?? [],
    },
    files: { ...shown, [merged[0]]: merged[1] },
  };
}
